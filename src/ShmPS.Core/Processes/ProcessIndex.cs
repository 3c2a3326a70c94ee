using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// Who uses which object, from one pass over /proc (TLPI 54.5: /proc/PID/maps lists every shared memory
/// region): every process's file mappings (System V segments among them, by shmid), its descriptors
/// (/proc/PID/fd, followed to device and inode) and /proc/locks, indexed by device and inode and by shmid.
/// Processes the caller may not inspect (another user's, without root) are counted, not treated as errors.
/// </summary>
internal sealed class ProcessIndex
{
    private sealed class Usage
    {
        public long MappedBytes;
        public long MappedEnd;
        public int Descriptors;
        public bool HoldsLock;
    }

    private sealed class ProcessInfo
    {
        public ProcessInfo(uint uid) => Uid = uid;

        public uint Uid { get; }

        public bool Inspected { get; set; } = true;

        public string? Name { get; set; }
    }

    private const string Proc = "/proc";

    private readonly Dictionary<FileKey, Dictionary<int, Usage>> _files = new();
    // Segments by IPC namespace and shmid: ids are per namespace, and every namespace's segments show in
    // maps with the same device, so two containers' segment 0 are told apart only by who maps them.
    private readonly Dictionary<(ulong IpcNamespace, ulong ShmId), Dictionary<int, Usage>> _segments = new();
    private ulong? _readingIpcNamespace;
    private readonly Dictionary<int, ProcessInfo> _processes = new();
    private readonly Dictionary<FileKey, NamelessRegion> _nameless = new();
    private readonly FileKey? _only;

    private ProcessIndex(FileKey? only) => _only = only;

    /// <summary>When the scan was made.</summary>
    public DateTime Taken { get; } = DateTime.UtcNow;

    /// <summary>Processes that exist but could not be inspected (their mappings and descriptors are unknown).</summary>
    public int UninspectedCount => _uninspected.Count;

    /// <summary>The ids of those processes, in the order /proc lists them.</summary>
    public IReadOnlyList<int> UninspectedIds => _uninspected;

    private readonly List<int> _uninspected = new();

    /// <summary>Why /proc/locks could not be read, or null: while it is set, which files are locked is unknown.</summary>
    public string? LocksUnknown { get; private set; }

    /// <summary>One scan of every process; <paramref name="only"/> keeps the mappings and descriptors of one file (one object's check).</summary>
    public static ProcessIndex Scan(FileKey? only = null)
    {
        var index = new ProcessIndex(only);
        _ = SystemVBackend.SegmentDevice; // learnt here, in this process's own IPC namespace
        uint euid = Libc.geteuid();
        char[] buffer = new char[16384];
        foreach (string directory in Directory.EnumerateDirectories(Proc))
        {
            if (!ProcParsers.TryParsePid(directory.AsSpan(Proc.Length + 1), out int pid)
                || !TryStatProcess(directory, out Statx st))
            {
                continue; // not a process, or it has just exited
            }
            var info = new ProcessInfo(st.Uid);
            index._processes[pid] = info;
            // Without root only one's own processes show their mappings and descriptors (ptrace access):
            // others are known to be unreadable without trying, so no failure is raised per process.
            if (euid != 0 && st.Uid != euid || !index.TryReadProcess(pid, directory, buffer))
            {
                info.Inspected = false;
                index._uninspected.Add(pid);
            }
        }
        index.ReadLocks();
        return index;
    }

    /// <summary>The owner of /proc/PID; false if the process has exited (or cannot even be looked at).</summary>
    private static bool TryStatProcess(string directory, out Statx st)
    {
        try
        {
            return Libc.TryStatx(directory, out st);
        }
        catch (NativeException)
        {
            st = default;
            return false;
        }
    }

    /// <summary>The maps and descriptors of one process; false if it may not be read (it may have exited, which is no failure).</summary>
    private bool TryReadProcess(int pid, string directory, char[] buffer)
    {
        try
        {
            _readingIpcNamespace = null;
            ReadMaps(pid, directory + "/maps", buffer);
            foreach (string fd in Directory.EnumerateFileSystemEntries(directory + "/fd"))
            {
                if (Libc.TryStatxFollow(fd, out Statx st) && st.IsRegularFile)
                {
                    var key = new FileKey(st.DevMajor, st.DevMinor, st.Inode);
                    if (_only is null || _only == key)
                    {
                        Entry(_files, key, pid).Descriptors++;
                        // A file without a link: a memfd is shared memory held open (one readlink, only for these); a removed file held open is just a file.
                        if (st.LinkCount == 0 && Libc.TryReadLink(fd) is byte[] link && NameBytes.Decode(link) is string text
                            && ProcParsers.IsMemfd(text) && ProcParsers.TryParsePid(fd.AsSpan(fd.LastIndexOf('/') + 1), out int number))
                        {
                            Nameless(key, text, pid).Access.Add(new RegionAccess(pid, number, 0, 0));
                        }
                    }
                }
            }
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException
            || e is NativeException { Errno: Errno.ESRCH or Errno.ENOENT })
        {
            return true; // exited meanwhile
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or NativeException)
        {
            return false;
        }
    }

    /// <summary>Reads a maps file in large blocks and parses it line by line without a string per line.</summary>
    private void ReadMaps(int pid, string path, char[] buffer)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        using var reader = new StreamReader(stream, Encoding.UTF8, false, buffer.Length);
        int start = 0, length = 0;
        while (true)
        {
            int read = reader.Read(buffer, start + length, buffer.Length - start - length);
            if (read == 0)
            {
                if (length > 0) AddMapping(pid, buffer.AsSpan(start, length));
                return;
            }
            length += read;
            Span<char> data = buffer.AsSpan(start, length);
            int newline;
            while ((newline = data.IndexOf('\n')) >= 0)
            {
                AddMapping(pid, data[..newline]);
                data = data[(newline + 1)..];
            }
            if (data.Length == buffer.Length)
            {
                // A line longer than the buffer (a path of thousands of characters): parse what fits.
                AddMapping(pid, data);
                data = Span<char>.Empty;
            }
            data.CopyTo(buffer);
            (start, length) = (0, data.Length);
        }
    }

    private void AddMapping(int pid, ReadOnlySpan<char> text)
    {
        // A "/SYSV... (deleted)" line is a segment only on the kernel's own shm mount: anyone can map a
        // deleted file of that name (in a namespace of their own) whose inode equals a segment's id.
        if (!ProcParsers.TryParseMapsLine(text, out MapsEntry map, out ReadOnlySpan<char> path, SystemVBackend.SegmentDevice))
        {
            return;
        }
        if (map.Shared && !map.IsSystemV && ProcParsers.IsNameless(path) && (_only is null || _only == map.File))
        {
            NamelessRegion region = Nameless(map.File, path.ToString(), pid);
            region.Access.Add(new RegionAccess(pid, null, map.Start, map.End));
            region.MappedEnd = Math.Max(region.MappedEnd, map.FileEnd);
        }
        Usage usage;
        if (map.IsSystemV)
        {
            // A process attaches only segments of its own IPC namespace: read it at its first segment.
            _readingIpcNamespace ??= NamespaceView.NamespaceInode(pid, "ipc") ?? 0;
            usage = Entry(_segments, (_readingIpcNamespace.Value, map.File.Inode), pid);
        }
        else if (_only is null || _only == map.File)
        {
            usage = Entry(_files, map.File, pid);
        }
        else
        {
            return;
        }
        usage.MappedBytes += map.Length;
        usage.MappedEnd = Math.Max(usage.MappedEnd, map.FileEnd);
    }

    private void ReadLocks()
    {
        string text;
        try
        {
            text = File.ReadAllText(Proc + "/locks");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unknown, not "none": an object nobody maps may still be locked (see LocksUnknown's readers).
            LocksUnknown = $"{Proc}/locks could not be read ({e.Message})";
            return;
        }
        foreach (LockEntry l in ProcParsers.ParseLocks(new StringReader(text)))
        {
            if ((_only is null || _only == l.File) && IsAlive(l.ProcessId))
            {
                Entry(_files, l.File, l.ProcessId).HoldsLock = true;
            }
        }
    }

    private NamelessRegion Nameless(FileKey file, string kernelName, int pid)
    {
        ref NamelessRegion? region = ref CollectionsMarshal.GetValueRefOrAddDefault(_nameless, file, out _);
        return region ??= new NamelessRegion(file, kernelName, _processes.TryGetValue(pid, out ProcessInfo? info) ? info.Uid : 0);
    }

    /// <summary>
    /// The shared regions with no name (memfds, shared anonymous mappings, removed files) that the inspected
    /// processes map or hold open, by inode: where each can be reached (/proc/PID/fd/N, /proc/PID/map_files/…).
    /// </summary>
    public IEnumerable<NamelessRegion> NamelessRegions
    {
        get
        {
            var all = new List<NamelessRegion>(_nameless.Values);
            all.Sort((a, b) => a.File.Inode.CompareTo(b.File.Inode));
            return all;
        }
    }

    /// <summary>The nameless region that is this file, or null if no inspected process maps or holds it.</summary>
    public NamelessRegion? FindNameless(FileKey file) => _nameless.GetValueOrDefault(file);

    private static Usage Entry<TKey>(Dictionary<TKey, Dictionary<int, Usage>> table, TKey key, int pid) where TKey : notnull
    {
        ref Dictionary<int, Usage>? byProcess = ref CollectionsMarshal.GetValueRefOrAddDefault(table, key, out _);
        byProcess ??= new Dictionary<int, Usage>();
        ref Usage? usage = ref CollectionsMarshal.GetValueRefOrAddDefault(byProcess, pid, out _);
        return usage ??= new Usage();
    }

    public bool IsAlive(int pid) => _processes.ContainsKey(pid);

    /// <summary>
    /// Whether the scan may still stand for now: younger than <paramref name="maxAge"/>, and no process has
    /// started since (one listing of /proc, no file read). A process that existed already and began to use
    /// an object meanwhile is not seen: callers that must not miss one (a shrink) scan afresh instead.
    /// </summary>
    public bool IsRecent(TimeSpan maxAge)
    {
        if (DateTime.UtcNow - Taken > maxAge)
        {
            return false;
        }
        foreach (string directory in Directory.EnumerateDirectories(Proc))
        {
            if (ProcParsers.TryParsePid(directory.AsSpan(Proc.Length + 1), out int pid) && !_processes.ContainsKey(pid))
            {
                return false;
            }
        }
        return true;
    }

    public bool IsInspected(int pid) => _processes.TryGetValue(pid, out ProcessInfo? info) && info.Inspected;

    /// <summary>The processes that map, hold open or lock a file (a POSIX object or a file mapping), by process id.</summary>
    public List<SharedMemoryProcess> ForFile(FileKey file)
    {
        var found = new List<SharedMemoryProcess>();
        if (_files.TryGetValue(file, out Dictionary<int, Usage>? byProcess))
        {
            foreach ((int pid, Usage usage) in byProcess)
            {
                SharedMemoryProcess p = Describe(pid);
                p.Mapped = usage.MappedBytes > 0;
                p.MappedBytes = usage.MappedBytes;
                p.MappedEnd = usage.MappedEnd;
                p.OpenDescriptors = usage.Descriptors;
                p.HoldsLock = usage.HoldsLock;
                found.Add(p);
            }
        }
        found.Sort((a, b) => a.ProcessId.CompareTo(b.ProcessId));
        return found;
    }

    /// <summary>
    /// The processes attached to a System V segment of the IPC namespace <paramref name="ipcNamespace"/>
    /// (its mappings show in maps as /SYSV..., inode = shmid).
    /// </summary>
    public List<SharedMemoryProcess> ForSegment(ulong ipcNamespace, int shmid)
    {
        var found = new List<SharedMemoryProcess>();
        if (_segments.TryGetValue((ipcNamespace, (ulong)(uint)shmid), out Dictionary<int, Usage>? byProcess))
        {
            foreach ((int pid, Usage usage) in byProcess)
            {
                SharedMemoryProcess p = Describe(pid);
                p.Mapped = p.Attached = true;
                p.MappedBytes = usage.MappedBytes;
                p.MappedEnd = usage.MappedEnd;
                found.Add(p);
            }
        }
        found.Sort((a, b) => a.ProcessId.CompareTo(b.ProcessId));
        return found;
    }

    /// <summary>The entry for a process in a list, added (partial if the process was not inspected) if it is not there.</summary>
    public SharedMemoryProcess EntryIn(List<SharedMemoryProcess> list, int pid)
    {
        foreach (SharedMemoryProcess p in list)
        {
            if (p.ProcessId == pid) return p;
        }
        SharedMemoryProcess added = Describe(pid);
        list.Add(added);
        list.Sort((a, b) => a.ProcessId.CompareTo(b.ProcessId));
        return added;
    }

    private SharedMemoryProcess Describe(int pid)
    {
        if (!_processes.TryGetValue(pid, out ProcessInfo? info))
        {
            return new SharedMemoryProcess(pid, "", "", isPartial: true);
        }
        info.Name ??= ReadName(pid);
        return new SharedMemoryProcess(pid, info.Name, Accounts.UserName(info.Uid), !info.Inspected);
    }

    /// <summary>/proc/PID/comm, readable for every process; empty once it has exited.</summary>
    private static string ReadName(int pid)
    {
        try
        {
            return NameBytes.ReadFile($"{Proc}/{pid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}

/// <summary>Where a region without a name can be reached: a descriptor of a process that holds it, or a mapping of one that maps it.</summary>
internal readonly record struct RegionAccess(int ProcessId, int? Descriptor, ulong Start, ulong End)
{
    /// <summary>/proc/PID/fd/N or /proc/PID/map_files/START-END: opened, it is the region's file itself (root; or the owner, for a descriptor).</summary>
    public string Path => Descriptor is int fd
        ? $"/proc/{ProcessId.ToString(CultureInfo.InvariantCulture)}/fd/{fd.ToString(CultureInfo.InvariantCulture)}"
        : $"/proc/{ProcessId.ToString(CultureInfo.InvariantCulture)}/map_files/{Start.ToString("x", CultureInfo.InvariantCulture)}-{End.ToString("x", CultureInfo.InvariantCulture)}";
}

/// <summary>One shared region without a name, as a scan of /proc found it.</summary>
internal sealed class NamelessRegion
{
    public NamelessRegion(FileKey file, string kernelName, uint holderUid) => (File, KernelName, HolderUid) = (file, kernelName, holderUid);

    public FileKey File { get; }

    /// <summary>The name /proc shows: "/memfd:LABEL (deleted)", "/dev/zero (deleted)", "/anon_hugepage (deleted)".</summary>
    public string KernelName { get; }

    /// <summary>The owner of the first process found holding it: what is known of its owner where the file cannot be looked at.</summary>
    public uint HolderUid { get; }

    /// <summary>Descriptors first (they can be opened by the holder's own user too), then mappings.</summary>
    public List<RegionAccess> Access { get; } = new();

    /// <summary>The furthest end any process maps (the size, as far as maps tell).</summary>
    public long MappedEnd { get; set; }
}
