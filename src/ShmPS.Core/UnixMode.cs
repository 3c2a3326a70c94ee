using System;
using System.Collections;
using System.IO;
using System.Text;

namespace ShmPS;

/// <summary>Converts between UnixFileMode and the forms users type: '0640', '640', 'rw-r-----', 'u=rw,g=r'.</summary>
public static class UnixMode
{
    /// <summary>The forms -Mode takes, for messages.</summary>
    internal const string AcceptedForms = "octal such as 0640, as ls shows it such as rw-r-----, or as chmod's assignments such as u=rw,g=r";

    /// <summary>
    /// Parses an octal ('0640', '640', '0o640'), ls-style ('rw-r-----', '-rw-r-----') or chmod-style
    /// ('u=rw,g=r', 'a=r,u=rw') mode.
    /// </summary>
    public static UnixFileMode Parse(string text)
    {
        string s = text.Trim();
        if (s.Contains('='))
        {
            return ParseAssignments(s, text);
        }
        if (s.Length is 9 or 10 && !char.IsDigit(s[0]))
        {
            return ParseSymbolic(s.Length == 10 ? s[1..] : s, text);
        }
        if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            s = s[2..];
        }
        if (s.Length is < 1 or > 4)
        {
            throw Invalid(text);
        }
        int mode = 0;
        foreach (char c in s)
        {
            if (c is < '0' or > '7') throw Invalid(text);
            mode = mode * 8 + (c - '0');
        }
        return (UnixFileMode)mode;
    }

    /// <summary>A number is read digit by digit as octal, like chmod: 640 means 0640.</summary>
    public static UnixFileMode FromNumber(long number) =>
        number < 0 ? throw Invalid(number.ToString()) : Parse(number.ToString());

    /// <summary>
    /// chmod's 'who=permissions' clauses, comma-separated, from no permissions at all: the result is exactly
    /// what the clauses say (a class that no clause names gets nothing, and there is no umask). Only '=':
    /// '+' and '-' change an existing mode, and -Mode sets the whole mode.
    /// </summary>
    private static UnixFileMode ParseAssignments(string s, string original)
    {
        int mode = 0;
        foreach (string clause in s.Split(','))
        {
            int eq = clause.IndexOf('=');
            if (eq < 0) throw Invalid(original);
            string who = clause[..eq].Length == 0 ? "a" : clause[..eq];
            int bits = 0;
            foreach (char c in clause[(eq + 1)..])
            {
                bits |= c switch { 'r' => 4, 'w' => 2, 'x' => 1, _ => throw Invalid(original) };
            }
            foreach (char c in who)
            {
                int shifts = c switch { 'u' => 0b100, 'g' => 0b010, 'o' => 0b001, 'a' => 0b111, _ => throw Invalid(original) };
                for (int shift = 0; shift < 3; shift++)
                {
                    if ((shifts & (1 << shift)) != 0)
                    {
                        int place = 3 * shift; // o = bits 0-2, g = 3-5, u = 6-8
                        mode = (mode & ~(7 << place)) | (bits << place);
                    }
                }
            }
        }
        return (UnixFileMode)mode;
    }

    private static UnixFileMode ParseSymbolic(string s, string original)
    {
        const string letters = "rwxrwxrwx";
        int mode = 0;
        for (int i = 0; i < 9; i++)
        {
            char c = s[i];
            int bit = 1 << (8 - i);
            if (c == letters[i]) mode |= bit;
            else if (i % 3 == 2 && c is 's' or 't') mode |= bit | SpecialBit(i);
            else if (i % 3 == 2 && c is 'S' or 'T') mode |= SpecialBit(i);
            else if (c != '-') throw Invalid(original);
        }
        return (UnixFileMode)mode;
    }

    // setuid (04000) for the owner triplet, setgid (02000) for the group, sticky (01000) for others.
    private static int SpecialBit(int index) => 0x800 >> (index / 3);

    /// <summary>'rw-r-----' (with s/S/t/T for the special bits, as ls shows them).</summary>
    public static string ToSymbolic(UnixFileMode mode)
    {
        int m = (int)mode;
        var sb = new StringBuilder(9);
        for (int i = 0; i < 9; i++)
        {
            bool set = (m & (1 << (8 - i))) != 0;
            char c = set ? "rwxrwxrwx"[i] : '-';
            if (i % 3 == 2 && (m & SpecialBit(i)) != 0)
            {
                c = i == 8 ? (set ? 't' : 'T') : (set ? 's' : 'S');
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>'0640'.</summary>
    public static string ToOctal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');

    /// <summary>
    /// Refuses setuid, setgid and sticky bits (and anything above them): on shared memory they mean
    /// nothing useful, and on a file mapping a setuid bit would make a file that runs as its owner.
    /// </summary>
    public static void RequirePermissionBitsOnly(UnixFileMode mode)
    {
        if (((int)mode & ~0x1FF) != 0)
        {
            throw ErrorHelper.SpecialModeBits(mode, ToOctal(mode & (UnixFileMode)0xFFF), ((int)mode & ~0xFFF) != 0);
        }
    }
    private static Exception Invalid(string text) =>
        ErrorHelper.InvalidMode(text, AcceptedForms);
}
