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
/// copied through an attachment (its region in the mapping seam), kept by methods and by a cmdlet while it works.
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
        "LastAttachTime", "LastDetachTime", "IsMarkedForDeletion", "IsPinned", "SwappedBytes",
    };

    internal override (string? Key, string? Id, string? Status, bool NamedByKey) IpcsColumns =>
        (FormatKey(Key), Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            string.Join(' ', new[] { IsMarkedForDeletion ? "dest" : null, IsPinned ? "locked" : null }.OfType<string>()), true);


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

    private bool _segmentPinned;

    /// <summary>Locked in RAM with SHM_LOCK (SHM_LOCKED), by anyone, as of the last refresh: ipcs -m shows "locked".</summary>
    public override bool IsPinned => _segmentPinned;

    /// <summary>The former name of IsPinned (SHM_LOCKED), kept for scripts that use it; not the lock of Lock-SharedMemory.</summary>
    public bool IsLocked => IsPinned;

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

    // The attachment the object keeps: for methods until Close() or Detach(), for a cmdlet until it is done
    // with the object (as the other kinds keep their mapping). shmat attaches a whole segment, never a part
    // of one, so a segment's region is its attachment, bounded by SHMMAX rather than by a window.
    private SafeAttachmentHandle? _kept;

    private protected override bool CopiesThroughRegion(int count) => true; // a segment has no system call for data

    /// <summary>
    /// The kept attachment (attached now if need be; a segment cannot shrink while attached). A cmdlet's copy
    /// attaches for that copy alone, checking each time that the segment is still this one (so a segment
    /// removed during a long Write-SharedMemory is SharedMemoryNotFound, not data written where nobody can
    /// find it), unless methods keep an attachment; a cmdlet beside a session that protected part of its
    /// attachment always gets one of its own. A word leased for a wait is kept until the cmdlet is done.
    /// </summary>
    private protected override SafeRegionHandle? ProvideRegion(long offset, long count, bool writing, bool keep = false)
    {
        CheckRange(offset, count, Size);
        if (count == 0)
        {
            return null;
        }
        try
        {
            if (InCommand && (HasProtections || (_kept is null && !keep)))
            {
                SafeAttachmentHandle own = AttachChecked(readOnly: !writing);
                own.Transient = true;
                own.ForOneCommand = true;
                return own;
            }
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
        AttachCore();
        SafeAttachmentHandle kept = _kept ?? throw new ObjectDisposedException(nameof(SystemVSharedMemory)); // detached meanwhile: the caller retries
        if (writing && kept.IsReadOnly)
        {
            throw ErrorHelper.FromNative(new NativeException("shmat", Errno.EACCES), this);
        }
        return kept;
    }

    /// <summary>A fault in an attachment (a huge page the system could not give, say): nothing past that point was copied.</summary>
    private protected override Exception? RegionFault(long offset, long count, bool writing) =>
        ErrorHelper.FromNative(new NativeException(writing ? "store to attachment" : "load from attachment", Errno.EFAULT), this);

    /// <summary>MADV_REMOVE on the attachment: the segment's pages go back to the system, for every process attached.</summary>
    private protected override bool ReleaseRange(long offset, long count) => RemovePages(offset, count);

    private protected override void ForgetResidency() => _usage = null;

    // Copies go through the attachment (CopiesThroughRegion), never here.
    private protected override int ReadCore(long offset, Span<byte> buffer) =>
        throw new InvalidOperationException("System V segments are copied through their attachment.");

    private protected override void WriteCore(long offset, ReadOnlySpan<byte> data) =>
        throw new InvalidOperationException("System V segments are copied through their attachment.");

    /// <summary>SHM_LOCK or SHM_UNLOCK: the segment's own, whoever asks, until undone or the segment is removed.</summary>
    private protected override void PinCore(bool pin)
    {
        try
        {
            InNamespace(() =>
            {
                ShmidDs ds = Libc.ShmStat(Id);
                if (!IsThisSegment(ds))
                {
                    throw Gone();
                }
                Libc.ShmLock(Id, pin);
                return true;
            });
        }
        catch (NativeException e) when (pin && e.Errno == Errno.ENOMEM)
        {
            throw ErrorHelper.MemoryLockLimitExceeded(this, Size, e);
        }
        catch (NativeException e)
        {
            throw Failure(e);
        }
        RefreshCore();
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
                SafeAttachmentHandle attached;
                try
                {
                    attached = AttachChecked(readOnly: View is not null); // another namespace's segments are only read
                }
                catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
                {
                    attached = AttachChecked(readOnly: true);
                }
                attached.ForOneCommand = InCommand;
                try
                {
                    ConfigureRegion(attached);
                }
                catch
                {
                    attached.Dispose();
                    throw;
                }
                _kept = attached;
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
        throw ErrorHelper.SystemVResizeNotSupported(this, Id);

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
        _segmentPinned = (row.Perms & Libc.SHM_LOCKED) != 0;
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
