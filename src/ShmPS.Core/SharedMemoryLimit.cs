using System;
using System.Collections.Generic;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The limits on shared memory and what is in use, as the caller's IPC and mount namespaces see them:
/// System V limits and usage (shmctl IPC_INFO and SHM_INFO, what ipcs -l and ipcs -u show), the file
/// system of /dev/shm (statvfs, what df shows), huge pages (/proc/meminfo) and RLIMIT_FSIZE. Every
/// figure is the kernel's own; a part the kernel would not give is null, and Get-SharedMemoryLimit
/// warns which.
/// </summary>
public sealed class SharedMemoryLimit
{
    private readonly List<string> _unavailable = new();

    private SharedMemoryLimit() { }

    /// <summary>The IPC namespace described, as /proc/thread-self/ns/ipc names it: ipc:[4026531839].</summary>
    public string? IpcNamespace { get; private set; }

    /// <summary>The mount namespace described (where /dev/shm is), as /proc/thread-self/ns/mnt names it.</summary>
    public string? MountNamespace { get; private set; }

    /// <summary>The page size, the unit of the System V page counts.</summary>
    public long PageSize { get; } = Environment.SystemPageSize;

    /// <summary>SHMMAX: the largest System V segment, in bytes (kernel.shmmax).</summary>
    public ulong? MaxSegmentSize { get; private set; }

    /// <summary>SHMMIN: the smallest System V segment, in bytes (1 on Linux).</summary>
    public ulong? MinSegmentSize { get; private set; }

    /// <summary>SHMMNI: the most System V segments the namespace may hold (kernel.shmmni).</summary>
    public ulong? MaxSegments { get; private set; }

    /// <summary>SHMALL: the most pages all System V segments together may hold (kernel.shmall).</summary>
    public ulong? MaxTotalPages { get; private set; }

    /// <summary>SHMALL in bytes; as ipcs -l -b, the largest page multiple a 64-bit number holds where the product does not fit.</summary>
    public ulong? MaxTotalBytes => MaxTotalPages is { } pages ? PagesToBytes(pages, (ulong)PageSize) : null;

    /// <summary>System V segments that exist now (used_ids; ipcs -u "segments allocated").</summary>
    public int? Segments { get; private set; }

    /// <summary>Pages of all System V segments (shm_tot; ipcs -u "pages allocated"), to compare with MaxTotalPages.</summary>
    public ulong? TotalPages { get; private set; }

    /// <summary>TotalPages in bytes.</summary>
    public ulong? TotalBytes => TotalPages is { } pages ? PagesToBytes(pages, (ulong)PageSize) : null;

    /// <summary>Pages of System V segments in RAM (shm_rss; ipcs -u "pages resident").</summary>
    public ulong? ResidentPages { get; private set; }

    /// <summary>Pages of System V segments in swap (shm_swp; ipcs -u "pages swapped").</summary>
    public ulong? SwappedPages { get; private set; }

    /// <summary>The directory that holds POSIX objects.</summary>
    public string DevShmPath => PosixSharedMemory.Directory;

    /// <summary>The size of the file system on /dev/shm in bytes (f_blocks × f_frsize; df's 1B-blocks).</summary>
    public ulong? DevShmSize { get; private set; }

    /// <summary>Bytes used on /dev/shm ((f_blocks - f_bfree) × f_frsize; df's Used).</summary>
    public ulong? DevShmUsed { get; private set; }

    /// <summary>Bytes free on /dev/shm for an unprivileged user (f_bavail × f_frsize; df's Available).</summary>
    public ulong? DevShmAvailable { get; private set; }

    /// <summary>Inodes on /dev/shm (f_files; df -i's Inodes): each POSIX object takes one.</summary>
    public ulong? DevShmInodes { get; private set; }

    /// <summary>Free inodes on /dev/shm (f_ffree; df -i's IFree).</summary>
    public ulong? DevShmFreeInodes { get; private set; }

    /// <summary>Huge pages reserved on the system (HugePages_Total), for System V segments made with -HugePages; null on a kernel without huge pages.</summary>
    public long? HugePagesTotal { get; private set; }

    /// <summary>Huge pages not in use (HugePages_Free).</summary>
    public long? HugePagesFree { get; private set; }

    /// <summary>The size of a huge page in bytes (Hugepagesize).</summary>
    public long? HugePageSize { get; private set; }

    /// <summary>The caller's RLIMIT_FSIZE soft limit in bytes, for POSIX and File objects; 18446744073709551615 (RLIM_INFINITY) is unlimited.</summary>
    public ulong FileSizeLimit { get; private set; }

    /// <summary>The parts the kernel would not give, with the reason; Get-SharedMemoryLimit warns of each.</summary>
    internal IReadOnlyList<string> Unavailable => _unavailable;

    public override string ToString() => $"{IpcNamespace} {MountNamespace}";

    /// <summary>Reads every figure now, in the namespaces of the calling thread.</summary>
    internal static SharedMemoryLimit Read()
    {
        var limit = new SharedMemoryLimit
        {
            IpcNamespace = Namespace("ipc"),
            MountNamespace = Namespace("mnt"),
            FileSizeLimit = SizeLimits.FileSizeLimit,
        };
        limit.ReadSystemV();
        limit.ReadDevShm();
        HugePageInfo huge = HugePageInfo.Read();
        // Empty, without a warning, on a kernel built without huge pages: /proc/meminfo then has no such lines.
        (limit.HugePagesTotal, limit.HugePagesFree, limit.HugePageSize) = (huge.TotalPages, huge.FreePages, huge.PageSizeBytes);
        return limit;
    }

    private void ReadSystemV()
    {
        try
        {
            ShmLimitInfo limits = Libc.ShmLimits();
            ShmUsageInfo usage = Libc.ShmUsage();
            (MaxSegmentSize, MinSegmentSize, MaxSegments, MaxTotalPages) =
                (limits.MaxSegmentSize, limits.MinSegmentSize, limits.MaxSegments, limits.MaxTotalPages);
            (Segments, TotalPages, ResidentPages, SwappedPages) =
                (usage.Segments, usage.TotalPages, usage.ResidentPages, usage.SwappedPages);
        }
        catch (NativeException e)
        {
            _unavailable.Add($"System V limits and usage: {e.Function} failed ({Errno.Describe(e.Errno)}).");
        }
    }

    private void ReadDevShm()
    {
        try
        {
            Statvfs fs = Libc.StatVfs(DevShmPath);
            DevShmSize = fs.Blocks * fs.FragmentSize;
            DevShmUsed = (fs.Blocks - fs.FreeBlocks) * fs.FragmentSize;
            DevShmAvailable = fs.AvailableBlocks * fs.FragmentSize;
            (DevShmInodes, DevShmFreeInodes) = (fs.Files, fs.FreeFiles);
        }
        catch (NativeException e)
        {
            _unavailable.Add($"the file system of {DevShmPath}: statvfs failed ({Errno.Describe(e.Errno)}).");
        }
    }

    /// <summary>A namespace as its /proc link names it; the calling thread's, which is the one its calls act in.</summary>
    private static string? Namespace(string type)
    {
        try
        {
            return new FileInfo($"/proc/thread-self/ns/{type}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Pages in bytes; as ipcs computes it, the largest page multiple of 64 bits where the product overflows.</summary>
    internal static ulong PagesToBytes(ulong pages, ulong pageSize) =>
        pages <= ulong.MaxValue / pageSize ? pages * pageSize : ulong.MaxValue - ulong.MaxValue % pageSize;
}
