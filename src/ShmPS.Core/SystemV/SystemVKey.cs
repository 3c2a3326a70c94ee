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
        : throw ErrorHelper.Make(ErrorIds.InvalidKey, SharedMemoryErrorCategory.InvalidArgument,
            $"'{ErrorHelper.Printable(text)}' is not a System V key.", text, "Give a key such as 0x0000abcd or a 32-bit number.");

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
            throw ErrorHelper.Make(ErrorIds.InvalidProjectId, SharedMemoryErrorCategory.InvalidArgument,
                $"Project id {projectId} has 0 in its low 8 bits; ftok uses only those bits and they must not be 0.",
                projectId, "Give a project id from 1 to 255.");
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
