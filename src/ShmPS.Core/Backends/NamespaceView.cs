using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// What another process (a container) sees, for Get-SharedMemory -ProcessId: its IPC namespace (entered
/// by a thread of ShmPS's own) and the directories below its root directory that the kinds keep their
/// objects in (SharedMemoryBackend.ViewDirectories: /dev/shm for POSIX objects). Holds nothing open:
/// every use opens /proc/PID again and checks that it still leads to the namespace and the directory
/// first seen, so a pid that another process took over meanwhile is refused, not followed.
/// </summary>
internal sealed class NamespaceView
{
    /// <summary>
    /// A kind's directory below the process's root, as first seen: its device and inode (null if there is
    /// none), why it is not listed (a symbolic link there, reported by that kind's listing only), and whether
    /// it is the caller's own directory of that path.
    /// </summary>
    private sealed record DirectoryState(FileKey? Id, Exception? Refused, bool Shared);

    private readonly IReadOnlyDictionary<string, DirectoryState> _directories;

    private NamespaceView(int pid, ulong ipc, ulong mnt, IReadOnlyDictionary<string, DirectoryState> directories, bool sharesIpc)
    {
        ProcessId = pid;
        IpcNamespace = ipc;
        MountNamespace = mnt;
        _directories = directories;
        SharesIpcNamespace = sharesIpc;
    }

    public int ProcessId { get; }

    /// <summary>The inode of /proc/PID/ns/ipc, as readlink shows it: ipc:[4026531839].</summary>
    public ulong IpcNamespace { get; }

    public ulong MountNamespace { get; }

    /// <summary>The process sees the caller's System V segments: its objects are the caller's own.</summary>
    public bool SharesIpcNamespace { get; }

    /// <summary>The process's directory of that path (one a kind declared) is the caller's (same file system and directory).</summary>
    public bool SharesDirectory(string path) => StateOf(path).Shared;

    private DirectoryState StateOf(string path) => _directories.TryGetValue(path, out DirectoryState? state) ? state
        : throw new ArgumentException($"{path} is no kind's directory (SharedMemoryBackend.ViewDirectories).", nameof(path));

    /// <summary>
    /// The view of process <paramref name="pid"/>. Errors: ProcessNotFound if there is no such process,
    /// PermissionDenied if the caller may not inspect it (its namespaces and root need ptrace access).
    /// </summary>
    public static NamespaceView Open(int pid)
    {
        try
        {
            ulong ipc = NamespaceInode(pid, "ipc") ?? throw Gone(pid);
            ulong mnt = NamespaceInode(pid, "mnt") ?? throw Gone(pid);
            var directories = new Dictionary<string, DirectoryState>(StringComparer.Ordinal);
            foreach ((string path, string description) in SharedMemoryBackends.All.SelectMany(b => b.ViewDirectories))
            {
                FileKey? id;
                string? link;
                using (SafeFdHandle? dir = TryOpenBelowRoot(pid, path, out link))
                {
                    id = dir is null ? null : FileKey.Of(Libc.FStatx(dir));
                }
                Exception? refused = link is null ? null
                    : ErrorHelper.SymbolicLinkRefused($"{description} of process {pid}", link);
                FileKey? own = Libc.TryStatxFollow(path, out Statx st) ? FileKey.Of(st) : null;
                directories[path] = new DirectoryState(id, refused, Shared: refused is null && id == own);
            }
            return new NamespaceView(pid, ipc, mnt, directories, sharesIpc: ipc == OwnIpcNamespace);
        }
        catch (NativeException e) when (e.Errno is Errno.ENOENT or Errno.ESRCH)
        {
            throw ErrorHelper.ProcessNotFound(pid);
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            throw ErrorHelper.NamespaceAccessDenied(pid, e);
        }
    }

    /// <summary>No such process; or one that has exited and waits for its parent (a zombie), whose /proc entry has no namespaces.</summary>
    private static Exception Gone(int pid) =>
        Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}")
            ? ErrorHelper.ProcessNotFound(pid, "has exited (a zombie: its /proc entry stays until its parent collects it), so it sees no namespace.")
            : ErrorHelper.ProcessNotFound(pid);

    /// <summary>The caller's IPC namespace: its main thread's, which ShmPS never moves (setns runs on threads of its own).</summary>
    public static ulong OwnIpcNamespace => s_ownIpcNamespace.Value;

    private static readonly Lazy<ulong> s_ownIpcNamespace = new(() => NamespaceInode(Environment.ProcessId, "ipc") ?? 0);

    /// <summary>As NamespaceInode, and null where the caller may not inspect the process.</summary>
    public static ulong? TryNamespaceInode(int pid, string kind)
    {
        try
        {
            return NamespaceInode(pid, kind);
        }
        catch (NativeException)
        {
            return null;
        }
    }

    /// <summary>The inode of /proc/PID/ns/KIND; null if there is no such process. Throws EACCES where the caller may not inspect it.</summary>
    public static ulong? NamespaceInode(int pid, string kind) =>
        Libc.TryStatxFollow($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/{kind}", out Statx st) ? st.Inode : null;

    /// <summary>
    /// Runs <paramref name="work"/> in the process's IPC namespace, on a thread of its own that enters
    /// it (setns) and then ends: never on the caller's thread or a pool thread, which must stay in the
    /// caller's namespace. /proc/sysvipc/shm, shmget, shmctl and shmat there all see that namespace.
    /// </summary>
    public T InIpcNamespace<T>(Func<T> work)
    {
        using SafeFdHandle ns = Enter(() => Libc.Open($"/proc/{ProcessId.ToString(CultureInfo.InvariantCulture)}/ns/ipc",
            Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
        if (Libc.FStatx(ns).Inode != IpcNamespace)
        {
            throw Gone();
        }
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(() =>
                {
                    Libc.SetNs(ns, Libc.CLONE_NEWIPC);
                    return 0;
                });
                result = work();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, maxStackSize: 256 << 10)
        { IsBackground = true, Name = $"ShmPS ipc namespace of {ProcessId}" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>The process's directory of that path (one a kind declared), opened below its root; null if it has none.</summary>
    public SafeFdHandle? OpenDirectory(string path)
    {
        DirectoryState first = StateOf(path);
        if (first.Refused is not null)
        {
            throw first.Refused;
        }
        SafeFdHandle? dir = Enter(() => TryOpenBelowRoot(ProcessId, path, out _));
        if (dir is null)
        {
            return first.Id is null ? null : throw Gone();
        }
        if (FileKey.Of(Libc.FStatx(dir)) != first.Id)
        {
            dir.Dispose();
            throw Gone();
        }
        return dir;
    }

    /// <summary>The names of the entries of a directory OpenDirectory gave.</summary>
    public IReadOnlyList<string> DirectoryEntries(SafeFdHandle dir) =>
        // The open directory itself, whatever its path leads to now; names as their bytes (NameBytes).
        Libc.ReadDirectory(dir).Select(bytes => NameBytes.Decode(bytes)).ToList();

    /// <summary>
    /// /proc/PID/root and then <paramref name="path"/> (/dev/shm), one component at a time below the root
    /// and never through a symbolic link: a link inside another process's root would be resolved in the
    /// caller's file system.
    /// </summary>
    /// <param name="link">Where a symbolic link stands instead of a directory (/dev or /dev/shm): not followed, and null returned.</param>
    private static SafeFdHandle? TryOpenBelowRoot(int pid, string path, out string? link)
    {
        link = null;
        SafeFdHandle current = Libc.Open($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/root",
            Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        string walked = "";
        foreach (string component in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            walked += "/" + component;
            SafeFdHandle? next;
            try
            {
                next = TryOpenDirectoryAt(current, component, walked, ref link);
            }
            finally
            {
                current.Dispose();
            }
            if (next is null)
            {
                return null;
            }
            current = next;
        }
        return current;
    }

    /// <summary>A directory below the process's root; null if there is none or a symbolic link stands there (then named in <paramref name="link"/>).</summary>
    private static SafeFdHandle? TryOpenDirectoryAt(SafeFdHandle parent, string name, string path, ref string? link)
    {
        try
        {
            return Libc.OpenAt(parent, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            return null;
        }
        catch (NativeException e) when (e.Errno is Errno.ELOOP or Errno.ENOTDIR)
        {
            // O_NOFOLLOW with O_DIRECTORY says ENOTDIR for a link; anything else that is not a directory holds no objects.
            if (Libc.TryStatxAt(parent, name, out Statx st) && st.IsSymbolicLink)
            {
                link = path;
            }
            return null;
        }
    }

    /// <summary>A call on the process's /proc entries: a vanished process and a refused inspection say so.</summary>
    private T Enter<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (NativeException e) when (e.Errno is Errno.ESRCH || (e.Errno == Errno.ENOENT && e.Function == "open"))
        {
            throw Gone();
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            throw ErrorHelper.NamespaceAccessDenied(ProcessId, e);
        }
    }

    private Exception Gone() =>
        ErrorHelper.ProcessNotFound(ProcessId, $"has exited, or is no longer the process whose namespaces ipc:[{IpcNamespace}] and mnt:[{MountNamespace}] were listed.");
}
