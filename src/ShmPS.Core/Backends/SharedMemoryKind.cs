using System;

namespace ShmPS;

/// <summary>
/// A kind of shared memory, as -Kind takes it and an object's Kind shows it (Posix, SystemV, File). Each
/// kind's backend declares its own (SharedMemoryBackend.Kind); which kinds exist is the registry's list
/// (SharedMemoryBackends.All), so nothing outside a kind's folder names one.
/// </summary>
public sealed class SharedMemoryKind
{
    internal SharedMemoryKind(string name) => Name = name;

    /// <summary>The name -Kind takes and Kind shows.</summary>
    public string Name { get; }

    public override string ToString() => Name;

    /// <summary>
    /// The registered kind of that name, in any case: how PowerShell converts -Kind Posix, a row's Kind
    /// property (ConvertFrom-Json, Import-Csv) and [ShmPS.SharedMemoryKind]'SystemV'.
    /// </summary>
    public static SharedMemoryKind Parse(string text) =>
        SharedMemoryBackends.Named(text)?.Kind ?? throw ErrorHelper.UnknownKind(text, SharedMemoryBackends.KindNames);

    /// <summary>The names of the registered kinds, in the registry's order (what -Kind completes and accepts).</summary>
    public static string[] Names => SharedMemoryBackends.KindNames;
}
