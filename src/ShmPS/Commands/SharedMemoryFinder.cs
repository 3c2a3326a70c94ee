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
internal sealed class SharedMemoryFinder
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
            foreach (SharedMemoryKind kind in wildcard ? kinds : kinds.Take(1))
            {
                IEnumerable<SharedMemory> found = kind switch
                {
                    SharedMemoryKind.File => ResolvePaths(new[] { name }, literal: !wildcard),
                    SharedMemoryKind.SystemV when wildcard => Listing(name, () => FindSystemV(name)),
                    SharedMemoryKind.SystemV => Lookup(name, () => FindSystemV(name, ids)),
                    _ when wildcard => Listing(name, () => FindPosix(name)),
                    _ => Lookup(name, () => PosixSharedMemory.Find(name)),
                };
                foreach (SharedMemory shm in found)
                {
                    yield return shm;
                }
            }
        }
    }

    private static SystemVSharedMemory FindSystemV(string name, IReadOnlyList<int> ids)
    {
        int key = SystemVSharedMemory.ParseKey(name);
        return key == 0 && ids.Count == 1 ? SystemVSharedMemory.FindById(ids[0]) : SystemVSharedMemory.FindByKey(key);
    }

    public IEnumerable<SharedMemory> ResolveLiteralNames(IEnumerable<string> names) =>
        names.SelectMany(name => Lookup(name, () => PosixSharedMemory.Find(name, literal: true)));

    public IEnumerable<SharedMemory> ResolveKeys(IEnumerable<int> keys) =>
        keys.SelectMany(key => Lookup(SystemVSharedMemory.FormatKey(key), () => SystemVSharedMemory.FindByKey(key)));

    public IEnumerable<SharedMemory> ResolveIds(IEnumerable<int> ids) =>
        ids.SelectMany(id => Lookup(id.ToString(System.Globalization.CultureInfo.InvariantCulture), () => SystemVSharedMemory.FindById(id)));

    /// <summary>Paths resolved against PowerShell's current location, not the process's working directory.</summary>
    public IEnumerable<SharedMemory> ResolvePaths(IEnumerable<string> paths, bool literal)
    {
        foreach (string path in paths)
        {
            if (PathRules.Reason(path) is string reason)
            {
                // Checked before PowerShell resolves it: a NUL would cut the path at the system call.
                _cmdlet.WriteError(ErrorHelper.ToErrorRecord(ErrorHelper.InvalidPath(path, reason), path));
                continue;
            }
            IEnumerable<string> resolved = literal || !WildcardPattern.ContainsWildcardCharacters(path)
                ? new[] { _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path) }
                : ExpandWildcard(path);
            foreach (string file in resolved)
            {
                foreach (SharedMemory shm in Lookup(file, () => FileSharedMemory.Find(file)))
                {
                    yield return shm;
                }
            }
        }
    }

    private IEnumerable<string> ExpandWildcard(string path)
    {
        try
        {
            return _cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _);
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

    /// <summary>System V segments whose name (0x%08x key) matches a wildcard pattern, ordered by id.</summary>
    public static IEnumerable<SharedMemory> FindSystemV(string pattern)
    {
        WildcardPattern wildcard = Pattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
        return SystemVSharedMemory.EnumerateAll().Where(shm => wildcard.IsMatch(shm.Name)).OrderBy(shm => shm.Id);
    }

    /// <summary>POSIX objects whose name (with or without the leading '/') matches a wildcard pattern.</summary>
    public static IEnumerable<SharedMemory> FindPosix(string pattern)
    {
        string withSlash = pattern.StartsWith('/') ? pattern : "/" + pattern;
        WildcardPattern wildcard = Pattern(withSlash, WildcardOptions.CultureInvariant);
        return PosixSharedMemory.EnumerateAll()
            .Where(shm => wildcard.IsMatch(shm.Name))
            .OrderBy(shm => shm.Name, StringComparer.Ordinal);
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
