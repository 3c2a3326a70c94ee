using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// A System V shared memory segment (shmget): a key (0 = IPC_PRIVATE) and an id. Fixed size. Data is
/// copied through an attachment that lasts one operation, read-only for reads.
/// </summary>
public sealed class SystemVSharedMemory : SharedMemory
{
    private const string ProcTable = "/proc/sysvipc/shm";

    private SystemVSharedMemory(int id) : base("") => Id = id;

    public override SharedMemoryKind Kind => SharedMemoryKind.SystemV;

    internal override string KindDescription => "System V shared memory segment";

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
    public long ResidentBytes => Usage.Resident;

    /// <summary>Bytes of the segment in swap.</summary>
    public long SwappedBytes => Usage.Swapped;

    private (long Resident, long Swapped) Usage =>
        _usage ??= TryReadTable(Id, key: null, out ProcRow row) ? (row.Resident, row.Swapped) : (0, 0);

    /// <summary>0x%08x, as ipcs shows keys.</summary>
    public static string FormatKey(int key) => "0x" + key.ToString("x8", CultureInfo.InvariantCulture);

    #region Data access

    private protected override long CurrentSize(bool writing) => Size; // fixed at creation

    // An attachment kept by Attach() until Detach(); otherwise each operation attaches and detaches.
    private SafeAttachmentHandle? _kept;

    private protected override int ReadCore(long offset, Span<byte> buffer)
    {
        try
        {
            SafeAttachmentHandle? kept = _kept;
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
            SafeAttachmentHandle? kept = _kept;
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

    /// <summary>
    /// Keeps the segment attached to this process until Detach() or Close(), so that many reads and
    /// writes through this object skip attaching and detaching each time (read-write if permitted,
    /// else read-only). While attached it counts in AttachCount, and a removed segment's memory stays
    /// until it is detached. Cmdlets never keep attachments.
    /// </summary>
    public void Attach()
    {
        try
        {
            ThrowIfClosed();
            lock (_sync)
            {
                if (_kept is not null)
                {
                    return;
                }
                try
                {
                    _kept = AttachChecked(readOnly: false);
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

    /// <summary>Releases the attachment kept by Attach(), if any (shmdt).</summary>
    public void Detach() => ReleaseResources();

    /// <summary>True while Attach() keeps the segment attached.</summary>
    public bool IsAttached => _kept is not null;

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
            attachment.Populate(offset, count);
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
        SafeAttachmentHandle attachment = Libc.ShmAttach(Id, readOnly, out ShmidDs ds);
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

    private SharedMemoryException Gone() => ErrorHelper.NotFound(KindDescription, $"{Name} (id {Id})");

    #endregion

    /// <summary>A failed call on this segment's id: EINVAL and EIDRM both mean the segment is gone.</summary>
    private SharedMemoryException Failure(NativeException e) => e.Errno is Errno.EINVAL or Errno.EIDRM
        ? Gone()
        : ErrorHelper.FromNative(e, this);

    #region Management

    internal override void RefreshCore()
    {
        if (!TryDescribe(Id, out ProcRow row) || !IsThisSegment(row.CreatorPid, row.CreatorUid, row.CreatorGid, row.Size, row.Key))
        {
            throw Gone();
        }
        Populate(row);
    }

    /// <summary>
    /// IPC_RMID of this segment, not of another that reuses its id: attached (where permitted) while
    /// checking and removing, so the id cannot change hands in between.
    /// </summary>
    internal override void Remove()
    {
        Detach();
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
                    // No read permission (the owner may still remove it): check without attaching.
                    if (!IsThisSegment(Libc.ShmStatOrDefault(Id)))
                    {
                        throw Gone();
                    }
                }
                SystemVSemaphoreLock.RemoveFor(this);
                Libc.ShmRemove(Id);
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
        if (TryDescribe(Id, out ProcRow row))
        {
            Populate(row); // still attached somewhere: now marked, and its key is 0
        }
        else
        {
            IsMarkedForDeletion = true;
        }
    }

    internal override void Resize(long size, bool sparse) => EnsureResizable();

    internal override void EnsureResizable() =>
        throw new SharedMemoryException(ErrorIds.SystemVResizeNotSupported, ErrorCategory.InvalidOperation,
            $"{KindDescription} '{Name}' (id {Id}) cannot be resized: System V segments have the size they were created with.",
            this, "Create a new segment of the size you need (New-SharedMemory -Kind SystemV), copy the data, and remove this one; or use a POSIX object, which can be resized.");

    /// <summary>The lock is a System V semaphore set with the segment's key (see SystemVSemaphoreLock).</summary>
    internal override LockHandle OpenLock(bool shared) => SystemVSemaphoreLock.Open(this, shared);

    internal override void SetPermission(UnixFileMode? mode, uint? ownerId, uint? groupId)
    {
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

    #region Backend

    /// <summary>
    /// Creates a segment. <paramref name="key"/> null draws a key from a CSPRNG (redrawn on collision),
    /// 0 is IPC_PRIVATE. Exclusive (IPC_EXCL) unless <paramref name="openExisting"/>, which opens an
    /// existing segment as it is. The mode is exact: the umask does not apply to System V segments.
    /// </summary>
    public static SystemVSharedMemory Create(int? key, long size, UnixFileMode mode, bool openExisting, bool hugePages,
        out bool created)
    {
        RequireKnownLayout();
        UnixMode.RequirePermissionBitsOnly(mode);
        CheckSize(size);
        for (int attempt = 0; ; attempt++)
        {
            int k = key ?? GenerateKey();
            try
            {
                if (openExisting && k != Libc.IPC_PRIVATE)
                {
                    try
                    {
                        int existing = Libc.ShmGet(k, 0, 0);
                        created = false;
                        return FindById(existing);
                    }
                    catch (NativeException e) when (e.Errno == Errno.ENOENT)
                    {
                        // not there: create it below
                    }
                }
                int flags = ((int)mode & 0x1FF) | Libc.IPC_CREAT | Libc.IPC_EXCL | (hugePages ? Libc.SHM_HUGETLB : 0);
                int id = Libc.ShmGet(k, size, flags);
                created = true;
                return FindById(id);
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST && key is null && attempt < 100)
            {
                continue;
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST && openExisting && attempt < 3)
            {
                continue; // created by someone else between the two calls
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST)
            {
                throw ErrorHelper.Exists("System V shared memory segment with key", FormatKey(k));
            }
            catch (NativeException e) when (hugePages && e.Errno is Errno.ENOMEM or Errno.EINVAL or Errno.EPERM)
            {
                throw HugePagesUnavailable(size, e);
            }
            catch (NativeException e) when (e.Errno == Errno.ENOSPC)
            {
                throw new SharedMemoryException(ErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded,
                    $"Cannot create a System V segment: the system-wide limit on segments (kernel.shmmni) or on pages (kernel.shmall) is reached.",
                    FormatKey(k), "Remove segments that are no longer needed (Get-SharedMemory -Kind SystemV), or raise kernel.shmmni/shmall with sysctl.", e);
            }
            catch (NativeException e)
            {
                throw ErrorHelper.FromNative(e, FormatKey(k));
            }
        }
    }

    /// <summary>Rejects a size of 0, a negative size, or one above kernel.shmmax, naming the limit.</summary>
    private static void CheckSize(long size)
    {
        if (size <= 0)
        {
            throw ErrorHelper.InvalidSize(size, "the size must be at least 1 byte.");
        }
        if (ulong.TryParse(ReadProcValue("/proc/sys/kernel/shmmax"), out ulong shmmax) && (ulong)size > shmmax)
        {
            throw ErrorHelper.InsufficientSpace("a new System V segment", size, "kernel.shmmax (/proc/sys/kernel/shmmax)",
                (long)Math.Min(shmmax, long.MaxValue));
        }
    }

    private static SharedMemoryException HugePagesUnavailable(long size, NativeException e)
    {
        string total = "?", free = "?", pageSize = "?";
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            string value = line[(line.IndexOf(':') + 1)..].Trim();
            if (line.StartsWith("HugePages_Total:")) total = value;
            else if (line.StartsWith("HugePages_Free:")) free = value;
            else if (line.StartsWith("Hugepagesize:")) pageSize = value;
        }
        return new SharedMemoryException(ErrorIds.HugePagesUnavailable, ErrorCategory.ResourceUnavailable,
            $"Cannot create a {size}-byte segment in huge pages ({Errno.Describe(e.Errno)}): the system has {total} huge pages of {pageSize}, {free} free.",
            size, "Reserve huge pages (sysctl vm.nr_hugepages=N), make the size a multiple of the huge page size, and check vm.hugetlb_shm_group; or omit -HugePages.", e);
    }

    public static SystemVSharedMemory FindByKey(int key)
    {
        if (key == Libc.IPC_PRIVATE)
        {
            throw new SharedMemoryException(ErrorIds.InvalidKey, ErrorCategory.InvalidArgument,
                "Key 0 is IPC_PRIVATE: private segments (and segments marked for removal) have no key to find them by.",
                key, "Use -Id to name a private segment.");
        }
        int id;
        try
        {
            // shmget with no flags only looks the key up: no permission is needed for that.
            id = Libc.ShmGet(key, 0, 0);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            throw ErrorHelper.NotFound("System V shared memory segment with key", FormatKey(key));
        }
        catch (NativeException)
        {
            return TryReadTable(id: null, key, out ProcRow row) ? FromRow(row)
                : throw ErrorHelper.NotFound("System V shared memory segment with key", FormatKey(key));
        }
        return FindById(id);
    }

    public static SystemVSharedMemory FindById(int id) =>
        TryDescribe(id, out ProcRow row) ? FromRow(row)
        : throw ErrorHelper.NotFound("System V shared memory segment with id", id.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// One segment's state by IPC_STAT, or from /proc/sysvipc/shm when the caller may not IPC_STAT it
    /// (no read permission). False if there is no such segment (EINVAL and EIDRM both mean gone).
    /// </summary>
    private static bool TryDescribe(int id, out ProcRow row)
    {
        ShmidDs ds;
        try
        {
            ds = Libc.ShmStat(id);
        }
        catch (NativeException e) when (e.Errno is Errno.EINVAL or Errno.EIDRM)
        {
            row = default;
            return false;
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            return TryReadTable(id, key: null, out row);
        }
        row = new ProcRow(ds.Perm.Key, id, ds.Perm.Mode, (long)ds.SegmentSize, ds.CreatorPid, ds.LastPid, (int)ds.AttachCount,
            ds.Perm.Uid, ds.Perm.Gid, ds.Perm.CreatorUid, ds.Perm.CreatorGid, ds.AttachTime, ds.DetachTime, ds.ChangeTime,
            Resident: -1, Swapped: -1);
        return true;
    }

    /// <summary>Every segment on the system, from one read of /proc/sysvipc/shm.</summary>
    public static IEnumerable<SystemVSharedMemory> EnumerateAll()
    {
        foreach (ProcRow row in ReadTable())
        {
            yield return FromRow(row);
        }
    }

    /// <summary>
    /// The key ftok(3) derives from an existing file and a project id (only its low 8 bits count, and
    /// it must not be 0), so that programs agreeing on a file agree on the key.
    /// </summary>
    public static int KeyFromPath(string path, int projectId)
    {
        if ((projectId & 0xFF) == 0)
        {
            throw new SharedMemoryException(ErrorIds.InvalidProjectId, ErrorCategory.InvalidArgument,
                $"Project id {projectId} has 0 in its low 8 bits; ftok uses only those bits and they must not be 0.",
                projectId, "Give a project id from 1 to 255.");
        }
        try
        {
            return Libc.FTok(path, projectId);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, path);
        }
    }

    /// <summary>Parses a key as users and ipcs write it: 0x0000abcd, 43981, or -1.</summary>
    public static int ParseKey(string text)
    {
        string s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && uint.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex))
        {
            return unchecked((int)hex);
        }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long dec)
            && dec >= int.MinValue && dec <= uint.MaxValue)
        {
            return unchecked((int)dec);
        }
        throw new SharedMemoryException(ErrorIds.InvalidKey, ErrorCategory.InvalidArgument,
            $"'{text}' is not a System V key.", text, "Give a key such as 0x0000abcd or a 32-bit number.");
    }

    private static int GenerateKey()
    {
        int key;
        do
        {
            key = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        }
        while (key == Libc.IPC_PRIVATE || key == -1);
        return key;
    }

    /// <summary>The shmid_ds layout is known for x86_64 and aarch64 only; anything else gets an error, not wrong numbers.</summary>
    private static void RequireKnownLayout()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            throw new PlatformNotSupportedException(
                $"The layout of struct shmid_ds on {RuntimeInformation.ProcessArchitecture} is not known to ShmPS.");
        }
    }

    private static SystemVSharedMemory FromRow(in ProcRow row)
    {
        var shm = new SystemVSharedMemory(row.Id);
        shm.Populate(row);
        return shm;
    }

    private void Populate(in ProcRow row)
    {
        Key = row.Key;
        Name = FormatKey(row.Key);
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

    #region /proc/sysvipc/shm

    /// <summary>
    /// One row of /proc/sysvipc/shm, which lists every segment, even those the caller cannot IPC_STAT;
    /// also built from IPC_STAT, with Resident and Swapped -1 (unknown).
    /// </summary>
    private readonly record struct ProcRow(int Key, int Id, int Perms, long Size, int CreatorPid, int LastPid, int AttachCount,
        uint Uid, uint Gid, uint CreatorUid, uint CreatorGid, long AttachTime, long DetachTime, long ChangeTime,
        long Resident, long Swapped);

    private static bool TryReadTable(int? id, int? key, out ProcRow found)
    {
        foreach (ProcRow row in ReadTable())
        {
            if ((id is null || row.Id == id) && (key is null || row.Key == key))
            {
                found = row;
                return true;
            }
        }
        found = default;
        return false;
    }

    private static IEnumerable<ProcRow> ReadTable()
    {
        string[] lines;
        try
        {
            // One read: the kernel produces a consistent snapshot per read, so segments removed meanwhile
            // are simply absent instead of failing half-way.
            lines = File.ReadAllLines(ProcTable);
        }
        catch (FileNotFoundException)
        {
            yield break; // kernel without CONFIG_SYSVIPC
        }
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 14) continue;
            // key shmid perms(octal) size cpid lpid nattch uid gid cuid cgid atime dtime ctime [rss swap]
            yield return new ProcRow(
                Key: int.Parse(f[0], CultureInfo.InvariantCulture),
                Id: int.Parse(f[1], CultureInfo.InvariantCulture),
                Perms: Convert.ToInt32(f[2], 8),
                Size: (long)ulong.Parse(f[3], CultureInfo.InvariantCulture),
                CreatorPid: int.Parse(f[4], CultureInfo.InvariantCulture),
                LastPid: int.Parse(f[5], CultureInfo.InvariantCulture),
                AttachCount: int.Parse(f[6], CultureInfo.InvariantCulture),
                Uid: uint.Parse(f[7], CultureInfo.InvariantCulture),
                Gid: uint.Parse(f[8], CultureInfo.InvariantCulture),
                CreatorUid: uint.Parse(f[9], CultureInfo.InvariantCulture),
                CreatorGid: uint.Parse(f[10], CultureInfo.InvariantCulture),
                AttachTime: long.Parse(f[11], CultureInfo.InvariantCulture),
                DetachTime: long.Parse(f[12], CultureInfo.InvariantCulture),
                ChangeTime: long.Parse(f[13], CultureInfo.InvariantCulture),
                Resident: f.Length > 14 ? (long)ulong.Parse(f[14], CultureInfo.InvariantCulture) : 0,
                Swapped: f.Length > 15 ? (long)ulong.Parse(f[15], CultureInfo.InvariantCulture) : 0);
        }
    }

    private static string? ReadProcValue(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    #endregion
}
