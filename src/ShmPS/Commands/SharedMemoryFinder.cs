using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Lookups that Get-SharedMemory, the identity base and the completers share.</summary>
internal static class SharedMemoryFinder
{
    /// <summary>
    /// The objects a POSIX name denotes: every match of a wildcard pattern, or the one object of an
    /// exact name; a missing exact name is reported through <paramref name="writeError"/>.
    /// </summary>
    public static IEnumerable<SharedMemory> ResolveName(string name, System.Action<ErrorRecord> writeError)
    {
        if (WildcardPattern.ContainsWildcardCharacters(name))
        {
            return FindPosix(name);
        }
        try
        {
            return new SharedMemory[] { PosixSharedMemory.Find(name) };
        }
        catch (SharedMemoryException e)
        {
            writeError(ErrorHelper.ToErrorRecord(e, name));
            return System.Array.Empty<SharedMemory>();
        }
    }

    /// <summary>POSIX objects whose name (with or without the leading '/') matches a wildcard pattern.</summary>
    public static IEnumerable<SharedMemory> FindPosix(string pattern)
    {
        string withSlash = pattern.StartsWith('/') ? pattern : "/" + pattern;
        var wildcard = new WildcardPattern(withSlash, WildcardOptions.CultureInvariant);
        return PosixSharedMemory.EnumerateAll().Where(shm => wildcard.IsMatch(shm.Name)).OrderBy(shm => shm.Name, System.StringComparer.Ordinal);
    }
}
