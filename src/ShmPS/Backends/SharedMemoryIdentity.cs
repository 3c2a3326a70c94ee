using System.Collections.Generic;
using System.Linq;

namespace ShmPS;

/// <summary>How an identity names its object.</summary>
public enum SharedMemoryIdentityForm
{
    /// <summary>A name as the object's Name shows it (/foo, 0x0000abcd, a path), wildcards allowed.</summary>
    Name,
    /// <summary>A POSIX name used exactly as given.</summary>
    LiteralName,
    /// <summary>A System V key.</summary>
    Key,
    /// <summary>A System V id (shmid).</summary>
    Id,
    /// <summary>A path of a file mapping, wildcards allowed, relative to PowerShell's location.</summary>
    Path,
    /// <summary>A path of a file mapping used exactly as given.</summary>
    LiteralPath,
}

/// <summary>
/// What a cmdlet was told to act on, whichever parameter said it: made once from the bound parameters
/// (SharedMemoryIdentityCommandBase.Identities) and resolved by the kinds' backends (SharedMemoryFinder).
/// A Name is tried in each of <see cref="Kinds"/> whose names it can be, in order: Get-SharedMemory gives
/// both POSIX and System V, so the Name a listing shows (0x7e570003) finds its segment again.
/// </summary>
public sealed record SharedMemoryIdentity(SharedMemoryIdentityForm Form, string Text, IReadOnlyList<SharedMemoryKind> Kinds, int? Id = null)
{
    public static SharedMemoryIdentity ForName(string name, IReadOnlyList<SharedMemoryKind> kinds, int? id) =>
        new(SharedMemoryIdentityForm.Name, name, kinds, id);

    public static SharedMemoryIdentity ForLiteralName(string name) =>
        new(SharedMemoryIdentityForm.LiteralName, name, new[] { SharedMemoryKind.Posix });

    public static SharedMemoryIdentity ForKey(int key) =>
        new(SharedMemoryIdentityForm.Key, new SystemVKey(key).ToString(), new[] { SharedMemoryKind.SystemV });

    public static SharedMemoryIdentity ForId(int id) => ForId(id, new[] { SharedMemoryKind.SystemV });

    /// <summary>An id of the first kind given that has ids (System V: a shmid; Anonymous: an inode), System V if none has.</summary>
    public static SharedMemoryIdentity ForId(int id, IReadOnlyList<SharedMemoryKind> kinds)
    {
        SharedMemoryKind kind = kinds.Select(SharedMemoryBackends.For).FirstOrDefault(b => b.HasIds)?.Kind ?? SharedMemoryKind.SystemV;
        return new(SharedMemoryIdentityForm.Id, id.ToString(System.Globalization.CultureInfo.InvariantCulture), new[] { kind }, id);
    }

    public static SharedMemoryIdentity ForPath(string path, bool literal) =>
        new(literal ? SharedMemoryIdentityForm.LiteralPath : SharedMemoryIdentityForm.Path, path, new[] { SharedMemoryKind.File });

    /// <summary>Used exactly as given: no wildcards, and (POSIX) only the system's own name rules.</summary>
    public bool IsLiteral => Form is SharedMemoryIdentityForm.LiteralName or SharedMemoryIdentityForm.LiteralPath;

    public override string ToString() => Text;
}
