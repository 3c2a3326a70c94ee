using System;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The kinds that are files: POSIX objects (files in /dev/shm) and shared file mappings. Data moves
/// with pread/pwrite on a descriptor, never through a mapping, so another process shrinking or
/// removing the object gives a short read or an error, never a SIGBUS.
/// </summary>
public abstract class DescriptorSharedMemory : SharedMemory
{
    private SafeFdHandle? _fd;
    private bool _writable;
    private ulong _inode;

    private protected DescriptorSharedMemory(string name, string path) : base(name) => Path = path;

    /// <summary>The file that holds the data (/dev/shm/NAME for POSIX objects).</summary>
    public string Path { get; }

    public DateTime LastWriteTime { get; private set; }

    /// <summary>Bytes of memory or disk actually reserved (st_blocks × 512): less than Size when sparse.</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Opens the object's file; flags always include O_NOFOLLOW and O_CLOEXEC.</summary>
    private protected abstract SafeFdHandle OpenDescriptor(int flags);

    /// <summary>Takes ownership of a descriptor that the backend opened or created.</summary>
    private protected void Attach(SafeFdHandle fd, bool writable)
    {
        Statx st = Libc.FStatx(fd);
        RequireRegularFile(st, fd);
        _fd?.Dispose();
        _fd = fd;
        _writable = writable;
        Populate(st);
    }

    /// <summary>The descriptor, opened on first use and reopened read-write when a write needs it.</summary>
    private protected SafeFdHandle Descriptor(bool writable)
    {
        if (_fd is null || _fd.IsClosed || (writable && !_writable))
        {
            int access = writable ? Libc.O_RDWR : Libc.O_RDONLY;
            SafeFdHandle fd;
            try
            {
                fd = OpenDescriptor(access | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
            }
            catch (NativeException e)
            {
                throw ErrorHelper.FromNative(e, this);
            }
            Attach(fd, writable);
        }
        return _fd!;
    }

    private void RequireRegularFile(in Statx st, SafeFdHandle fd)
    {
        if (!st.IsRegularFile)
        {
            fd.Dispose();
            throw ErrorHelper.NotRegular(KindDescription, Name, Path, st);
        }
    }

    /// <summary>
    /// Reads the metadata of the existing object at Path without opening it (so objects the caller may
    /// not read are described too); refuses a missing path, a symbolic link and anything not a regular file.
    /// </summary>
    private protected void DescribeExisting()
    {
        if (!Libc.TryStatx(Path, out Statx st))
        {
            throw NotFound();
        }
        if (!st.IsRegularFile)
        {
            throw ErrorHelper.NotRegular(KindDescription, Name, Path, st);
        }
        Populate(st);
    }

    internal void Populate(in Statx st)
    {
        _inode = st.Inode;
        Size = (long)st.Size;
        Mode = (UnixFileMode)st.PermissionBits;
        OwnerId = st.Uid;
        GroupId = st.Gid;
        Owner = Accounts.UserName(st.Uid);
        Group = Accounts.GroupName(st.Gid);
        ChangeTime = st.ChangeTime.ToDateTime();
        LastWriteTime = st.ModifyTime.ToDateTime();
        AllocatedBytes = (long)st.Blocks * 512;
    }

    public override void Refresh()
    {
        ulong before = _inode;
        DescribeExisting();
        if (_fd is not null && _inode != before)
        {
            // The name now refers to another object: forget the descriptor of the old one.
            _fd.Dispose();
            _fd = null;
        }
    }

    private protected abstract SharedMemoryException NotFound();

    public override void Flush()
    {
        if (_fd is not null && _writable)
        {
            Libc.FSync(_fd);
        }
    }

    private protected override long CurrentSize(bool writing)
    {
        try
        {
            return Libc.GetSize(Descriptor(writing));
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, this);
        }
    }

    private protected override bool ReadStopsAtEnd => true;

    private protected override int ReadCore(long offset, Span<byte> buffer)
    {
        try
        {
            return Libc.PRead(Descriptor(writable: false), buffer, offset);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, this);
        }
    }

    private protected override void WriteCore(long offset, ReadOnlySpan<byte> data)
    {
        try
        {
            Libc.PWrite(Descriptor(writable: true), data, offset);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, this);
        }
    }

    internal override void Resize(long size, bool sparse)
    {
        SafeFdHandle fd = Descriptor(writable: true);
        long current = Libc.GetSize(fd);
        if (size > current && !sparse)
        {
            SizeLimits.CheckReservation(this, System.IO.Path.GetDirectoryName(Path)!, size - current);
            // Extends the file and reserves the new part, so a full file system fails here, not at a later write.
            Libc.PosixFAllocate(fd, current, size - current);
        }
        else
        {
            Libc.FTruncate(fd, size);
        }
        Populate(Libc.FStatx(fd));
    }

    /// <summary>flock(2) on a descriptor of the lock's own; read access is enough for either lock mode.</summary>
    internal override LockHandle OpenLock(bool shared)
    {
        SafeFdHandle fd;
        try
        {
            fd = OpenDescriptor(Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, this);
        }
        return new FlockHandle(fd, shared, Path);
    }

    internal override void SetPermission(UnixFileMode? mode, uint? ownerId, uint? groupId)
    {
        SafeFdHandle fd = Descriptor(writable: false);
        if (ownerId is not null || groupId is not null)
        {
            Libc.FChown(fd, ownerId ?? uint.MaxValue, groupId ?? uint.MaxValue);
        }
        if (mode is not null)
        {
            // After fchown: changing the owner clears setuid/setgid bits, and the mode asked for wins.
            Libc.FChmod(fd, (uint)mode.Value);
        }
        Populate(Libc.FStatx(fd));
    }

    /// <summary>Creates, reserves and sets the exact mode on a new file; removes it again on failure.</summary>
    private protected void Initialize(SafeFdHandle fd, long size, UnixFileMode mode, bool sparse, Action removeName)
    {
        try
        {
            // The umask applied at creation: fchmod makes the mode exactly what was asked.
            Libc.FChmod(fd, (uint)mode);
            if (sparse)
            {
                Libc.FTruncate(fd, size);
            }
            else
            {
                Libc.PosixFAllocate(fd, 0, size);
            }
            Attach(fd, writable: true);
        }
        catch
        {
            removeName();
            fd.Dispose();
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fd?.Dispose();
            _fd = null;
        }
    }

    /// <summary>Drops the descriptor after a removal, so the memory is freed once others close theirs.</summary>
    private protected void ReleaseDescriptor() => Dispose(true);
}
