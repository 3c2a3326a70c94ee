using System;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>Refuses sizes up front, naming the limit, so nothing is left half-created.</summary>
internal static class SizeLimits
{
    /// <summary>Checks a new size for a file-backed object: positive, within RLIMIT_FSIZE, and (unless sparse) free space.</summary>
    public static void CheckNewFile(string what, string directory, long size, bool sparse)
    {
        if (size <= 0)
        {
            throw ErrorHelper.InvalidSize(size, "the size must be at least 1 byte.");
        }
        if ((ulong)size > FileSizeLimit)
        {
            throw ErrorHelper.FileSizeLimitExceeded(what, size, (long)FileSizeLimit);
        }
        if (!sparse)
        {
            CheckFreeSpace(what, directory, size);
        }
    }

    /// <summary>Checks that <paramref name="bytes"/> more can be reserved beside an existing object.</summary>
    public static void CheckReservation(SharedMemory shm, string directory, long bytes)
    {
        CheckFileSizeLimit(shm, shm.Size + bytes);
        CheckFreeSpace(shm.Name, directory, bytes);
    }

    /// <summary>
    /// RLIMIT_FSIZE, read again at most every second: a write or resize past it would raise SIGXFSZ
    /// (ignored since import, so EFBIG) after writing part of the data, so it is refused up front.
    /// </summary>
    public static ulong FileSizeLimit
    {
        get
        {
            long now = System.Environment.TickCount64;
            if (now - s_limitReadAt > 1000 || s_limitReadAt == 0)
            {
                s_fileSizeLimit = Libc.GetFileSizeLimit();
                s_limitReadAt = now;
            }
            return s_fileSizeLimit;
        }
    }

    private static ulong s_fileSizeLimit = ulong.MaxValue;
    private static long s_limitReadAt;

    /// <summary>Refuses a write or a size that would end at or past RLIMIT_FSIZE.</summary>
    public static void CheckFileSizeLimit(SharedMemory shm, long end)
    {
        if (end > 0 && (ulong)end > FileSizeLimit)
        {
            throw ErrorHelper.FileSizeLimitExceeded($"{shm.KindDescription} '{shm.DisplayName}'", end, (long)FileSizeLimit);
        }
    }

    private static void CheckFreeSpace(string what, string directory, long bytes)
    {
        if (!Directory.Exists(directory))
        {
            throw ErrorHelper.DirectoryNotFound(directory);
        }
        long free = new DriveInfo(directory).AvailableFreeSpace;
        if (bytes > free)
        {
            throw ErrorHelper.InsufficientSpace(what, bytes, $"the free space on {directory}", free);
        }
    }

    /// <summary>Rejects a size of 0, a negative size, or one above kernel.shmmax, naming the limit.</summary>
    public static void CheckSystemVSize(long size)
    {
        if (size <= 0)
        {
            throw ErrorHelper.InvalidSize(size, "the size must be at least 1 byte.");
        }
        if (ulong.TryParse(ReadProcValue("/proc/sys/kernel/shmmax"), out ulong shmmax) && (ulong)size > shmmax)
        {
            throw ErrorHelper.InsufficientSpace("a new System V segment", size, "kernel.shmmax (/proc/sys/kernel/shmmax)",
                (long)System.Math.Min(shmmax, long.MaxValue));
        }
    }

    /// <summary>Huge pages asked for and refused: the message says what the system has (/proc/meminfo).</summary>
    public static Exception HugePagesUnavailable(long size, NativeException e)
    {
        HugePageInfo pages = HugePageInfo.Read();
        return ErrorHelper.HugePagesUnavailable(size, e, $"{pages.Total ?? "?"} huge pages of {pages.PageSize ?? "?"}, {pages.Free ?? "?"} free");
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
}

/// <summary>The huge-page lines of /proc/meminfo, as the kernel writes them ("2048 kB").</summary>
internal readonly record struct HugePageInfo(string? Total, string? Free, string? PageSize)
{
    /// <summary>The lines of /proc/meminfo; all null where it cannot be read.</summary>
    public static HugePageInfo Read()
    {
        try
        {
            return Parse(new StringReader(File.ReadAllText("/proc/meminfo")));
        }
        catch (IOException)
        {
            return default;
        }
    }

    /// <summary>HugePages_Total, a count of pages.</summary>
    public long? TotalPages => Number(Total);

    /// <summary>HugePages_Free, a count of pages.</summary>
    public long? FreePages => Number(Free);

    /// <summary>Hugepagesize in bytes (the kernel writes "2048 kB", and its kB are 1024 bytes).</summary>
    public long? PageSizeBytes =>
        PageSize is { } text && text.EndsWith(" kB", System.StringComparison.Ordinal) ? Number(text[..^3]) * 1024 : Number(PageSize);

    private static long? Number(string? text) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) ? n : null;

    public static HugePageInfo Parse(TextReader reader)
    {
        string? total = null, free = null, pageSize = null;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string value = line[(colon + 1)..].Trim();
            switch (line[..colon])
            {
                case "HugePages_Total": total = value; break;
                case "HugePages_Free": free = value; break;
                case "Hugepagesize": pageSize = value; break;
            }
        }
        return new(total, free, pageSize);
    }
}
