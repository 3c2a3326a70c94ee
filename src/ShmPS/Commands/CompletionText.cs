using System;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Completion text that, typed as is, is the argument it shows: quoted as PowerShell's own completers
/// quote (single quotes, an embedded ' doubled; inside a double-quoted word, ` and $ and " escaped with
/// a backtick), where the bare text would be split, expanded or read as a parameter name.
/// </summary>
internal static class CompletionText
{
    // Characters that end a bare argument, start an expression or variable, or quote.
    private const string Special = "$`'\"{}()@#;,|&<>\u2018\u2019\u201A\u201B\u201C\u201D\u201E";

    /// <summary>The word being completed without the quote the user opened, and that quote ("" if none).</summary>
    public static (string Word, string Quote) Unquote(string wordToComplete)
    {
        if (wordToComplete.Length > 0 && wordToComplete[0] is '\'' or '"')
        {
            string quote = wordToComplete[..1];
            string word = wordToComplete[1..];
            if (word.EndsWith(quote, StringComparison.Ordinal))
            {
                word = word[..^1];
            }
            return (quote == "'" ? word.Replace("''", "'") : word.Replace("`$", "$").Replace("``", "`"), quote);
        }
        return (wordToComplete, "");
    }

    /// <summary>
    /// The text quoted if it needs quotes, in the quote the user opened (else single quotes); text that
    /// holds characters a terminal would act on or that do not show (DisplayText) always in double quotes,
    /// with PowerShell's escapes (`e, `u{202e}), so the completion holds none of them raw.
    /// </summary>
    public static string Quote(string text, string quote = "")
    {
        if (DisplayText.NeedsEscape(text))
        {
            quote = "\"";
        }
        if (quote.Length == 0 && !NeedsQuotes(text))
        {
            return text;
        }
        return quote == "\""
            ? "\"" + DisplayText.ToPowerShellDoubleQuoted(text) + "\""
            : "'" + text.Replace("'", "''").Replace("\u2018", "\u2018\u2018").Replace("\u2019", "\u2019\u2019")
                .Replace("\u201A", "\u201A\u201A").Replace("\u201B", "\u201B\u201B") + "'";
    }

    private static bool NeedsQuotes(string text) =>
        text.Length == 0 || text[0] is '-' or '\u2013' or '\u2014' or '\u2015'
        || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || Special.Contains(c));

    /// <summary>A completion whose text is quoted as needed; the list shows the text and the tooltip escaped (DisplayText).</summary>
    public static CompletionResult Result(string text, string quote, string toolTip) =>
        new(Quote(text, quote), DisplayText.Escape(text), CompletionResultType.ParameterValue, DisplayText.Escape(toolTip));
}
