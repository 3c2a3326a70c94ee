using System;
using System.Globalization;
using System.Security.Cryptography;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// A System V key: parsed as users and ipcs write it, formatted as ipcs shows it (0x%08x), drawn from
/// a CSPRNG, or derived from a file with ftok(3). 0 is IPC_PRIVATE.
/// </summary>
internal readonly record struct SystemVKey(int Value)
{
    public const int Private = Libc.IPC_PRIVATE;

    public bool IsPrivate => Value == Private;

    /// <summary>0x%08x, as ipcs shows keys.</summary>
    public override string ToString() => "0x" + Value.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>0x0000abcd, 43981, or -1 (keys at or above 0x80000000 are negative as int).</summary>
    public static bool TryParse(string text, out SystemVKey key)
    {
        string s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && uint.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex))
        {
            key = new(unchecked((int)hex));
            return true;
        }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long dec)
            && dec >= int.MinValue && dec <= uint.MaxValue)
        {
            key = new(unchecked((int)dec));
            return true;
        }
        key = default;
        return false;
    }

    public static SystemVKey Parse(string text) => TryParse(text, out SystemVKey key) ? key
        : throw ErrorHelper.InvalidKey(text);

    /// <summary>A key from a CSPRNG: never IPC_PRIVATE, never -1 (what a failed ftok returns).</summary>
    public static SystemVKey Generate()
    {
        int key;
        do
        {
            key = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        }
        while (key == Private || key == -1);
        return new(key);
    }

    /// <summary>
    /// The key ftok(3) derives from an existing file and a project id (only its low 8 bits count, and
    /// they must not be 0), so that programs agreeing on a file agree on the key.
    /// </summary>
    public static SystemVKey FromPath(string path, int projectId)
    {
        if ((projectId & 0xFF) == 0)
        {
            throw ErrorHelper.InvalidProjectId(projectId);
        }
        Statx st;
        try
        {
            // Through the one safe open rather than ftok(3), which follows a link another user may have put
            // there (steering the key to a segment of theirs). A directory is taken: ftok(".") is common.
            using SafeFdHandle fd = SafeOpen.Open(path, Libc.O_RDONLY, 0, "key file (-KeyPath)", SafeOpenOptions.Directory);
            st = Libc.FStatx(fd);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, path);
        }
        return FromFile(st.Inode, st.DevMinor, projectId);
    }

    /// <summary>
    /// What glibc's and musl's ftok compute: the low 16 bits of the inode, the low 8 bits of st_dev (the
    /// low 8 bits of the minor number, as makedev encodes it) and the low 8 bits of the project id.
    /// </summary>
    internal static SystemVKey FromFile(ulong inode, uint devMinor, int projectId) =>
        new(unchecked((int)((uint)(inode & 0xFFFF) | ((devMinor & 0xFF) << 16) | ((uint)(projectId & 0xFF) << 24))));
}

/// <summary>
/// Every value a key_t can be given as, as ipcs shows it or as a number: 0x0000abcd, 0xffffffff,
/// 4294967295 (which PowerShell reads as a long), -1, or the same as text ('0xffffffff' from Import-Csv),
/// each becoming the key's 32 bits as C's int32 key_t holds them (4294967295 and -1 are both 0xffffffff).
/// What -Key takes (KeyTransformationAttribute asks the backend, which asks this).
/// </summary>
internal static class SystemVKeyValue
{
    public static int Read(object? value, string text) => TryRead(value, out int key) ? key
        : throw ErrorHelper.InvalidKeyValue(text,
            $"'{ErrorHelper.Printable(text)}' is not a System V key: give a 32-bit value as ipcs shows it (0x0000abcd, 0xffffffff) or as a number from -2147483648 to 4294967295.");

    private static bool TryRead(object? value, out int key)
    {
        switch (value)
        {
            case int i:
                key = i;
                return true;
            case long or uint or ulong or short or ushort or byte or sbyte or decimal:
                decimal number = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                if (number >= int.MinValue && number <= uint.MaxValue && decimal.Truncate(number) == number)
                {
                    key = unchecked((int)(long)number);
                    return true;
                }
                break;
            case double or float:
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (d >= int.MinValue && d <= uint.MaxValue && Math.Truncate(d) == d)
                {
                    key = unchecked((int)(long)d);
                    return true;
                }
                break;
            case string s when SystemVKey.TryParse(s, out SystemVKey parsed):
                key = parsed.Value;
                return true;
        }
        key = 0;
        return false;
    }
}
