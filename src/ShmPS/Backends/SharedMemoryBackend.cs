using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ShmPS;

/// <summary>What New-SharedMemory asks a backend to create; each kind reads the fields that concern it.</summary>
internal sealed record CreateRequest(
    string? Name,          // POSIX: a name (null: generate one)
    bool LiteralName,      // POSIX: only the system's rules for Name
    int? Key,              // System V: a key (null: generate one; 0: IPC_PRIVATE)
    string? Path,          // File: an absolute path
    long Size,
    UnixFileMode Mode,
    bool Sparse,           // POSIX, File: do not reserve the memory
    bool HugePages,        // System V: SHM_HUGETLB
    bool OpenExisting,     // -Force: open the object if it exists
    SharedMemorySeals Seals = SharedMemorySeals.None); // Anonymous: seals added once made

/// <summary>
/// How a cmdlet's context reaches a backend: paths are resolved against PowerShell's current
/// location, which only the cmdlet knows.
/// </summary>
internal interface IPathResolver
{
    /// <summary>A path as typed, made absolute.</summary>
    string Resolve(string path);

    /// <summary>The existing paths a wildcard pattern matches.</summary>
    IEnumerable<string> Expand(string pattern);
}

/// <summary>
/// One kind of shared memory: how to create its objects, find one by the name it shows, list them
/// all, and match a wildcard. Cmdlets never switch on the kind; they ask the kind's backend.
/// </summary>
internal abstract class SharedMemoryBackend
{
    public abstract SharedMemoryKind Kind { get; }

    /// <summary>"POSIX shared memory object", used in messages.</summary>
    public abstract string Description { get; }

    /// <summary>Whether a listing without a name includes this kind (file mappings are files anywhere: no).</summary>
    public virtual bool ListedByDefault => true;

    /// <summary>Whether -Kind naming this kind lists its objects (file mappings: no, they are anywhere).</summary>
    public virtual bool ListedByKind => ListedByDefault;

    /// <summary>Whether the listing comes from a scan of /proc, which without root sees only the caller's processes.</summary>
    public virtual bool ListsFromProcesses => false;

    /// <summary>Whether -Id finds an object of this kind (System V: shmid; Anonymous: inode).</summary>
    public virtual bool HasIds => false;

    /// <summary>The object with this id (see HasIds).</summary>
    public virtual SharedMemory FindById(long id) => throw new NotSupportedException($"{Description}s have no id.");

    /// <summary>What New-SharedMemory -WhatIf names as the target.</summary>
    public abstract string DescribeNew(CreateRequest request);

    /// <summary>Creates the object exclusively, or opens it with OpenExisting; see ExclusiveCreate.</summary>
    public abstract SharedMemory Create(CreateRequest request, out bool created);

    /// <summary>Whether a name could be one of this kind's (a System V name is a key): a name another kind did not have is tried here only then.</summary>
    public virtual bool CouldName(string name) => true;

    /// <summary>The object whose Name is <paramref name="name"/> (a System V id tells segments with key 0 apart).</summary>
    /// <param name="literal">The name is used exactly as given (POSIX: -LiteralName, only the system's rules).</param>
    public abstract SharedMemory Find(string name, int? id, bool literal, IPathResolver paths);

    /// <summary>Every object of this kind on the system, in the order a listing shows them.</summary>
    public abstract IEnumerable<SharedMemory> Enumerate();

    /// <summary>
    /// Every object of this kind that another process sees (Get-SharedMemory -ProcessId), marked with
    /// the view it came from; the caller's own objects where the process shares them.
    /// </summary>
    public virtual IEnumerable<SharedMemory> Enumerate(NamespaceView view) => Enumerate();

    /// <summary>Every object of this kind, from a scan of /proc that the listing shares (for the kinds that list from it).</summary>
    public virtual IEnumerable<SharedMemory> Enumerate(ProcessSnapshot processes) => Enumerate();

    /// <summary>The objects whose Name matches a wildcard pattern (already checked to parse).</summary>
    public virtual IEnumerable<SharedMemory> Match(System.Management.Automation.WildcardPattern pattern, string text, IPathResolver paths) =>
        Enumerate().Where(shm => pattern.IsMatch(shm.Name));

    /// <summary>How a wildcard is matched against this kind's names (System V keys ignore case).</summary>
    public virtual System.Management.Automation.WildcardOptions PatternOptions =>
        System.Management.Automation.WildcardOptions.CultureInvariant;

    /// <summary>
    /// The directory whose changes (inotify) may mean an object named <paramref name="name"/> appeared or
    /// went, for Wait-SharedMemory; null where there is none, and the wait polls (System V keys).
    /// </summary>
    public virtual string? WatchDirectory(string name, IPathResolver paths) => null;

    /// <summary>A pattern as this kind writes names (POSIX adds the leading slash).</summary>
    public virtual string NormalizePattern(string pattern) => pattern;
}

/// <summary>The kinds ShmPS knows. A new kind is a folder with its object and backend, and one line here.</summary>
internal static class SharedMemoryBackends
{
    public static readonly IReadOnlyList<SharedMemoryBackend> All = new SharedMemoryBackend[]
    {
        PosixBackend.Instance,
        SystemVBackend.Instance,
        FileBackend.Instance,
        AnonymousBackend.Instance,
    };

    public static SharedMemoryBackend For(SharedMemoryKind kind) =>
        All.FirstOrDefault(b => b.Kind == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "No backend for this kind.");
}

/// <summary>
/// The one protocol by which every kind creates exclusively: with -Force, open the object if it
/// exists; otherwise create it, exclusively; if it appeared or vanished meanwhile, go round again.
/// A generated identity that exists is drawn again. Bounded, so a pathological race ends in an error.
/// </summary>
internal static class ExclusiveCreate
{
    public const int Attempts = 100;

    /// <param name="generated">The identity is drawn anew by every call of <paramref name="tryCreate"/>.</param>
    /// <param name="tryOpen">The existing object, or null if there is none (now).</param>
    /// <param name="tryCreate">The new object, or null if the identity exists.</param>
    /// <param name="exists">The error for an identity that exists, without -Force.</param>
    public static T Run<T>(bool generated, bool openExisting, Func<T?> tryOpen, Func<T?> tryCreate, Func<Exception> exists,
        out bool created) where T : class
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            if (openExisting && !generated && tryOpen() is T existing)
            {
                created = false;
                return existing;
            }
            if (tryCreate() is T made)
            {
                created = true;
                return made;
            }
            if (!generated && !openExisting)
            {
                throw exists();
            }
        }
        throw exists();
    }
}
