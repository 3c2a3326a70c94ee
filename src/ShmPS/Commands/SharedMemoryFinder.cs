using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Turns what users type (names, wildcards, paths) into objects, for every cmdlet and completer.
/// A missing exact identity is a non-terminating error written through the cmdlet; a wildcard that
/// matches nothing is not an error (as with Get-ChildItem).
/// </summary>
internal sealed class SharedMemoryFinder : IPathResolver
{
    private readonly PSCmdlet _cmdlet;

    public SharedMemoryFinder(PSCmdlet cmdlet) => _cmdlet = cmdlet;

    /// <summary>
    /// The objects that identities name, each looked up by its kinds' backends: a name, key or path as
    /// the kind writes it (/foo, 0x0000abcd, a path), or a System V id. A wildcard (unless the identity
    /// is literal) matches in every kind given; an exact name is looked up in the kinds given, in order,
    /// that could name an object so, and the first kind's error is the one reported when none has it.
    /// </summary>
    public IEnumerable<SharedMemory> Resolve(IEnumerable<SharedMemoryIdentity> identities)
    {
        foreach (SharedMemoryIdentity identity in identities)
        {
            IEnumerable<SharedMemory> found = identity.Form == SharedMemoryIdentityForm.Id
                ? Lookup(identity.Text, () => FindById(identity))
                : ResolveName(identity);
            foreach (SharedMemory shm in found)
            {
                yield return shm;
            }
        }
    }

    private IEnumerable<SharedMemory> ResolveName(SharedMemoryIdentity identity)
    {
        string name = identity.Text;
        IEnumerable<SharedMemoryBackend> backends = identity.Kinds.Select(SharedMemoryBackends.For);
        if (!identity.IsLiteral && WildcardPattern.ContainsWildcardCharacters(name))
        {
            return backends.SelectMany(backend => Listing(name, () => Match(backend, name)));
        }
        Exception? first = null;
        foreach (SharedMemoryBackend backend in backends.Where((b, i) => i == 0 || b.CouldName(name)))
        {
            try
            {
                return new[] { backend.Find(name, identity.Id, identity.IsLiteral, this) };
            }
            catch (Exception e) when (ErrorRecords.IsTranslatable(e))
            {
                first ??= e;
            }
        }
        _cmdlet.WriteError(ErrorRecords.ToErrorRecord(first!, name));
        return Array.Empty<SharedMemory>();
    }

    /// <summary>
    /// The objects an identity names now (a wildcard: those it matches), with no error when there are none:
    /// Wait-SharedMemory looks again until there are. Other failures (a name ShmPS refuses) are thrown.
    /// </summary>
    public IReadOnlyList<SharedMemory> FindNow(SharedMemoryIdentity identity)
    {
        if (identity.Form == SharedMemoryIdentityForm.Id)
        {
            return Present(() => FindById(identity), identity.Text);
        }
        string name = identity.Text;
        IEnumerable<SharedMemoryBackend> backends = identity.Kinds.Select(SharedMemoryBackends.For);
        if (!identity.IsLiteral && WildcardPattern.ContainsWildcardCharacters(name))
        {
            return backends.SelectMany(backend => Match(backend, name)).ToList();
        }
        foreach (SharedMemoryBackend backend in backends.Where((b, i) => i == 0 || b.CouldName(name)))
        {
            IReadOnlyList<SharedMemory> found = Present(() => backend.Find(name, identity.Id, identity.IsLiteral, this), name);
            if (found.Count > 0)
            {
                return found;
            }
        }
        return Array.Empty<SharedMemory>();
    }

    /// <summary>An id, looked up by the kind it names (the first that has ids, or the one -Kind chose).</summary>
    private static SharedMemory FindById(SharedMemoryIdentity identity) => identity.Kinds.Count > 0
        ? SharedMemoryBackends.For(identity.Kinds[0]).FindById(identity.Id!.Value)
        : throw ErrorHelper.KindConflict($"-Id names no object of the kind given: only {string.Join(", ", SharedMemoryBackends.NamedBy(SharedMemoryIdentityForm.Id))} objects have ids.", identity.Text);

    /// <summary>The directory to watch (inotify) for the object an identity names to appear; null: poll.</summary>
    public string? WatchDirectory(SharedMemoryIdentity identity) =>
        identity.Form == SharedMemoryIdentityForm.Id || identity.Kinds.Count != 1
            ? null
            : SharedMemoryBackends.For(identity.Kinds[0]).WatchDirectory(identity.Text, this);

    private static IReadOnlyList<SharedMemory> Present(Func<SharedMemory> find, object target)
    {
        try
        {
            return new[] { find() };
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            SharedMemoryException translated = ErrorRecords.Translate(e, target);
            return translated.Category == SharedMemoryErrorCategory.ObjectNotFound ? Array.Empty<SharedMemory>() : throw translated;
        }
    }

    /// <summary>Every object of the kinds given, as a listing without a name shows them.</summary>
    public IEnumerable<SharedMemory> ListAll(IEnumerable<SharedMemoryKind> kinds, ProcessSnapshot? processes = null) =>
        kinds.Select(SharedMemoryBackends.For).Where(b => b.ListedByKind)
            .SelectMany(b => Guarded(processes is null ? b.Enumerate() : b.Enumerate(processes), null));

    /// <summary>Every shared region process <paramref name="pid"/> maps or holds (of the kinds given, if any); a process that cannot be read is an error.</summary>
    public IEnumerable<SharedMemory> UsedBy(int pid, IReadOnlyCollection<SharedMemoryKind>? kinds)
    {
        IEnumerable<SharedMemory> found = Guarded(UsedRegions.Of(pid), pid);
        return kinds is null ? found : found.Where(shm => kinds.Contains(shm.Kind));
    }

    /// <summary>
    /// What process <paramref name="pid"/> sees of the kinds given (Get-SharedMemory -ProcessId), those
    /// whose Name matches one of <paramref name="names"/> if any are given (wildcards allowed; a name
    /// without one that matches nothing is an error, as in the caller's own listing).
    /// </summary>
    public IEnumerable<SharedMemory> VisibleTo(int pid, IEnumerable<SharedMemoryKind> kinds, IReadOnlyList<string> names, bool literal = false)
    {
        NamespaceView view;
        try
        {
            view = NamespaceView.Open(pid);
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            _cmdlet.WriteError(ErrorRecords.ToErrorRecord(e, pid));
            yield break;
        }
        var unmatched = new HashSet<string>(names.Where(n => literal || !WildcardPattern.ContainsWildcardCharacters(n)), StringComparer.Ordinal);
        foreach (SharedMemoryBackend backend in kinds.Select(SharedMemoryBackends.For).Where(b => b.ListedByKind))
        {
            // -LiteralName: the name as typed, a POSIX object's only (its leading '/' optional), no pattern.
            var patterns = names.Select(n => (Name: n, Pattern: literal
                ? (backend.IdentityForms.Contains(SharedMemoryIdentityForm.LiteralName) ? new WildcardPattern(WildcardPattern.Escape(backend.NormalizePattern(n))) : null)
                : Pattern(backend.NormalizePattern(n), backend))).ToList();
            foreach (SharedMemory shm in Guarded(backend.Enumerate(view), pid))
            {
                var matching = patterns.Where(p => p.Pattern?.IsMatch(shm.Name) == true).Select(p => p.Name).ToList();
                if (patterns.Count == 0 || matching.Count > 0)
                {
                    unmatched.ExceptWith(matching);
                    yield return shm;
                }
            }
        }
        foreach (string name in unmatched)
        {
            _cmdlet.WriteError(ErrorRecords.ToErrorRecord(ErrorHelper.NotFound($"shared memory object visible to process {pid} named", name), name));
        }
    }

    /// <summary>The objects a wildcard matches in one kind, its pattern parsed first (one that does not parse is the name's error).</summary>
    private IEnumerable<SharedMemory> Match(SharedMemoryBackend backend, string name)
    {
        string text = backend.NormalizePattern(name);
        return backend.Match(Pattern(text, backend).IsMatch, text, this);
    }

    bool IPathResolver.IsPattern(string text) => WildcardPattern.ContainsWildcardCharacters(text);

    string IPathResolver.Resolve(string path) => _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);


    IEnumerable<string> IPathResolver.Expand(string pattern)
    {
        try
        {
            return _cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(pattern, out _);
        }
        catch (ItemNotFoundException)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>A listing whose pattern is checked now: a bad one is that name's error, and the other names go on.</summary>
    private IEnumerable<SharedMemory> Listing(string pattern, Func<IEnumerable<SharedMemory>> list)
    {
        try
        {
            return Guarded(list(), pattern);
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            _cmdlet.WriteError(ErrorRecords.ToErrorRecord(e, pattern));
            return Array.Empty<SharedMemory>();
        }
    }

    private IEnumerable<SharedMemory> Lookup(string identity, Func<SharedMemory> find)
    {
        try
        {
            return new[] { find() };
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            _cmdlet.WriteError(ErrorRecords.ToErrorRecord(e, identity));
            return Array.Empty<SharedMemory>();
        }
    }

    /// <summary>
    /// Enumerates what a lookup or listing finds; a failure while listing (no descriptor left for
    /// /proc/sysvipc/shm, say) becomes an error record and ends that listing, not the pipeline.
    /// </summary>
    public IEnumerable<SharedMemory> Guarded(IEnumerable<SharedMemory> found, object? target)
    {
        using IEnumerator<SharedMemory> e = found.GetEnumerator();
        while (true)
        {
            try
            {
                if (!e.MoveNext())
                {
                    yield break;
                }
            }
            catch (Exception ex) when (ErrorRecords.IsTranslatable(ex))
            {
                _cmdlet.WriteError(ErrorRecords.ToErrorRecord(ex, target));
                yield break;
            }
            yield return e.Current;
        }
    }

    /// <summary>The objects of a kind whose name (POSIX: with or without the leading '/') matches a pattern: for completion.</summary>
    public static IEnumerable<SharedMemory> FindForCompletion(SharedMemoryBackend backend, string pattern)
    {
        string text = backend.NormalizePattern(pattern);
        WildcardPattern wildcard = Pattern(text, backend);
        return backend.Enumerate().Where(shm => wildcard.IsMatch(shm.Name));
    }

    /// <summary>A wildcard pattern, parsed now: one that does not parse ('/x[') is the name's error, before anything is listed.</summary>
    private static WildcardPattern Pattern(string pattern, SharedMemoryBackend backend)
    {
        var wildcard = new WildcardPattern(pattern, backend.PatternIgnoresCase
            ? WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant : WildcardOptions.CultureInvariant);
        try
        {
            wildcard.IsMatch("");
        }
        catch (WildcardPatternException e)
        {
            throw ErrorHelper.InvalidName(pattern, $"it is not a valid wildcard pattern ({e.Message}); use -LiteralName for a name with '['.");
        }
        return wildcard;
    }
}
