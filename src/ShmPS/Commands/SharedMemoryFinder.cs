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
    /// Names as each kind writes them: /foo (POSIX), 0x0000abcd (System V key), a path (File). A wildcard
    /// matches in every kind given; an exact name is looked up in the first kind given.
    /// </summary>
    /// <param name="ids">System V ids bound beside the names: used for names whose key is 0 (IPC_PRIVATE).</param>
    public IEnumerable<SharedMemory> ResolveNames(IEnumerable<string> names, IReadOnlyList<SharedMemoryKind> kinds,
        IReadOnlyList<int> ids)
    {
        foreach (string name in names)
        {
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(name);
            foreach (SharedMemoryBackend backend in (wildcard ? kinds : kinds.Take(1)).Select(SharedMemoryBackends.For))
            {
                IEnumerable<SharedMemory> found = wildcard
                    ? Listing(name, () => Match(backend, name))
                    : Lookup(name, () => backend.Find(name, ids.Count == 1 ? ids[0] : null, this));
                foreach (SharedMemory shm in found)
                {
                    yield return shm;
                }
            }
        }
    }

    /// <summary>Every object of the kinds given, as a listing without a name shows them.</summary>
    public IEnumerable<SharedMemory> ListAll(IEnumerable<SharedMemoryKind> kinds) =>
        kinds.Select(SharedMemoryBackends.For).Where(b => b.ListedByDefault).SelectMany(b => Guarded(b.Enumerate(), null));

    public IEnumerable<SharedMemory> ResolveLiteralNames(IEnumerable<string> names) =>
        names.SelectMany(name => Lookup(name, () => PosixSharedMemory.Find(name, literal: true)));

    public IEnumerable<SharedMemory> ResolveKeys(IEnumerable<int> keys) =>
        keys.SelectMany(key => Lookup(SystemVSharedMemory.FormatKey(key), () => SystemVBackend.FindByKey(key)));

    public IEnumerable<SharedMemory> ResolveIds(IEnumerable<int> ids) =>
        ids.SelectMany(id => Lookup(id.ToString(System.Globalization.CultureInfo.InvariantCulture), () => SystemVBackend.FindById(id)));

    /// <summary>Paths resolved against PowerShell's current location, not the process's working directory.</summary>
    public IEnumerable<SharedMemory> ResolvePaths(IEnumerable<string> paths, bool literal)
    {
        foreach (string path in paths)
        {
            IEnumerable<SharedMemory> found = !literal && WildcardPattern.ContainsWildcardCharacters(path)
                ? Listing(path, () => Match(FileBackend.Instance, path))
                : Lookup(path, () => FileBackend.Instance.Find(path, null, this));
            foreach (SharedMemory shm in found)
            {
                yield return shm;
            }
        }
    }

    /// <summary>The objects a wildcard matches in one kind, its pattern parsed first (one that does not parse is the name's error).</summary>
    private IEnumerable<SharedMemory> Match(SharedMemoryBackend backend, string name)
    {
        string text = backend.NormalizePattern(name);
        return backend.Match(Pattern(text, backend.PatternOptions), text, this);
    }

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
        catch (Exception e) when (ErrorHelper.IsTranslatable(e))
        {
            _cmdlet.WriteError(ErrorHelper.ToErrorRecord(e, pattern));
            return Array.Empty<SharedMemory>();
        }
    }

    private IEnumerable<SharedMemory> Lookup(string identity, Func<SharedMemory> find)
    {
        try
        {
            return new[] { find() };
        }
        catch (Exception e) when (ErrorHelper.IsTranslatable(e))
        {
            _cmdlet.WriteError(ErrorHelper.ToErrorRecord(e, identity));
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
            catch (Exception ex) when (ErrorHelper.IsTranslatable(ex))
            {
                _cmdlet.WriteError(ErrorHelper.ToErrorRecord(ex, target));
                yield break;
            }
            yield return e.Current;
        }
    }

    /// <summary>The POSIX objects whose name (with or without the leading '/') matches a pattern: for completion.</summary>
    public static IEnumerable<SharedMemory> FindPosix(string pattern)
    {
        string text = PosixBackend.Instance.NormalizePattern(pattern);
        WildcardPattern wildcard = Pattern(text, PosixBackend.Instance.PatternOptions);
        return PosixBackend.Instance.Enumerate().Where(shm => wildcard.IsMatch(shm.Name));
    }

    /// <summary>A wildcard pattern, parsed now: one that does not parse ('/x[') is the name's error, before anything is listed.</summary>
    private static WildcardPattern Pattern(string pattern, WildcardOptions options)
    {
        var wildcard = new WildcardPattern(pattern, options);
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
