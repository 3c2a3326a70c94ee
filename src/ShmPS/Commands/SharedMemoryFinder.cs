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
                    SharedMemoryKind.SystemV when wildcard => FindSystemV(name),
                    SharedMemoryKind.SystemV => Lookup(name, () => FindSystemV(name, ids)),
                    _ when wildcard => FindPosix(name),
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

    public IEnumerable<SharedMemory> ResolveKeys(IEnumerable<int> keys) =>
        keys.SelectMany(key => Lookup(SystemVSharedMemory.FormatKey(key), () => SystemVSharedMemory.FindByKey(key)));

    public IEnumerable<SharedMemory> ResolveIds(IEnumerable<int> ids) =>
        ids.SelectMany(id => Lookup(id.ToString(System.Globalization.CultureInfo.InvariantCulture), () => SystemVSharedMemory.FindById(id)));

    /// <summary>Paths resolved against PowerShell's current location, not the process's working directory.</summary>
    public IEnumerable<SharedMemory> ResolvePaths(IEnumerable<string> paths, bool literal)
    {
        foreach (string path in paths)
        {
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

    private IEnumerable<SharedMemory> Lookup(string identity, Func<SharedMemory> find)
    {
        try
        {
            return new[] { find() };
        }
        catch (SharedMemoryException e)
        {
            _cmdlet.WriteError(ErrorHelper.ToErrorRecord(e, identity));
            return Array.Empty<SharedMemory>();
        }
    }

    /// <summary>System V segments whose name (0x%08x key) matches a wildcard pattern, ordered by id.</summary>
    public static IEnumerable<SharedMemory> FindSystemV(string pattern)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
        return SystemVSharedMemory.EnumerateAll().Where(shm => wildcard.IsMatch(shm.Name)).OrderBy(shm => shm.Id);
    }

    /// <summary>POSIX objects whose name (with or without the leading '/') matches a wildcard pattern.</summary>
    public static IEnumerable<SharedMemory> FindPosix(string pattern)
    {
        string withSlash = pattern.StartsWith('/') ? pattern : "/" + pattern;
        var wildcard = new WildcardPattern(withSlash, WildcardOptions.CultureInvariant);
        return PosixSharedMemory.EnumerateAll()
            .Where(shm => wildcard.IsMatch(shm.Name))
            .OrderBy(shm => shm.Name, StringComparer.Ordinal);
    }
}
