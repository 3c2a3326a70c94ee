using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ShmPS;

/// <summary>
/// What New-SharedMemory asks a backend to create: the size, mode and -Force every kind takes, and the
/// creation options given (by parameter name: Name, Key, Path, Sparse...), which only the kinds that
/// declare them (SharedMemoryBackend.CreationOptions) are given and read.
/// </summary>
internal sealed class CreateRequest
{
    public CreateRequest(long size, UnixFileMode mode, bool openExisting, IReadOnlyDictionary<string, object?> options, IPathResolver paths)
    {
        Size = size;
        Mode = mode;
        OpenExisting = openExisting;
        Options = options;
        Paths = paths;
    }

    public long Size { get; }

    public UnixFileMode Mode { get; }

    /// <summary>-Force: open the object if it exists.</summary>
    public bool OpenExisting { get; }

    /// <summary>The creation options given, by parameter name; a switch is a bool.</summary>
    public IReadOnlyDictionary<string, object?> Options { get; }

    /// <summary>Paths as typed are resolved against PowerShell's location through this.</summary>
    public IPathResolver Paths { get; }

    /// <summary>Whether an option was given.</summary>
    public bool Has(string option) => Options.ContainsKey(option);

    /// <summary>An option's value, or null where it was not given.</summary>
    public T? Get<T>(string option) where T : class => Options.TryGetValue(option, out object? value) ? value as T : null;

    /// <summary>A numeric option's value, or null where it was not given.</summary>
    public T? GetValue<T>(string option) where T : struct => Options.TryGetValue(option, out object? value) && value is T v ? v : null;

    /// <summary>Whether a switch was given (and not as -Switch:$false).</summary>
    public bool Switch(string option) => Options.TryGetValue(option, out object? value) && value is true;
}

/// <summary>
/// One parameter of New-SharedMemory that a kind takes. One that selects the kind (-Key, -Path) makes
/// New-SharedMemory create that kind without -Kind; the others (-Sparse) are only allowed for it.
/// </summary>
internal sealed record CreationOption(string Parameter, bool SelectsKind = false);

/// <summary>
/// How a cmdlet's context reaches a backend: paths are resolved against PowerShell's current
/// location, which only the cmdlet knows.
/// </summary>
internal interface IPathResolver
{
    /// <summary>Paths as .NET reads them: relative to the process's current directory, without wildcards.</summary>
    public static readonly IPathResolver Plain = new PlainPaths();

    /// <summary>A path as typed, made absolute.</summary>
    string Resolve(string path);

    /// <summary>The existing paths a wildcard pattern matches.</summary>
    IEnumerable<string> Expand(string pattern);

    /// <summary>Whether text has wildcard characters, as the host reads them.</summary>
    bool IsPattern(string text);
}

/// <summary>Paths for a caller without PowerShell's locations and wildcards.</summary>
internal sealed class PlainPaths : IPathResolver
{
    public string Resolve(string path) => System.IO.Path.GetFullPath(path);

    public IEnumerable<string> Expand(string pattern) => File.Exists(pattern) ? new[] { Resolve(pattern) } : Array.Empty<string>();

    public bool IsPattern(string text) => false;
}

/// <summary>
/// One kind of shared memory, declared by its folder: its Kind; the identity parameters that name its
/// objects (IdentityForms) and how it finds one by them (Find, FindById); the parameters New-SharedMemory
/// takes for it (CreationOptions) and how it creates; how it lists its objects, here and as another
/// process sees them; how a wildcard matches its names. Its objects describe themselves (SharedMemory:
/// Subject, IdentityText, ViewId, the Ipcs columns). Cmdlets never switch on the kind: they ask the
/// kind's backend, found in the registry (SharedMemoryBackends).
/// </summary>
internal abstract class SharedMemoryBackend
{
    /// <summary>The kind, as -Kind takes it; one instance, made by the backend.</summary>
    public abstract SharedMemoryKind Kind { get; }

    /// <summary>"POSIX shared memory object", used in messages.</summary>
    public abstract string Description { get; }

    /// <summary>Whether a listing without a name includes this kind (file mappings are files anywhere: no).</summary>
    public virtual bool ListedByDefault => true;

    /// <summary>Whether -Kind naming this kind lists its objects (file mappings: no, they are anywhere).</summary>
    public virtual bool ListedByKind => ListedByDefault;

    /// <summary>Whether the listing comes from a scan of /proc, which without root sees only the caller's processes.</summary>
    public virtual bool ListsFromProcesses => false;

    // ---- Identity -------------------------------------------------------------------------------

    /// <summary>
    /// The identity parameters that name this kind's objects: Name (its objects' Name, with -Kind) is
    /// every kind's; LiteralName, Key, Id, Path and LiteralPath are the kinds' that declare them. A form
    /// several kinds declare is read, without -Kind, as the first registered kind's.
    /// </summary>
    public abstract IReadOnlyList<SharedMemoryIdentityForm> IdentityForms { get; }

    /// <summary>Whether a name could be one of this kind's (a System V name is a key): a name another kind did not have is tried here only then.</summary>
    public virtual bool CouldName(string name) => true;

    /// <summary>The object whose Name is <paramref name="name"/> (a System V id tells segments with key 0 apart).</summary>
    /// <param name="literal">The name is used exactly as given (POSIX: -LiteralName, only the system's rules).</param>
    public abstract SharedMemory Find(string name, long? id, bool literal, IPathResolver paths);

    /// <summary>The object with this id (the Id form: a System V shmid); only kinds that declare Id are asked.</summary>
    public virtual SharedMemory FindById(long id) =>
        throw new NotSupportedException($"A {Description} has no id.");

    /// <summary>A number given to an identity parameter (-Key, -Id) as this kind's Name or text writes it (a key as 0x0000abcd).</summary>
    public virtual string IdentityText(SharedMemoryIdentityForm form, long value) =>
        value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A value given to -Key (a number or text, unwrapped from PowerShell) as this kind's key; only the first
    /// kind that declares Key is asked. Throws InvalidKey, whose message says what a key is.
    /// </summary>
    public virtual int ReadKey(object? value, string text) =>
        throw new NotSupportedException($"A {Description} has no key.");

    /// <summary>How a wildcard is matched against this kind's names (System V keys ignore case).</summary>
    public virtual bool PatternIgnoresCase => false;

    /// <summary>A pattern as this kind writes names (POSIX adds the leading slash).</summary>
    public virtual string NormalizePattern(string pattern) => pattern;

    /// <summary>The objects whose Name matches a wildcard (<paramref name="isMatch"/>, already checked to parse; <paramref name="text"/> as typed).</summary>
    public virtual IEnumerable<SharedMemory> Match(Func<string, bool> isMatch, string text, IPathResolver paths) =>
        Enumerate().Where(shm => isMatch(shm.Name));

    /// <summary>
    /// The directory whose changes (inotify) may mean an object named <paramref name="name"/> appeared or
    /// went, for Wait-SharedMemory; null where there is none, and the wait polls (System V keys).
    /// </summary>
    public virtual string? WatchDirectory(string name, IPathResolver paths) => null;

    // ---- Creation -------------------------------------------------------------------------------

    /// <summary>The parameters of New-SharedMemory this kind takes, besides -Size, -Mode, -Kind and -Force.</summary>
    public abstract IReadOnlyList<CreationOption> CreationOptions { get; }

    /// <summary>The error for a creation option given to this kind that it does not take.</summary>
    public virtual Exception RefuseOption(string option) =>
        ErrorHelper.KindConflict($"-{option} does not apply to a {Description}.", option);

    /// <summary>
    /// The request to create an object known by <paramref name="identity"/> as this kind names its objects
    /// (a POSIX name, a System V key, a file's path): what SharedMemory.Create asks for a .NET caller.
    /// </summary>
    public abstract CreateRequest RequestFor(string identity, long size, UnixFileMode mode);

    /// <summary>What New-SharedMemory -WhatIf names as the target.</summary>
    public abstract string DescribeNew(CreateRequest request);

    /// <summary>Creates the object exclusively, or opens it with OpenExisting; see ExclusiveCreate.</summary>
    public abstract SharedMemory Create(CreateRequest request, out bool created);

    // ---- Listing --------------------------------------------------------------------------------

    /// <summary>Every object of this kind on the system, in the order a listing shows them.</summary>
    public abstract IEnumerable<SharedMemory> Enumerate();

    /// <summary>
    /// Every object of this kind that another process sees (Get-SharedMemory -ProcessId), marked with
    /// the view it came from; the caller's own objects where the process shares them.
    /// </summary>
    public virtual IEnumerable<SharedMemory> Enumerate(NamespaceView view) => Enumerate();

    /// <summary>Every object of this kind, from a scan of /proc that the listing shares (for the kinds that list from it).</summary>
    public virtual IEnumerable<SharedMemory> Enumerate(ProcessSnapshot processes) => Enumerate();

    /// <summary>
    /// The directories below a process's root whose entries are this kind's objects (POSIX: /dev/shm), and
    /// how messages name them: NamespaceView opens them without following links and checks they stay the ones first seen.
    /// </summary>
    public virtual IReadOnlyList<(string Path, string Description)> ViewDirectories => Array.Empty<(string, string)>();

    /// <summary>The namespace an object of this kind listed through <paramref name="view"/> belongs to: mnt:[N] unless the kind says otherwise.</summary>
    public virtual string NamespaceOf(NamespaceView view) => $"mnt:[{view.MountNamespace}]";
}

/// <summary>
/// The registry: the kinds ShmPS knows, in the order listings show them and a form several kinds share
/// is read. A new kind is a folder with its object and backend, and one line here.
/// </summary>
internal static class SharedMemoryBackends
{
    public static readonly IReadOnlyList<SharedMemoryBackend> All = new SharedMemoryBackend[]
    {
        PosixBackend.Instance,
        SystemVBackend.Instance,
        FileBackend.Instance,
        AnonymousBackend.Instance,
    };

    /// <summary>The kind a -Name is read as without -Kind: the first registered.</summary>
    public static SharedMemoryKind Default => All[0].Kind;

    /// <summary>The kinds, in order.</summary>
    public static IReadOnlyList<SharedMemoryKind> Kinds => All.Select(b => b.Kind).ToArray();

    /// <summary>The names of the kinds, in order.</summary>
    public static string[] KindNames => All.Select(b => b.Kind.Name).ToArray();

    /// <summary>The kinds a listing without a name shows.</summary>
    public static SharedMemoryKind[] Listed => All.Where(b => b.ListedByDefault).Select(b => b.Kind).ToArray();

    public static SharedMemoryBackend For(SharedMemoryKind kind) =>
        All.FirstOrDefault(b => b.Kind == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "No backend for this kind.");

    /// <summary>The backend of the kind with this name (in any case), or null.</summary>
    public static SharedMemoryBackend? Named(string? name) =>
        All.FirstOrDefault(b => string.Equals(b.Kind.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The kinds whose objects an identity form names, in order (Name: every kind).</summary>
    public static IReadOnlyList<SharedMemoryKind> NamedBy(SharedMemoryIdentityForm form) =>
        All.Where(b => form == SharedMemoryIdentityForm.Name || b.IdentityForms.Contains(form)).Select(b => b.Kind).ToArray();

    /// <summary>
    /// The kinds a form reads as: those of <paramref name="chosen"/> (-Kind) that it names, else the first
    /// registered kind it names. Empty where none of the kinds chosen is named so.
    /// </summary>
    public static IReadOnlyList<SharedMemoryKind> NamedBy(SharedMemoryIdentityForm form, IReadOnlyList<SharedMemoryKind>? chosen)
    {
        IReadOnlyList<SharedMemoryKind> named = NamedBy(form);
        return chosen is { Count: > 0 } ? chosen.Where(named.Contains).ToArray() : named.Take(1).ToArray();
    }

    /// <summary>The kinds that take a creation option (by parameter name).</summary>
    public static IEnumerable<SharedMemoryBackend> Taking(string option) =>
        All.Where(b => b.CreationOptions.Any(o => o.Parameter == option));

    /// <summary>Whether a parameter of New-SharedMemory is some kind's creation option.</summary>
    public static bool IsCreationOption(string parameter) => Taking(parameter).Any();

    /// <summary>The kind a creation option selects (-Key: SystemV, -Path: File), or null.</summary>
    public static SharedMemoryBackend? SelectedBy(string option) =>
        All.FirstOrDefault(b => b.CreationOptions.Any(o => o.Parameter == option && o.SelectsKind));
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
