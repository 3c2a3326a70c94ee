using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// Lets -Key take every value a key_t can be, as ipcs shows it or as a number: 0x0000abcd, 0xffffffff,
/// 4294967295 (which PowerShell reads as a long), -1, or the same as text ('0xffffffff' from Import-Csv),
/// each becoming the key's 32 bits as C's int32 key_t holds them (4294967295 and -1 are both 0xffffffff).
/// The parameter stays an int, so that the Key property of objects binds as it is.
/// </summary>
public sealed class SystemVKeyTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is System.Collections.IList list)
        {
            var keys = new int[list.Count];
            for (int i = 0; i < keys.Length; i++)
            {
                keys[i] = ToKey(list[i]);
            }
            return keys;
        }
        return value is null ? null : ToKey(inputData);
    }

    private static int ToKey(object? item)
    {
        object? value = item is PSObject pso ? pso.BaseObject : item;
        switch (value)
        {
            case int i:
                return i;
            case long or uint or ulong or short or ushort or byte or sbyte or decimal:
                decimal number = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                if (number >= int.MinValue && number <= uint.MaxValue && decimal.Truncate(number) == number)
                {
                    return unchecked((int)(long)number);
                }
                break;
            case double or float:
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (d >= int.MinValue && d <= uint.MaxValue && Math.Truncate(d) == d)
                {
                    return unchecked((int)(long)d);
                }
                break;
            case string s when SystemVKey.TryParse(s, out SystemVKey key):
                return key.Value;
        }
        string text = item is PSObject wrapped ? wrapped.ToString() : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        throw new ArgumentTransformationMetadataException(
            $"'{ErrorHelper.Printable(text)}' is not a System V key: give a 32-bit value as ipcs shows it (0x0000abcd, 0xffffffff) or as a number from -2147483648 to 4294967295.",
            ErrorHelper.Make(ErrorIds.InvalidKey, SharedMemoryErrorCategory.InvalidArgument, $"'{ErrorHelper.Printable(text)}' is not a System V key.", text));
    }
}

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
