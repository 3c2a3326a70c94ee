using System;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>How the kinds that are files are created: complete before anyone sees them.</summary>
public abstract partial class DescriptorSharedMemory
{
    #region Creation

    /// <summary>
    /// Creates the file at Path exclusively with exactly <paramref name="mode"/> and (unless sparse)
    /// its space reserved. The file is made unnamed in its directory (O_TMPFILE), sized and given its
    /// mode, and only then linked at Path, so that nobody, a concurrent New-SharedMemory -Force
    /// included, can see it half-made. Returns false if the name exists. File systems without
    /// O_TMPFILE get O_CREAT|O_EXCL and then the size and mode.
    /// </summary>
    internal bool TryCreate(ref SafeFdHandle? unnamed, long size, UnixFileMode mode, bool sparse,
        Func<int, uint, SafeFdHandle> createNamed, Action removeNamed)
    {
        string directory = System.IO.Path.GetDirectoryName(Path) ?? "/";
        unnamed ??= TryCreateUnnamed(directory, size, mode, sparse);
        if (unnamed is not null)
        {
            try
            {
                Libc.LinkDescriptor(unnamed, Path);
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST)
            {
                return false;
            }
            Adopt(unnamed, writable: true);
            unnamed = null;
            return true;
        }
        SafeFdHandle fd;
        try
        {
            fd = createNamed(Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, (uint)mode & 0x1FF);
        }
        catch (NativeException e) when (e.Errno == Errno.EEXIST)
        {
            return false;
        }
        try
        {
            Prepare(fd, size, mode, sparse);
            Adopt(fd, writable: true);
        }
        catch
        {
            removeNamed();
            fd.Dispose();
            throw;
        }
        return true;
    }

    /// <summary>An unnamed, prepared file in <paramref name="directory"/>, or null where the file system has no O_TMPFILE.</summary>
    private static SafeFdHandle? TryCreateUnnamed(string directory, long size, UnixFileMode mode, bool sparse)
    {
        SafeFdHandle fd;
        try
        {
            fd = Libc.Open(directory, Libc.O_TMPFILE | Libc.O_RDWR | Libc.O_CLOEXEC, (uint)mode & 0x1FF);
        }
        catch (NativeException e) when (e.Errno is Errno.EOPNOTSUPP or Errno.EISDIR or Errno.EINVAL)
        {
            return null;
        }
        try
        {
            Prepare(fd, size, mode, sparse);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
        return fd;
    }

    /// <summary>Gives a new file its exact mode (the umask applied at creation) and its size, reserved unless sparse.</summary>
    private static void Prepare(SafeFdHandle fd, long size, UnixFileMode mode, bool sparse)
    {
        Libc.FChmod(fd, (uint)mode);
        if (sparse)
        {
            Libc.FTruncate(fd, size);
        }
        else
        {
            Libc.PosixFAllocate(fd, 0, size);
        }
    }

    /// <summary>Opens an existing file read-write as this object; never O_CREAT.</summary>
    private protected void OpenExisting()
    {
        Adopt(OpenDescriptor(Libc.O_RDWR | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK), writable: true);
    }

    #endregion
}
