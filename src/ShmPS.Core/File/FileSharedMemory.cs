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
    internal FileSharedMemory(string path) : base(path, path) { }

    internal override SharedMemoryKind Kind => FileBackend.Instance.Kind;

    /// <summary>A file mapping is named by its path, as -Name (with -Kind File), -Path or -LiteralPath.</summary>
    internal override string? IdentityText(SharedMemoryIdentityForm form) =>
        form is SharedMemoryIdentityForm.Name or SharedMemoryIdentityForm.Path or SharedMemoryIdentityForm.LiteralPath ? Name : null;

    private protected override SafeFdHandle OpenDescriptor(int flags) => SafeOpen.Open(Path, flags, 0, KindDescription);

    private protected override Exception NotFound() => ErrorHelper.NotFound(KindDescription, Path);

    /// <summary>Flush() and -Flush write the data to the storage device before returning (fsync).</summary>
    internal override bool RemovalIsHighImpact => true;

    internal override void Remove() => RemoveVerified();

    #region Description

    /// <summary>The existing regular file at an absolute path, described without opening it.</summary>
    internal static FileSharedMemory Find(string path)
    {
        var shm = new FileSharedMemory(PathRules.Check(path));
        shm.DescribeExisting();
        return shm;
    }

    /// <summary>Opens the existing regular file as this object, read-write; false if there is none.</summary>
    internal bool TryOpenExisting()
    {
        // Checked before opening: opening a device or a FIFO can have effects of its own.
        if (!Libc.TryStatx(Path, out Statx existing))
        {
            return false;
        }
        if (!existing.IsRegularFile)
        {
            throw NotRegular(Path, existing);
        }
        try
        {
            OpenExisting();
            return true;
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            return false; // removed between the check and the open
        }
    }

    internal static Exception NotRegular(string path, in Statx st) =>
        ErrorHelper.NotRegular("shared file mapping", path, path, st);

    #endregion
}
