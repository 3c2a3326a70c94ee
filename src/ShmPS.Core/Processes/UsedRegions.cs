using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// Get-SharedMemory -UsedByProcessId: every shared region one process maps (the shared lines of its maps) or
/// holds open (memfds, removed files, POSIX objects), exactly one object per device and inode, of whichever
/// kind it is: a System V segment by its shmid, a POSIX object or a file by its name where that name still
/// leads to the same file, and anything else (no name, or a name that leads elsewhere now) as an anonymous
/// region reached through the process. The inverse of an object's Processes.
/// </summary>
internal static class UsedRegions
{
    private sealed record Region(FileKey File, string Path, bool IsSystemV)
    {
        public List<RegionAccess> Access { get; } = new();
        public long MappedEnd { get; set; }
    }

    public static IEnumerable<SharedMemory> Of(int pid)
    {
        string directory = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
        if (!Libc.TryStatx(directory, out Statx process))
        {
            throw ErrorHelper.ProcessNotFound(pid);
        }
        var regions = new Dictionary<FileKey, Region>();
        var order = new List<Region>();
        Region At(FileKey file, string path, bool systemV)
        {
            if (!regions.TryGetValue(file, out Region? region))
            {
                regions[file] = region = new Region(file, path, systemV);
                order.Add(region);
            }
            return region;
        }
        try
        {
            foreach (string line in File.ReadLines(directory + "/maps"))
            {
                if (ProcParsers.TryParseMapsLine(line, out MapsEntry map, out ReadOnlySpan<char> path, SystemVBackend.SegmentDevice) && map.Shared)
                {
                    Region region = At(map.File, path.ToString(), map.IsSystemV);
                    region.Access.Add(new RegionAccess(pid, null, map.Start, map.End));
                    region.MappedEnd = Math.Max(region.MappedEnd, map.FileEnd);
                }
            }
            foreach (string fd in Directory.EnumerateFileSystemEntries(directory + "/fd"))
            {
                if (!Libc.TryStatxFollow(fd, out Statx st) || !st.IsRegularFile
                    || Libc.TryReadLink(fd) is not byte[] link || !ProcParsers.TryParsePid(fd.AsSpan(fd.LastIndexOf('/') + 1), out int number))
                {
                    continue;
                }
                string path = NameBytes.Decode(link);
                // Held open, shared memory is a memfd or a POSIX object; other open files (a removed one too) are just files.
                if (ProcParsers.IsMemfd(path) || path.StartsWith(PosixSharedMemory.Directory + "/", StringComparison.Ordinal))
                {
                    At(new FileKey(st.DevMajor, st.DevMinor, st.Inode), path, false).Access.Add(new RegionAccess(pid, number, 0, 0));
                }
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || e is NativeException { Errno: Errno.ENOENT or Errno.ESRCH })
        {
            throw ErrorHelper.ProcessNotFound(pid);
        }
        catch (UnauthorizedAccessException)
        {
            throw ErrorHelper.NamespaceAccessDenied(pid, new NativeException("open", Errno.EACCES));
        }
        foreach (Region region in order)
        {
            if (Describe(pid, process.Uid, region) is SharedMemory shm)
            {
                yield return shm;
            }
        }
    }

    private static SharedMemory? Describe(int pid, uint uid, Region region)
    {
        if (region.IsSystemV)
        {
            return Segment(pid, (int)region.File.Inode) ?? Nameless(uid, region);
        }
        if (!ProcParsers.IsNameless(region.Path))
        {
            try
            {
                SharedMemory? named = region.Path.StartsWith(PosixSharedMemory.Directory + "/", StringComparison.Ordinal)
                    ? PosixSharedMemory.TryDescribe(region.Path[PosixSharedMemory.Directory.Length..])
                    : FileSharedMemory.Find(region.Path);
                if (named?.FileId == $"{region.File.Major}:{region.File.Minor}:{region.File.Inode}")
                {
                    return named;
                }
            }
            catch (Exception e) when (e is ISharedMemoryError or NativeException or ArgumentException)
            {
                // Not reachable by that name here (another mount namespace, a name maps escapes): through the process.
            }
        }
        return Nameless(uid, region);
    }

    /// <summary>The segment with this shmid in the process's IPC namespace (the caller's own, or listed through a view of it).</summary>
    private static SharedMemory? Segment(int pid, int shmid)
    {
        try
        {
            if (NamespaceView.TryNamespaceInode(pid, "ipc") is not ulong ipc || ipc == NamespaceView.OwnIpcNamespace)
            {
                return SystemVBackend.FindById(shmid);
            }
            return SystemVBackend.Instance.Enumerate(NamespaceView.Open(pid)).FirstOrDefault(s => ((SystemVSharedMemory)s).Id == shmid);
        }
        catch (Exception e) when (e is ISharedMemoryError)
        {
            return null;
        }
    }

    private static SharedMemory? Nameless(uint uid, Region region)
    {
        var nameless = new NamelessRegion(region.File, region.Path, uid) { MappedEnd = region.MappedEnd };
        nameless.Access.AddRange(region.Access);
        return AnonymousSharedMemory.FromRegion(nameless);
    }
}
