using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace ShmPS;

/// <summary>
/// A file as the kernel names it: device (major, minor) and inode. The one device+inode type: what
/// /proc shows (maps, locks), what stat gives, and what makes two paths, or two moments of one path,
/// the same file.
/// </summary>
internal readonly record struct FileKey(uint Major, uint Minor, ulong Inode)
{
    public static FileKey Of(in Native.Statx st) => new(st.DevMajor, st.DevMinor, st.Inode);
}

/// <summary>
/// One line of /proc/PID/maps: "start-end perms offset major:minor inode path". A System V segment
/// shows as "/SYSV%08x (deleted)" whose inode is its shmid (TLPI 48.5); a POSIX object as /dev/shm/NAME.
/// </summary>
internal readonly record struct MapsEntry(ulong Start, ulong End, bool Shared, ulong Offset, FileKey File, bool IsSystemV)
{
    public long Length => (long)(End - Start);

    /// <summary>The offset just past what the mapping covers in its file (offset + length).</summary>
    public long FileEnd => (long)Offset + Length;
}

/// <summary>One lock of /proc/locks: the process that holds it and the file it is on.</summary>
internal readonly record struct LockEntry(int ProcessId, FileKey File, bool Exclusive);

/// <summary>The /proc text formats ShmPS reads to find who uses an object; pure, fed from strings in the unit tests.</summary>
internal static class ProcParsers
{
    /// <summary>The file-backed mappings of one maps file (System V segments among them); anonymous mappings (inode 0) and lines that do not parse are skipped.</summary>
    public static IEnumerable<MapsEntry> ParseMaps(TextReader reader)
    {
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (TryParseMapsLine(line, out MapsEntry entry))
            {
                yield return entry;
            }
        }
    }

    /// <param name="segmentDevice">
    /// The device System V segments show (the kernel's shm mount): a "/SYSV... (deleted)" line on another
    /// device is a deleted file of that name, which anyone can map. Null: by name alone (device unknown).
    /// </param>
    public static bool TryParseMapsLine(ReadOnlySpan<char> line, out MapsEntry entry, (uint Major, uint Minor)? segmentDevice = null) =>
        TryParseMapsLine(line, out entry, out _, segmentDevice);

    /// <param name="path">The path column as maps shows it (a deleted file ends in " (deleted)", a memfd is "/memfd:LABEL (deleted)").</param>
    public static bool TryParseMapsLine(ReadOnlySpan<char> line, out MapsEntry entry, out ReadOnlySpan<char> path, (uint Major, uint Minor)? segmentDevice = null)
    {
        entry = default;
        path = default;
        // start-end
        if (!NextField(ref line, out ReadOnlySpan<char> range)) return false;
        int dash = range.IndexOf('-');
        if (dash < 0 || !Hex(range[..dash], out ulong start) || !Hex(range[(dash + 1)..], out ulong end)) return false;
        if (!NextField(ref line, out ReadOnlySpan<char> perms) || perms.Length < 4) return false;
        if (!NextField(ref line, out ReadOnlySpan<char> offsetText) || !Hex(offsetText, out ulong offset)) return false;
        if (!NextField(ref line, out ReadOnlySpan<char> device) || !TryParseDevice(device, out uint major, out uint minor)) return false;
        if (!NextField(ref line, out ReadOnlySpan<char> inodeText) || !ulong.TryParse(inodeText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)) return false;
        path = line.TrimStart(' ');
        bool systemV = path.StartsWith("/SYSV", StringComparison.Ordinal) && path.EndsWith(" (deleted)", StringComparison.Ordinal)
            && (segmentDevice is not { } shm || (shm.Major, shm.Minor) == (major, minor));
        // Anonymous mappings have inode 0; so has System V segment 0 (the first of an IPC namespace).
        if (inode == 0 && !systemV)
        {
            path = default;
            return false;
        }
        entry = new MapsEntry(start, end, perms[3] == 's', offset, new FileKey(major, minor, inode), systemV);
        return true;
    }

    /// <summary>
    /// /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF" (device in hex, inode in decimal);
    /// waiters ("1: -> FLOCK ...") hold nothing, and open file description locks without an owner show pid -1.
    /// </summary>
    public static IEnumerable<LockEntry> ParseLocks(TextReader reader)
    {
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6 || f[1] == "->")
            {
                continue;
            }
            if (!int.TryParse(f[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
            {
                continue;
            }
            string[] id = f[5].Split(':');
            if (id.Length != 3 || !Hex(id[0], out ulong major) || !Hex(id[1], out ulong minor)
                || !ulong.TryParse(id[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            {
                continue;
            }
            yield return new LockEntry(pid, new FileKey((uint)major, (uint)minor, inode), f[3] == "WRITE");
        }
    }

    /// <summary>A process directory's name in /proc: a positive decimal number; anything else is not a process.</summary>
    public static bool TryParsePid(ReadOnlySpan<char> name, out int pid) =>
        int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 0;

    /// <summary>"fe:01": major and minor in hex, as maps prints them.</summary>
    private static bool TryParseDevice(ReadOnlySpan<char> device, out uint major, out uint minor)
    {
        major = minor = 0;
        int colon = device.IndexOf(':');
        if (colon < 0 || !Hex(device[..colon], out ulong ma) || !Hex(device[(colon + 1)..], out ulong mi)) return false;
        (major, minor) = ((uint)ma, (uint)mi);
        return true;
    }

    private static bool NextField(ref ReadOnlySpan<char> line, out ReadOnlySpan<char> field)
    {
        line = line.TrimStart(' ');
        int space = line.IndexOf(' ');
        field = space < 0 ? line : line[..space];
        line = space < 0 ? ReadOnlySpan<char>.Empty : line[space..];
        return field.Length > 0;
    }

    /// <summary>
    /// Whether a shared region's file has no name any process could open it by: a shared anonymous mapping
    /// (/dev/zero, /anon_hugepage), a memfd (/memfd:LABEL) or a removed file, which maps and /proc/PID/fd
    /// show with " (deleted)" after the name it had.
    /// </summary>
    public static bool IsNameless(ReadOnlySpan<char> path) => path.EndsWith(DeletedSuffix, StringComparison.Ordinal);

    /// <summary>A memfd, as /proc/PID/fd and maps name it: "/memfd:LABEL (deleted)".</summary>
    public static bool IsMemfd(ReadOnlySpan<char> path) => path.StartsWith("/memfd:", StringComparison.Ordinal) && IsNameless(path);

    /// <summary>What the kernel appends to the name of a file that has none any more.</summary>
    public const string DeletedSuffix = " (deleted)";

    private static bool Hex(ReadOnlySpan<char> text, out ulong value) =>
        ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
