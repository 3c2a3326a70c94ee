using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>Refuses sizes up front, naming the limit, so nothing is left half-created.</summary>
internal static class SizeLimits
{
    public static SharedMemoryException DirectoryNotFound(string directory) =>
        new("DirectoryNotFound", System.Management.Automation.ErrorCategory.ObjectNotFound,
            $"The directory '{directory}' does not exist.", directory,
            "Create the directory first (New-Item -ItemType Directory), or choose a path in an existing one.");

    /// <summary>Checks a new size for a file-backed object: positive, within RLIMIT_FSIZE, and (unless sparse) free space.</summary>
    public static void CheckNewFile(string what, string directory, long size, bool sparse)
    {
        if (size <= 0)
        {
            throw ErrorHelper.InvalidSize(size, "the size must be at least 1 byte.");
        }
        ulong fileLimit = Libc.GetFileSizeLimit();
        if ((ulong)size > fileLimit)
        {
            throw ErrorHelper.InsufficientSpace(what, size, "RLIMIT_FSIZE (ulimit -f)", (long)fileLimit);
        }
        if (!sparse)
        {
            CheckFreeSpace(what, directory, size);
        }
    }

    /// <summary>Checks that <paramref name="bytes"/> more can be reserved beside an existing object.</summary>
    public static void CheckReservation(SharedMemory shm, string directory, long bytes)
    {
        ulong fileLimit = Libc.GetFileSizeLimit();
        if ((ulong)(shm.Size + bytes) > fileLimit)
        {
            throw ErrorHelper.InsufficientSpace(shm.Name, shm.Size + bytes, "RLIMIT_FSIZE (ulimit -f)", (long)fileLimit);
        }
        CheckFreeSpace(shm.Name, directory, bytes);
    }

    private static void CheckFreeSpace(string what, string directory, long bytes)
    {
        if (!Directory.Exists(directory))
        {
            throw DirectoryNotFound(directory);
        }
        long free = new DriveInfo(directory).AvailableFreeSpace;
        if (bytes > free)
        {
            throw ErrorHelper.InsufficientSpace(what, bytes, $"the free space on {directory}", free);
        }
    }
}
