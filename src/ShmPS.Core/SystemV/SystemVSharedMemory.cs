using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// A System V shared memory segment (shmget): a key (0 = IPC_PRIVATE) and an id. Fixed size. Data is
/// copied through an attachment that lasts one operation, read-only for reads.
/// </summary>
public sealed partial class SystemVSharedMemory : SharedMemory
{
    private const string ProcTable = "/proc/sysvipc/shm";

    private SystemVSharedMemory(int id) : base("") => Id = id;

    internal override SharedMemoryKind Kind => SystemVBackend.Instance.Kind;

    /// <summary>Named with its id: a removed segment's key reads 0x00000000.</summary>
    internal override string Subject => $"{base.Subject} (id {Id.ToString(System.Globalization.CultureInfo.InvariantCulture)})";

    /// <summary>Its key names it (-Name, -Key) unless it is 0, which names no segment; its id always (-Id).</summary>
    internal override string? IdentityText(SharedMemoryIdentityForm form) => form switch
    {
        SharedMemoryIdentityForm.Name or SharedMemoryIdentityForm.Key => Key != 0 ? Name : null,
        SharedMemoryIdentityForm.Id => Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    internal override object? ViewId => Id;

    internal override IReadOnlyCollection<string> ListProperties => s_listProperties;

    private static readonly string[] s_listProperties =
    {
        "Id", "Key", "CreatorId", "CreatorGroupId", "CreatorProcessId", "LastProcessId", "AttachCount",
        "LastAttachTime", "LastDetachTime", "IsMarkedForDeletion", "IsLocked", "SwappedBytes",
    };

    internal override (string? Key, string? Id, string? Status, bool NamedByKey) IpcsColumns =>
        (FormatKey(Key), Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            string.Join(' ', new[] { IsMarkedForDeletion ? "dest" : null, IsLocked ? "locked" : null }.OfType<string>()), true);


    /// <summary>The segment's id (shmid), as ipcs shows it.</summary>
    public int Id { get; }

    /// <summary>The key; 0 (IPC_PRIVATE) for private segments and for segments marked for removal.</summary>
    public int Key { get; private set; }

    public uint CreatorId { get; private set; }

    public uint CreatorGroupId { get; private set; }

    public int CreatorProcessId { get; private set; }

    /// <summary>The last process to attach or detach (shm_lpid).</summary>
    public int LastProcessId { get; private set; }

    private int _attachCount;

    public override int? AttachCount => _attachCount;

    public DateTime? LastAttachTime { get; private set; }

    public DateTime? LastDetachTime { get; private set; }

    /// <summary>IPC_RMID was called while processes were attached (SHM_DEST): it goes at the last detach.</summary>
    public bool IsMarkedForDeletion { get; private set; }

    /// <summary>Locked in memory with SHM_LOCK (SHM_LOCKED).</summary>
    public bool IsLocked { get; private set; }

    // rss and swap come only from /proc/sysvipc/shm: a lookup through IPC_STAT leaves them to be read
    // on first use, so that finding one segment does not cost a read of the whole table.
    private (long Resident, long Swapped)? _usage;

    /// <summary>Bytes of the segment in RAM (rss in /proc/sysvipc/shm).</summary>
    public override long? ResidentBytes => Usage.Resident;

    /// <summary>Bytes of the segment in swap.</summary>
    public long SwappedBytes => Usage.Swapped;

    private (long Resident, long Swapped) Usage =>
        _usage ??= InNamespace(() => SystemVTable.TryFind(Id, key: null, out SystemVSegmentRow row) ? (row.Resident, row.Swapped) : (0, 0));

    /// <summary>A call on the segment's id, made in the IPC namespace the segment was listed from.</summary>
    private T InNamespace<T>(Func<T> call) => View is null ? call() : View.InIpcNamespace(call);

    /// <summary>0x%08x, as ipcs shows keys.</summary>
    public static string FormatKey(int key) => new SystemVKey(key).ToString();

    /// <summary>Parses a key as users and ipcs write it: 0x0000abcd, 43981, or -1.</summary>
    public static int ParseKey(string text) => SystemVKey.Parse(text).Value;

    /// <summary>The key ftok(3) derives from an existing file and a project id (1 to 255).</summary>
    public static int KeyFromPath(string path, int projectId) => SystemVKey.FromPath(path, projectId).Value;

    internal override bool IsSameObject(SharedMemory other) => other is SystemVSharedMemory segment && segment.Id == Id;

    #region Data access

    private protected override long CurrentSize(bool writing) => Size; // fixed at creation

    // An attachment kept by Attach() until Detach(); otherwise each operation attaches and detaches.
    private SafeAttachmentHandle? _kept;

    // Methods attach on first use and keep the attachment until Close() or Detach(), as they keep a
    // mapping of the other kinds (with the guarded copy); cmdlets attach for one operation only.
    private SafeAttachmentHandle? KeptForMethods()
    {
        if (_kept is null && !InCommand && Native.Guard.IsAvailable)
        {
            AttachCore();
        }
        return _kept;
    }

    private protected override int ReadCore(long offset, Span<byte> buffer)
    {
        try
        {
            SafeAttachmentHandle? kept = KeptForMethods();
            if (kept is not null && !kept.IsClosed)
            {
                try
                {
                    kept.CopyTo(offset, buffer);
                    return buffer.Length;
                }
                catch (ObjectDisposedException)
                {
                    // Detached by another thread meanwhile: attach for this copy instead.
                }
            }
            using SafeAttachmentHandle attachment = AttachForOperation(readOnly: true, offset, buffer.Length);
            attachment.CopyTo(offset, buffer);
            return buffer.Length;
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
    }

    private protected override void WriteCore(long offset, ReadOnlySpan<byte> data)
    {
        try
        {
            SafeAttachmentHandle? kept = KeptForMethods();
            if (kept is { IsReadOnly: false, IsClosed: false })
            {
                try
                {
                    kept.CopyFrom(offset, data);
                    return;
                }
                catch (ObjectDisposedException)
                {
                }
            }
            using SafeAttachmentHandle attachment = AttachForOperation(readOnly: false, offset, data.Length);
            attachment.CopyFrom(offset, data);
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
    }

    /// <summary>shmat, kept: read-write if permitted, else read-only.</summary>
    internal override void AttachCore()
    {
        try
        {
            lock (_sync)
            {
                if (_kept is not null)
                {
                    return;
                }
                try
                {
                    _kept = AttachChecked(readOnly: View is not null); // another namespace's segments are only read
                }
                catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
                {
                    _kept = AttachChecked(readOnly: true);
                }
            }
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
    }

    internal override bool HoldsMapping => _kept is not null;

    private readonly object _sync = new();

    internal override bool HoldsResources => _kept is not null;

    internal override void ReleaseResources()
    {
        lock (_sync)
        {
            // A copy still running on another thread holds the attachment until it is done (SafeBuffer).
            _kept?.Dispose();
            _kept = null;
        }
    }

    /// <summary>An attachment for one copy; large copies fault their pages in up front (MADV_POPULATE).</summary>
    private SafeAttachmentHandle AttachForOperation(bool readOnly, long offset, int count)
    {
        SafeAttachmentHandle attachment = AttachChecked(readOnly);
        if (count >= 64 << 10)
        {
            attachment.Prefault(offset, count);
        }
        return attachment;
    }

    /// <summary>
    /// Attaches the segment and checks that it is the one described: ids are reused after removal, and
    /// while attached the segment cannot go, so a check made now holds for the whole attachment.
    /// </summary>
    private SafeAttachmentHandle AttachChecked(bool readOnly)
    {
        // The segment's size cannot change while it exists, and an attachment keeps it alive even
        // if it is removed meanwhile, so a copy bounds-checked against the attached size cannot fault.
        (SafeAttachmentHandle attachment, ShmidDs ds) = InNamespace(() => (Libc.ShmAttach(Id, readOnly, out ShmidDs attached), attached));
        if (!IsThisSegment(ds))
        {
            attachment.Dispose();
            throw Gone();
        }
        return attachment;
    }

    // What stays the same for a segment's whole life, beside its id: who created it (process, user,
    // group) and its size. A new segment that got the same id differs in at least one of them in
    // practice; its key differs too unless this one was private or has been removed (key 0).
    private (int Pid, uint Uid, uint Gid) _creator;

    private bool IsThisSegment(in ShmidDs ds) => IsThisSegment(ds.CreatorPid, ds.Perm.CreatorUid, ds.Perm.CreatorGid,
        (long)ds.SegmentSize, ds.Perm.Key);

    private bool IsThisSegment(int cpid, uint cuid, uint cgid, long size, int key) =>
        (cpid, cuid, cgid) == _creator && size == Size && (key == Key || key == Libc.IPC_PRIVATE);

    private Exception Gone() => ErrorHelper.NotFound(KindDescription, $"{Name} (id {Id})");

    #endregion

    /// <summary>A failed call on this segment's id: EINVAL and EIDRM both mean the segment is gone.</summary>
    private Exception Failure(NativeException e) => e.Errno is Errno.EINVAL or Errno.EIDRM
        ? Gone()
        : ErrorHelper.FromNative(e, this);

    #region Management

    internal override void RefreshCore()
    {
        (bool found, SystemVSegmentRow row) = InNamespace(() => (SystemVBackend.TryDescribe(Id, out SystemVSegmentRow described), described));
        if (!found || !IsThisSegment(row.CreatorPid, row.CreatorUid, row.CreatorGid, row.Size, row.Key))
        {
            throw Gone();
        }
        Describe(row);
    }

    /// <summary>
    /// IPC_RMID of this segment, not of another that reuses its id: attached (where permitted) while
    /// checking and removing, so the id cannot change hands in between.
    /// </summary>
    internal override void Remove()
    {
        RefuseInForeignNamespace("removing");
        ReleaseResources();
        try
        {
            SafeAttachmentHandle? guard = null;
            try
            {
                try
                {
                    guard = AttachChecked(readOnly: true);
                }
                catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
                {
                    // No read permission (the owner may still remove it): check without attaching, from
                    // /proc/sysvipc/shm where IPC_STAT is refused too, so that the refusal is PermissionDenied.
                    if (!SystemVBackend.TryDescribe(Id, out SystemVSegmentRow listed)
                        || !IsThisSegment(listed.CreatorPid, listed.CreatorUid, listed.CreatorGid, listed.Size, listed.Key))
                    {
                        throw Gone();
                    }
                }
                string? lockLeft = SystemVSemaphoreLock.RemoveFor(this);
                Libc.ShmRemove(Id);
                RemovalWarning = lockLeft; // only once the segment is gone: a refused removal says it all
            }
            finally
            {
                guard?.Dispose();
            }
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
        if (SystemVBackend.TryDescribe(Id, out SystemVSegmentRow row))
        {
            Describe(row); // still attached somewhere: now marked, and its key is 0
        }
        else
        {
            IsMarkedForDeletion = true;
            _attachCount = 0; // gone at once: nobody was attached
        }
    }

    internal override void Resize(long size, bool sparse) => EnsureResizable();

    internal override void EnsureResizable() =>
        throw ErrorHelper.Make(ErrorIds.SystemVResizeNotSupported, SharedMemoryErrorCategory.InvalidOperation,
            $"{KindDescription} '{DisplayName}' (id {Id}) cannot be resized: System V segments have the size they were created with.",
            this, "Create a new segment of the size you need (New-SharedMemory -Kind SystemV), copy the data, and remove this one; or use a POSIX object, which can be resized.");

    /// <summary>The lock is a System V semaphore set with the segment's key (see SystemVSemaphoreLock).</summary>
    internal override LockHandle OpenLock(bool shared)
    {
        RefuseInForeignNamespace("locking");
        return SystemVSemaphoreLock.Open(this, shared);
    }

    internal override void SetPermission(UnixFileMode? mode, uint? ownerId, uint? groupId)
    {
        RefuseInForeignNamespace("changing permissions");
        if (mode is not null)
        {
            UnixMode.RequirePermissionBitsOnly(mode.Value);
        }
        try
        {
            ShmidDs ds = Libc.ShmStat(Id);
            if (!IsThisSegment(ds))
            {
                throw Gone();
            }
            if (ownerId is not null) ds.Perm.Uid = ownerId.Value;
            if (groupId is not null) ds.Perm.Gid = groupId.Value;
            if (mode is not null) ds.Perm.Mode = (ushort)((int)mode.Value & 0x1FF);
            Libc.ShmSet(Id, ds);
            SystemVSemaphoreLock.FollowSegment(Key, ds.Perm);
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
        RefreshCore();
    }

    #endregion

    #region Description

    internal static SystemVSharedMemory FromRow(SystemVSegmentRow row) => FromRow(row, null);

    /// <summary>A segment as a row describes it, in the IPC namespace of <paramref name="view"/> (null: the caller's).</summary>
    internal static SystemVSharedMemory FromRow(SystemVSegmentRow row, NamespaceView? view)
    {
        var shm = new SystemVSharedMemory(row.Id) { View = view };
        shm.Describe(row);
        return shm;
    }

    private void Describe(in SystemVSegmentRow row)
    {
        Key = row.Key;
        Name = new SystemVKey(row.Key).ToString();
        Size = row.Size;
        Mode = (UnixFileMode)(row.Perms & 0x1FF);
        IsMarkedForDeletion = (row.Perms & Libc.SHM_DEST) != 0;
        IsLocked = (row.Perms & Libc.SHM_LOCKED) != 0;
        CreatorProcessId = row.CreatorPid;
        _creator = (row.CreatorPid, row.CreatorUid, row.CreatorGid);
        LastProcessId = row.LastPid;
        _attachCount = row.AttachCount;
        OwnerId = row.Uid;
        GroupId = row.Gid;
        Owner = Accounts.UserName(row.Uid);
        Group = Accounts.GroupName(row.Gid);
        CreatorId = row.CreatorUid;
        CreatorGroupId = row.CreatorGid;
        LastAttachTime = FromUnixTime(row.AttachTime);
        LastDetachTime = FromUnixTime(row.DetachTime);
        ChangeTime = FromUnixTime(row.ChangeTime) ?? DateTime.UnixEpoch.ToLocalTime();
        _usage = row.Resident < 0 ? null : (row.Resident, row.Swapped);
    }

    private static DateTime? FromUnixTime(long seconds) =>
        seconds == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(seconds).LocalDateTime;

    #endregion
}
