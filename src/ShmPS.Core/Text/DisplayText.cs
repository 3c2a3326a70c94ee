using System.Globalization;
using System.Text;

namespace ShmPS;

/// <summary>
/// Text that others chose (names, process names, user names, paths) as ShmPS shows it: every character
/// that a terminal would act on or that would hide what is there is written as a visible escape, the
/// way ls -b does, so a name cannot erase a line, set the window title or reorder what is around it.
/// The properties keep the raw value; views, ToString, warnings, error messages and completion lists
/// show this.
/// <list type="bullet">
/// <item>control characters (C0, DEL, C1): \a \b \t \n \v \f \r \e, else \x01 (C0, DEL) or \u009b (C1);</item>
/// <item>bytes that are not UTF-8 (NameBytes: U+DC80–U+DCFF): \xff;</item>
/// <item>invisible format and bidirectional characters (Unicode Cf: zero-width U+200B–U+200F, bidi
///   U+202A–U+202E and U+2066–U+2069, U+FEFF, ...) and line/paragraph separators: \u202e, \U000e0001;</item>
/// <item>other lone surrogates: \ud800; and the backslash itself: \\ (so an escape is never ambiguous).</item>
/// </list>
/// </summary>
public static class DisplayText
{
    /// <summary>The text with every character that needs it escaped; the same string when none does.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        int first = FirstToEscape(text, escapeBackslash: true);
        if (first < 0)
        {
            return text;
        }
        var shown = new StringBuilder(text.Length + 8);
        shown.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int scalar = char.ConvertToUtf32(c, text[i + 1]);
                if (IsHidden(scalar))
                {
                    shown.Append("\\U").Append(scalar.ToString("x8", CultureInfo.InvariantCulture));
                }
                else
                {
                    shown.Append(c).Append(text[i + 1]);
                }
                i++;
                continue;
            }
            switch (c)
            {
                case '\\': shown.Append("\\\\"); break;
                case '\a': shown.Append("\\a"); break;
                case '\b': shown.Append("\\b"); break;
                case '\t': shown.Append("\\t"); break;
                case '\n': shown.Append("\\n"); break;
                case '\v': shown.Append("\\v"); break;
                case '\f': shown.Append("\\f"); break;
                case '\r': shown.Append("\\r"); break;
                case '\u001b': shown.Append("\\e"); break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        shown.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (NameBytes.IsByteEscape(c))
                    {
                        shown.Append("\\x").Append((c - 0xDC00).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsSurrogate(c) || IsHidden(c))
                    {
                        shown.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        shown.Append(c);
                    }
                    break;
            }
        }
        return shown.ToString();
    }

    /// <summary>Whether the text holds anything Escape would change (the backslash aside).</summary>
    public static bool NeedsEscape(string? text) => text is not null && FirstToEscape(text, escapeBackslash: false) >= 0;

    /// <summary>
    /// The text as the inside of a PowerShell double-quoted string that, typed back, is the exact text:
    /// ` $ " and the typographic double quotes escaped with a backtick, controls as `e `n `t ..., and every
    /// other character Escape would change as `u{202e} (a byte that is not UTF-8 as `u{dcff}).
    /// </summary>
    public static string ToPowerShellDoubleQuoted(string text)
    {
        var typed = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int scalar = char.ConvertToUtf32(c, text[i + 1]);
                if (IsHidden(scalar))
                {
                    typed.Append("`u{").Append(scalar.ToString("x", CultureInfo.InvariantCulture)).Append('}');
                }
                else
                {
                    typed.Append(c).Append(text[i + 1]);
                }
                i++;
                continue;
            }
            switch (c)
            {
                case '`': typed.Append("``"); break;
                case '$': typed.Append("`$"); break;
                case '"': typed.Append("`\""); break;
                case '\u201C' or '\u201D' or '\u201E': typed.Append('`').Append(c); break;
                case '\0': typed.Append("`0"); break;
                case '\a': typed.Append("`a"); break;
                case '\b': typed.Append("`b"); break;
                case '\t': typed.Append("`t"); break;
                case '\n': typed.Append("`n"); break;
                case '\v': typed.Append("`v"); break;
                case '\f': typed.Append("`f"); break;
                case '\r': typed.Append("`r"); break;
                case '\u001b': typed.Append("`e"); break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c) || IsHidden(c))
                    {
                        typed.Append("`u{").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)).Append('}');
                    }
                    else
                    {
                        typed.Append(c);
                    }
                    break;
            }
        }
        return typed.ToString();
    }

    /// <summary>The index of the first character to escape, or -1.</summary>
    private static int FirstToEscape(string text, bool escapeBackslash)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c == '\\' && escapeBackslash))
            {
                return i;
            }
            if (c < 0xa0)
            {
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (IsHidden(char.ConvertToUtf32(c, text[i + 1])))
                {
                    return i;
                }
                i++;
                continue;
            }
            if (char.IsSurrogate(c) || IsHidden(c))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Invisible characters that change how text around them shows: format (Cf: zero-width, bidi, BOM, tags) and line/paragraph separators.</summary>
    private static bool IsHidden(int scalar) =>
        CharUnicodeInfo.GetUnicodeCategory(scalar) is UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Control;
}
