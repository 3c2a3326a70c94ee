using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// What PowerShell shows of Kind, Mode and Id (ShmPS.Types.ps1xml): text that converts back to the same
/// value wherever it goes. ConvertTo-Json writes enum values as numbers (Kind 0, Mode 416, and -Mode 416
/// would mean 0416), and Export-Csv takes its columns from the first object, so every kind has an Id.
/// They are extended members rather than .NET properties because ConvertTo-Json reads .NET properties
/// first and would write those; Kind and Mode stay typed (internal) for the code.
/// </summary>
public abstract partial class SharedMemory
{
    /// <summary>Kind as text: Posix, SystemV or File (what -Kind takes).</summary>
    public static string GetKindText(PSObject instance) => Of(instance).Kind.ToString();

    /// <summary>Mode as octal text: 0640 (what -Mode takes).</summary>
    public static string GetModeText(PSObject instance) => UnixMode.ToOctal(Of(instance).Mode);

    /// <summary>The id of a System V segment or the inode of an anonymous region; null for the other kinds, whose objects have none.</summary>
    public static object? GetId(PSObject instance) => Of(instance).IdValue;

    private static SharedMemory Of(PSObject instance) => (SharedMemory)instance.BaseObject;
}
