using System;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// A shared mapping of a regular file (mmap MAP_SHARED). Its data lives in the file, so it survives
/// restarts; ShmPS moves data with pread/pwrite on the file, which other processes' MAP_SHARED
/// mappings see at once (one page cache), and a truncation by another process cannot fault it.
/// </summary>
public sealed class FileSharedMemory : DescriptorSharedMemory
{
    private FileSharedMemory(string path) : base(path, path) { }

    public override SharedMemoryKind Kind => SharedMemoryKind.File;

    internal override string KindDescription => "shared file mapping";

    private protected override SafeFdHandle OpenDescriptor(int flags) => Libc.Open(Path, flags, 0);

    private protected override SharedMemoryException NotFound() => ErrorHelper.NotFound(KindDescription, Path);

    /// <summary>Writes the data to the storage device before returning (fsync).</summary>
    public override void Flush()
    {
        try
        {
            base.Flush();
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, this);
        }
    }

    internal override bool RemovalIsHighImpact => true;

    internal override void Remove()
    {
        try
        {
            Libc.Unlink(Path);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            throw NotFound();
        }
        ReleaseDescriptor();
    }

    #region Backend

    /// <summary>The existing regular file at an absolute path, described without opening it.</summary>
    public static FileSharedMemory Find(string path)
    {
        var shm = new FileSharedMemory(path);
        shm.DescribeExisting();
        return shm;
    }

    /// <summary>
    /// Creates the file exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) with exactly <paramref name="mode"/> and,
    /// unless sparse, its blocks reserved. With <paramref name="openExisting"/> an existing regular file is
    /// opened as it is (never truncated); directories, devices, FIFOs and symbolic links are refused.
    /// </summary>
    public static FileSharedMemory Create(string path, long size, UnixFileMode mode, bool sparse, bool openExisting,
        out bool created)
    {
        string directory = System.IO.Path.GetDirectoryName(path) ?? "/";
        if (!System.IO.Directory.Exists(directory))
        {
            throw SizeLimits.DirectoryNotFound(directory);
        }
        var shm = new FileSharedMemory(path);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (openExisting && Libc.TryStatx(path, out Statx existing))
                {
                    if (!existing.IsRegularFile) throw NotRegular(path, existing);
                    // O_NONBLOCK so that a FIFO swapped in after the check cannot block the open.
                    shm.Attach(Libc.Open(path, Libc.O_RDWR | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0), writable: true);
                    created = false;
                    return shm;
                }
                SizeLimits.CheckNewFile(path, directory, size, sparse);
                SafeFdHandle fd = Libc.Open(path,
                    Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, (uint)mode & 0x1FF);
                shm.Initialize(fd, size, mode, sparse, () => Libc.Unlink(path));
                created = true;
                return shm;
            }
            catch (NativeException e) when (openExisting && attempt < 3 && e.Errno is Errno.EEXIST or Errno.ENOENT)
            {
                continue; // created or removed by someone else between the check and the open
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST)
            {
                throw Libc.TryStatx(path, out Statx st) && !st.IsRegularFile
                    ? NotRegular(path, st)
                    : ErrorHelper.Exists(shm.KindDescription, path);
            }
            catch (NativeException e) when (e.Errno == Errno.ELOOP)
            {
                throw ErrorHelper.SymbolicLinkRefused("shared file mapping", path);
            }
            catch (NativeException e)
            {
                throw ErrorHelper.FromNative(e, path);
            }
        }
    }

    private static SharedMemoryException NotRegular(string path, in Statx st) =>
        ErrorHelper.NotRegular("shared file mapping", path, path, st);

    #endregion
}
