using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The kinds that are files: POSIX objects (files in /dev/shm) and shared file mappings. Data moves
/// with pread/pwrite on a descriptor, never through a mapping, so another process shrinking or
/// removing the object gives a short read or an error, never a SIGBUS. Every descriptor opened by
/// path is checked to be the file that was described (device and inode), so a name or a parent
/// directory swapped meanwhile is refused, not followed to another file.
/// </summary>
public abstract partial class DescriptorSharedMemory : SharedMemory
{
    private readonly object _sync = new();
    private SafeFdHandle? _fd;
    private bool _writable;
    private SafeMappingHandle? _map;
    private FileKey _identity;

    private protected DescriptorSharedMemory(string name, string path) : base(name) => Path = path;

    /// <summary>The file that holds the data (/dev/shm/NAME for POSIX objects).</summary>
    public string Path { get; }

    public DateTime LastWriteTime { get; private set; }

    /// <summary>Bytes of memory or disk actually reserved (st_blocks × 512): less than Size when sparse.</summary>
    public long AllocatedBytes { get; private set; }

    private long? _residentBytes;
    private bool _residentMeasured;

    /// <summary>
    /// Bytes of the object in memory (resident pages × page size, as fincore reports them), measured
    /// with mincore(2) when first read and kept until Refresh(): a listing costs nothing until this is
    /// read, each reading maps the file once. Null where the caller may not open the file, or it is gone;
    /// any other failure (no descriptor left, no memory) is an error, not a null that would read as "unknown
    /// because not allowed", and is tried again at the next reading.
    /// </summary>
    public override long? ResidentBytes
    {
        get
        {
            if (!_residentMeasured)
            {
                _residentBytes = MeasureResidentBytes(); // throws, unmeasured, where the failure is not "may not"
                _residentMeasured = true;
            }
            return _residentBytes;
        }
    }

    /// <summary>On a descriptor of its own, so that reading a property keeps nothing open.</summary>
    private long? MeasureResidentBytes()
    {
        try
        {
            using SafeFdHandle fd = OpenVerified(Libc.O_RDONLY | Libc.O_NONBLOCK);
            return Libc.ResidentPages(fd, Libc.GetSize(fd)) * Environment.SystemPageSize;
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM or Errno.ENOENT)
        {
            return null; // not readable by the caller, or removed
        }
        catch (Exception e) when (e is ISharedMemoryError)
        {
            return null; // another file (or a link, a FIFO) stands at the path now
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, this);
        }
    }

    /// <summary>The processes that map it: those of Processes with a mapping (other kinds: see SharedMemory.AttachCount).</summary>
    public override int? AttachCount => Processes.Count(p => p.Mapped);

    private FileKey Key => _identity;

    /// <summary>Format-List shows a file's path, last write and allocation.</summary>
    internal override IReadOnlyCollection<string> ListProperties => s_listProperties;

    private static readonly string[] s_listProperties = { "Path", "LastWriteTime", "AllocatedBytes" };

    internal override bool IsFile(uint devMajor, uint devMinor, ulong inode) =>
        Libc.TryStatx(Path, out Statx st) && (st.DevMajor, st.DevMinor, st.Inode) == (devMajor, devMinor, inode);

    public override string FileId => $"{_identity.Major}:{_identity.Minor}:{_identity.Inode}";

    internal override List<SharedMemoryProcess> FindProcesses(ProcessIndex index) => index.ForFile(Key);

    private protected override ProcessIndex ScanForThis() => ProcessIndex.Scan(Key);

    /// <summary>Where /proc/locks could not be read a lock on the file is unknown: not left over (Get-SharedMemory warns).</summary>
    private protected override bool IsLeftOver(ProcessIndex index) => index.LocksUnknown is null;

    /// <summary>Opens the object's file; flags always include O_NOFOLLOW and O_CLOEXEC.</summary>
    private protected abstract SafeFdHandle OpenDescriptor(int flags);

    /// <summary>Takes a descriptor that the backend created or opened as this object's own.</summary>
    private protected void Adopt(SafeFdHandle fd, bool writable)
    {
        Statx st = Libc.FStatx(fd);
        if (!st.IsRegularFile)
        {
            fd.Dispose();
            throw ErrorHelper.NotRegular(KindDescription, Name, Path, st);
        }
        lock (_sync)
        {
            _fd?.Dispose();
            _fd = fd;
            _writable = writable;
            Describe(st);
        }
    }

    /// <summary>
    /// The descriptor, opened on first use and reopened read-write when a write needs it. A file that
    /// is not the one described (replaced, or reached through a swapped directory) is refused.
    /// </summary>
    private protected SafeFdHandle Descriptor(bool writable)
    {
        lock (_sync)
        {
            if (_fd is null || _fd.IsClosed || (writable && !_writable))
            {
                int access = writable ? Libc.O_RDWR : Libc.O_RDONLY;
                SafeFdHandle fd = OpenVerified(access | Libc.O_NONBLOCK);
                _fd?.Dispose(); // a call still using the old one keeps it alive until it returns
                _fd = fd;
                _writable = writable;
            }
            return _fd;
        }
    }

    /// <summary>Opens the file by path and checks that it is the one described.</summary>
    private SafeFdHandle OpenVerified(int flags)
    {
        SafeFdHandle fd = OpenDescriptor(flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        try
        {
            Statx st = Libc.FStatx(fd);
            if (FileKey.Of(st) != _identity)
            {
                throw Replaced();
            }
            if ((flags & (Libc.O_WRONLY | Libc.O_RDWR)) != 0)
            {
                RefuseHardLinks(st); // opened to be written or resized
            }
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>A second hard link in a directory other users can write to: refused for modification unless -Force (SafeOpen).</summary>
    private void RefuseHardLinks(in Statx st)
    {
        if (!HardLinksAllowed)
        {
            SafeOpen.RefuseHardLinks(KindDescription, Path, st);
        }
    }

    /// <summary>Whether a modification would be refused for hard links now (so that Attach() maps read-only instead).</summary>
    private bool HardLinksRefused()
    {
        try
        {
            if (Libc.TryStatx(Path, out Statx st))
            {
                RefuseHardLinks(st);
            }
            return false;
        }
        catch (Exception e) when (e is ISharedMemoryError)
        {
            return true;
        }
    }

    private Exception Replaced() =>
        ErrorHelper.Replaced(this, Path);

    /// <summary>Runs a call on the descriptor; one that was released by another thread meanwhile is opened again.</summary>
    private T OnDescriptor<T>(bool writable, Func<SafeFdHandle, T> call)
    {
        for (int attempt = 0; ; attempt++)
        {
            SafeFdHandle fd = Descriptor(writable);
            try
            {
                return call(fd);
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
                // Released by Close() or a cmdlet on another thread between Descriptor() and the call.
            }
        }
    }

    internal override bool HoldsResources => _fd is not null || _map is not null;

    internal override void ReleaseResources()
    {
        lock (_sync)
        {
            // A copy still running on another thread keeps the mapping and descriptor until it returns (SafeHandle).
            _map?.Dispose();
            _map = null;
            _fd?.Dispose();
            _fd = null;
        }
    }

    internal override bool HoldsMapping => _map is not null;

    /// <summary>Maps the whole object now (read-write if permitted), or keeps its descriptor where there is no guarded copy.</summary>
    internal override void AttachCore()
    {
        lock (_sync)
        {
            SafeFdHandle fd;
            try
            {
                // Another namespace's objects are only read; a hard-linked file another user may have planted too.
                fd = Descriptor(writable: View is null && !HardLinksRefused());
            }
            catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
            {
                fd = Descriptor(writable: false);
            }
            if (!Guard.IsAvailable || (_map is not null && !_map.IsClosed))
            {
                return;
            }
            long size = Libc.GetSize(fd);
            if (size > 0)
            {
                _map = MapWindow(fd, 0, Math.Min(size, WindowBytes));
            }
        }
    }

    private void ReleaseMapping()
    {
        lock (_sync)
        {
            _map?.Dispose();
            _map = null;
        }
    }


    /// <summary>
    /// Reads the metadata of the existing object at Path without opening it (so objects the caller may
    /// not read are described too); refuses a missing path, a symbolic link and anything not a regular file.
    /// </summary>
    private protected void DescribeExisting()
    {
        if (!TryStatFile(out Statx st))
        {
            throw NotFound();
        }
        if (!st.IsRegularFile)
        {
            throw ErrorHelper.NotRegular(KindDescription, Name, Path, st);
        }
        Describe(st);
    }

    /// <summary>statx of the object's file, not following a final symbolic link; false if nothing is there.</summary>
    private protected virtual bool TryStatFile(out Statx st) => Libc.TryStatx(Path, out st);

    internal void Describe(in Statx st)
    {
        _identity = FileKey.Of(st);
        Size = (long)st.Size;
        Mode = (UnixFileMode)st.PermissionBits;
        OwnerId = st.Uid;
        GroupId = st.Gid;
        Owner = Accounts.UserName(st.Uid);
        Group = Accounts.GroupName(st.Gid);
        ChangeTime = st.ChangeTime.ToDateTime();
        LastWriteTime = st.ModifyTime.ToDateTime();
        AllocatedBytes = (long)st.Blocks * 512;
        _residentMeasured = false;
    }

    /// <summary>
    /// Describes the object at Path again. If another file stands there now (removed and created again,
    /// or a directory on the path replaced), the object is gone: SharedMemoryNotFound, and this object stays
    /// the one it was, so no cmdlet given it acts on the new file.
    /// </summary>
    internal override void RefreshCore()
    {
        FileKey described = _identity;
        if (TryStatFile(out Statx st) && st.IsRegularFile && FileKey.Of(st) != described)
        {
            throw Replaced();
        }
        DescribeExisting();
        if (_identity != described)
        {
            _identity = described; // replaced in between: later uses refuse the new file too
            throw Replaced();
        }
    }

    private protected abstract Exception NotFound();

    internal override void FlushCore()
    {
        SafeFdHandle? fd = _fd;
        if (fd is not null && _writable)
        {
            Libc.FSync(fd);
        }
    }

    private protected override long CurrentSize(bool writing) => OnDescriptor(writing, Libc.GetSize);

    private protected override bool ReadStopsAtEnd => true;

    private protected override int ReadCore(long offset, Span<byte> buffer)
    {
        for (int attempt = 0; ; attempt++)
        {
            SafeFdHandle fd = Descriptor(writable: false);
            try
            {
                return Libc.PRead(fd, buffer, offset);
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
            }
        }
    }

    private protected override void WriteCore(long offset, ReadOnlySpan<byte> data)
    {
        for (int attempt = 0; ; attempt++)
        {
            SafeFdHandle fd = Descriptor(writable: true);
            try
            {
                Libc.PWrite(fd, data, offset);
                return;
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
            }
        }
    }

    /// <summary>Writes past RLIMIT_FSIZE would raise SIGXFSZ and stop half-way: refused before any byte moves.</summary>
    private protected override void CheckWriteLimit(long end) => SizeLimits.CheckFileSizeLimit(this, end);

    internal override void Resize(long size, bool sparse)
    {
        RefuseInForeignNamespace("resizing");
        SizeLimits.CheckFileSizeLimit(this, size);
        ReleaseMapping(); // mapped for the old size
        OnDescriptor(writable: true, fd =>
        {
            long current = Libc.GetSize(fd);
            if (size > current && !sparse)
            {
                if (ReservationDirectory is string directory)
                {
                    SizeLimits.CheckReservation(this, directory, size - current);
                }
                // Extends the file and reserves the new part, so a full file system fails here, not at a later write.
                Libc.PosixFAllocate(fd, current, size - current);
            }
            else
            {
                Libc.FTruncate(fd, size);
            }
            Describe(Libc.FStatx(fd));
            return 0;
        });
    }

    /// <summary>The file system whose free space a growth is checked against first; null where there is none (a region with no name).</summary>
    private protected virtual string? ReservationDirectory => System.IO.Path.GetDirectoryName(Path);

    /// <summary>flock(2) on a descriptor of the lock's own; read access is enough for either lock mode.</summary>
    internal override LockHandle OpenLock(bool shared)
    {
        RefuseInForeignNamespace("locking");
        return new FlockHandle(OpenVerified(Libc.O_RDONLY | Libc.O_NONBLOCK), shared, Path);
    }

    internal override void SetPermission(UnixFileMode? mode, uint? ownerId, uint? groupId)
    {
        RefuseInForeignNamespace("changing permissions");
        if (mode is not null)
        {
            UnixMode.RequirePermissionBitsOnly(mode.Value);
        }
        OnDescriptor(writable: false, fd =>
        {
            RefuseHardLinks(Libc.FStatx(fd));
            if (ownerId is not null || groupId is not null)
            {
                Libc.FChown(fd, ownerId ?? uint.MaxValue, groupId ?? uint.MaxValue);
            }
            if (mode is not null)
            {
                // After fchown: changing the owner clears setuid/setgid bits, and the mode asked for wins.
                Libc.FChmod(fd, (uint)mode.Value);
            }
            Describe(Libc.FStatx(fd));
            return 0;
        });
    }

    /// <summary>
    /// Removes the name, but only if it still names the file that was described: the check and the
    /// unlink happen in one open directory (unlinkat), so a directory on the path swapped for a link to
    /// another place cannot make ShmPS delete a file there.
    /// </summary>
    private protected void RemoveVerified()
    {
        string directory = System.IO.Path.GetDirectoryName(Path) ?? "/";
        string name = System.IO.Path.GetFileName(Path);
        using SafeFdHandle dir = Libc.Open(directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (!Libc.TryStatxAt(dir, name, out Statx st))
        {
            throw NotFound();
        }
        if (FileKey.Of(st) != _identity)
        {
            throw Replaced();
        }
        try
        {
            Libc.UnlinkAt(dir, name);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            throw NotFound();
        }
        // The memory is freed once no process holds the file open: this object lets go of its own.
        ReleaseResources();
    }

}
