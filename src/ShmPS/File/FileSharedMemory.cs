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

    /// <summary>Flush() and -Flush write the data to the storage device before returning (fsync).</summary>
    internal override bool RemovalIsHighImpact => true;

    internal override void Remove() => RemoveVerified();

    #region Backend

    /// <summary>The existing regular file at an absolute path, described without opening it.</summary>
    public static FileSharedMemory Find(string path)
    {
        var shm = new FileSharedMemory(PathRules.Check(path));
        shm.DescribeExisting();
        return shm;
    }

    /// <summary>
    /// Creates the file exclusively with exactly <paramref name="mode"/> and, unless sparse, its blocks
    /// reserved; it appears complete (see TryCreate). With <paramref name="openExisting"/> an existing
    /// regular file is opened as it is (never truncated); directories, devices, FIFOs and symbolic links are refused.
    /// </summary>
    public static FileSharedMemory Create(string path, long size, UnixFileMode mode, bool sparse, bool openExisting,
        out bool created)
    {
        UnixMode.RequirePermissionBitsOnly(mode);
        PathRules.Check(path);
        string directory = System.IO.Path.GetDirectoryName(path) ?? "/";
        if (!System.IO.Directory.Exists(directory))
        {
            throw SizeLimits.DirectoryNotFound(directory);
        }
        var shm = new FileSharedMemory(path);
        SafeFdHandle? unnamed = null;
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                if (openExisting && Libc.TryStatx(path, out Statx existing))
                {
                    // Checked before opening: opening a device or a FIFO can have effects of its own.
                    if (!existing.IsRegularFile) throw NotRegular(path, existing);
                    try
                    {
                        shm.OpenExisting();
                        created = false;
                        return shm;
                    }
                    catch (NativeException e) when (e.Errno == Errno.ENOENT && attempt < CreateAttempts)
                    {
                        continue; // removed between the check and the open
                    }
                }
                SizeLimits.CheckNewFile(path, directory, size, sparse);
                if (shm.TryCreate(ref unnamed, size, mode, sparse,
                        (flags, createMode) => Libc.Open(path, flags, createMode), () => Libc.Unlink(path)))
                {
                    created = true;
                    return shm;
                }
                if (openExisting && attempt < CreateAttempts)
                {
                    continue; // created by someone else between the check and the link
                }
                throw Libc.TryStatx(path, out Statx st) && !st.IsRegularFile
                    ? NotRegular(path, st)
                    : ErrorHelper.Exists(shm.KindDescription, path);
            }
        }
        catch (NativeException e) when (e.Errno == Errno.ELOOP)
        {
            throw ErrorHelper.SymbolicLinkRefused("shared file mapping", path);
        }
        finally
        {
            unnamed?.Dispose();
        }
    }

    private static SharedMemoryException NotRegular(string path, in Statx st) =>
        ErrorHelper.NotRegular("shared file mapping", path, path, st);

    #endregion
}
