using System.Collections.Generic;

namespace ShmPS;

/// <summary>How an identity names its object: one identity parameter of the cmdlets; each kind declares the forms that name it.</summary>
public enum SharedMemoryIdentityForm
{
    /// <summary>A name as the object's Name shows it (/foo, 0x0000abcd, a path), wildcards allowed.</summary>
    Name,
    /// <summary>A name used exactly as given (POSIX).</summary>
    LiteralName,
    /// <summary>A key (System V).</summary>
    Key,
    /// <summary>A number the kind gives each object (System V: the shmid).</summary>
    Id,
    /// <summary>A path, wildcards allowed, relative to PowerShell's location (File).</summary>
    Path,
    /// <summary>A path used exactly as given (File).</summary>
    LiteralPath,
}

/// <summary>
/// What a cmdlet was told to act on, whichever parameter said it: made once from the bound parameters
/// (SharedMemoryIdentityCommandBase.Identities) and resolved by the kinds' backends (SharedMemoryFinder).
/// A Name is tried in each of <see cref="Kinds"/> whose names it can be, in order: Get-SharedMemory gives
/// every kind a listing shows, so the Name a listing shows (0x7e570003) finds its object again. The other
/// forms name the kinds that declare them (SharedMemoryBackend.IdentityForms; the registry's NamedBy).
/// </summary>
public sealed record SharedMemoryIdentity(SharedMemoryIdentityForm Form, string Text, IReadOnlyList<SharedMemoryKind> Kinds, long? Id = null)
{
    public static SharedMemoryIdentity ForName(string name, IReadOnlyList<SharedMemoryKind> kinds, long? id) =>
        new(SharedMemoryIdentityForm.Name, name, kinds, id);

    /// <param name="kinds">The kinds -Kind chose, or null for the first kind that takes literal names.</param>
    public static SharedMemoryIdentity ForLiteralName(string name, IReadOnlyList<SharedMemoryKind>? kinds = null) =>
        new(SharedMemoryIdentityForm.LiteralName, name, SharedMemoryBackends.NamedBy(SharedMemoryIdentityForm.LiteralName, kinds));

    public static SharedMemoryIdentity ForKey(int key) => ForNumber(SharedMemoryIdentityForm.Key, key, null);

    /// <param name="kinds">The kinds -Kind chose, or null for the first kind that has ids.</param>
    public static SharedMemoryIdentity ForId(long id, IReadOnlyList<SharedMemoryKind>? kinds = null) =>
        ForNumber(SharedMemoryIdentityForm.Id, id, kinds) with { Id = id };

    public static SharedMemoryIdentity ForPath(string path, bool literal)
    {
        SharedMemoryIdentityForm form = literal ? SharedMemoryIdentityForm.LiteralPath : SharedMemoryIdentityForm.Path;
        return new(form, path, SharedMemoryBackends.NamedBy(form, null));
    }

    /// <summary>A number given to -Key or -Id, written as the kind it names writes it.</summary>
    private static SharedMemoryIdentity ForNumber(SharedMemoryIdentityForm form, long value, IReadOnlyList<SharedMemoryKind>? kinds)
    {
        IReadOnlyList<SharedMemoryKind> named = SharedMemoryBackends.NamedBy(form, kinds);
        string text = named.Count == 0 ? value.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : SharedMemoryBackends.For(named[0]).IdentityText(form, value);
        return new(form, text, named);
    }

    /// <summary>Used exactly as given: no wildcards, and (POSIX) only the system's own name rules.</summary>
    public bool IsLiteral => Form is SharedMemoryIdentityForm.LiteralName or SharedMemoryIdentityForm.LiteralPath;

    public override string ToString() => Text;
}
