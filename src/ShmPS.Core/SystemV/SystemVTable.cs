using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace ShmPS;

/// <summary>
/// One System V segment as /proc/sysvipc/shm lists it (every segment, even those the caller cannot
/// IPC_STAT), or as IPC_STAT describes it (then Resident and Swapped are -1: unknown).
/// </summary>
internal readonly record struct SystemVSegmentRow(int Key, int Id, int Perms, long Size, int CreatorPid, int LastPid,
    int AttachCount, uint Uid, uint Gid, uint CreatorUid, uint CreatorGid, long AttachTime, long DetachTime, long ChangeTime,
    long Resident, long Swapped);

/// <summary>/proc/sysvipc/shm: the kernel's table of System V segments.</summary>
internal static class SystemVTable
{
    public const string Path = "/proc/sysvipc/shm";

    /// <summary>
    /// Every row, from one read: the kernel produces a consistent snapshot per read, so segments
    /// removed meanwhile are simply absent instead of failing half-way. None without CONFIG_SYSVIPC.
    /// </summary>
    public static IReadOnlyList<SystemVSegmentRow> Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path);
        }
        catch (FileNotFoundException)
        {
            return Array.Empty<SystemVSegmentRow>();
        }
        return Parse(new StringReader(text));
    }

    public static bool TryFind(int? id, int? key, out SystemVSegmentRow found)
    {
        foreach (SystemVSegmentRow row in Read())
        {
            if ((id is null || row.Id == id) && (key is null || row.Key == key))
            {
                found = row;
                return true;
            }
        }
        found = default;
        return false;
    }

    /// <summary>
    /// Parses the table: a header line, then per segment "key shmid perms(octal) size cpid lpid nattch
    /// uid gid cuid cgid atime dtime ctime [rss swap]". Lines that do not parse are skipped.
    /// </summary>
    public static IReadOnlyList<SystemVSegmentRow> Parse(TextReader reader)
    {
        var rows = new List<SystemVSegmentRow>();
        reader.ReadLine(); // header
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 14 || !TryParseRow(f, out SystemVSegmentRow row))
            {
                continue;
            }
            rows.Add(row);
        }
        return rows;
    }

    private static bool TryParseRow(string[] f, out SystemVSegmentRow row)
    {
        const NumberStyles Integer = NumberStyles.AllowLeadingSign;
        CultureInfo c = CultureInfo.InvariantCulture;
        bool ok = int.TryParse(f[0], Integer, c, out int key) & int.TryParse(f[1], Integer, c, out int id)
            & TryOctal(f[2], out int perms) & ulong.TryParse(f[3], Integer, c, out ulong size)
            & int.TryParse(f[4], Integer, c, out int cpid) & int.TryParse(f[5], Integer, c, out int lpid)
            & int.TryParse(f[6], Integer, c, out int nattch) & uint.TryParse(f[7], Integer, c, out uint uid)
            & uint.TryParse(f[8], Integer, c, out uint gid) & uint.TryParse(f[9], Integer, c, out uint cuid)
            & uint.TryParse(f[10], Integer, c, out uint cgid) & long.TryParse(f[11], Integer, c, out long atime)
            & long.TryParse(f[12], Integer, c, out long dtime) & long.TryParse(f[13], Integer, c, out long ctime);
        ulong rss = 0, swap = 0;
        ok &= f.Length <= 14 || ulong.TryParse(f[14], Integer, c, out rss);
        ok &= f.Length <= 15 || ulong.TryParse(f[15], Integer, c, out swap);
        row = new SystemVSegmentRow(key, id, perms, (long)size, cpid, lpid, nattch, uid, gid, cuid, cgid, atime, dtime, ctime,
            (long)rss, (long)swap);
        return ok;
    }

    private static bool TryOctal(string s, out int value)
    {
        value = 0;
        foreach (char ch in s)
        {
            if (ch is < '0' or > '7' || value > 0x7FFFFFF) return false;
            value = value * 8 + (ch - '0');
        }
        return s.Length > 0;
    }
}
