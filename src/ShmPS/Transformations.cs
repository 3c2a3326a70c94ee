using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// Lets -Mode take '0640', '640', 640, 'rw-r-----' or a UnixFileMode, and gives the parameter the mode as
/// octal text (0640), checked. The parameter is a string, not a UnixFileMode: PowerShell completes an
/// enum parameter with the enum's names (GroupRead, ...), which are no modes, and never asks its completer.
/// </summary>
public sealed class UnixModeTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        try
        {
            return UnixMode.ToOctal(value switch
            {
                UnixFileMode mode => mode,
                string s => UnixMode.Parse(s),
                // -Mode u=rw,g=r typed bare is an array to PowerShell: its commas were the mode's.
                object[] parts when Array.TrueForAll(parts, p => (p is PSObject w ? w.BaseObject : p) is string) =>
                    UnixMode.Parse(string.Join(",", parts)),
                // -Mode 0640 typed bare reaches here as the number 640 wrapped with the text as typed: read
                // the text, so that a mistake (-Mode 0999) is named as it was given, leading 0 and all.
                int or long or short or byte or uint or ulong or ushort when inputData is PSObject typed
                    && typed.ToString() is { Length: > 0 } token && char.IsDigit(token[0]) => UnixMode.Parse(token),
                int or long or short or byte or uint or ulong or ushort => UnixMode.FromNumber(Convert.ToInt64(value)),
                _ => throw new ArgumentTransformationMetadataException($"Cannot convert '{value}' to a mode."),
            });
        }
        catch (Exception e) when (e is ISharedMemoryError or OverflowException or InvalidCastException)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}

/// <summary>What the cmdlets say about modes.</summary>
internal static class ModeWarnings
{
    /// <summary>A mode that lets every user write is allowed, and said aloud.</summary>
    internal static void WarnIfWorldWritable(Cmdlet cmdlet, UnixFileMode mode, string target)
    {
        if ((mode & UnixFileMode.OtherWrite) != 0)
        {
            cmdlet.WriteWarning($"Mode {UnixMode.ToOctal(mode)} lets every user on the system write to {target}.");
        }
    }
}
