using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ShmPS.Commands;

/// <summary>
/// Completes -Mode with modes that -Mode takes: octal (0640), the form Mode shows, or symbolic
/// (rw-r-----) once the word starts with a letter or '-'. Not the names of UnixFileMode, which -Mode refuses.
/// </summary>
public sealed class ModeCompleter : IArgumentCompleter
{
    private static readonly int[] s_common =
        { 0x180 /* 0600 */, 0x1A0 /* 0640 */, 0x1A4 /* 0644 */, 0x1B0 /* 0660 */, 0x1B4 /* 0664 */, 0x1B6 /* 0666 */,
          0x100 /* 0400 */, 0x120 /* 0440 */, 0x124 /* 0444 */, 0x184 /* 0604 */, 0x1C0 /* 0700 */, 0x1E8 /* 0750 */, 0x1ED /* 0755 */ };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        (string word, string quote) = CompletionText.Unquote(wordToComplete);
        bool symbolic = word.Length > 0 && !char.IsDigit(word[0]);
        return s_common.Select(m => (UnixFileMode)m)
            .Select(mode => (mode, text: symbolic ? UnixMode.ToSymbolic(mode) : UnixMode.ToOctal(mode)))
            .Where(x => x.text.StartsWith(word, StringComparison.Ordinal) || (!symbolic && x.text.StartsWith("0" + word, StringComparison.Ordinal)))
            .Select(x => CompletionText.Result(x.text, quote, $"{UnixMode.ToOctal(x.mode)} {UnixMode.ToSymbolic(x.mode)}"))
            .ToList();
    }
}

/// <summary>Completes -Owner with the user names of /etc/passwd.</summary>
public sealed class UserCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        AccountCompletion.Complete("/etc/passwd", "user", wordToComplete);
}

/// <summary>Completes -Group with the group names of /etc/group.</summary>
public sealed class GroupCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        AccountCompletion.Complete("/etc/group", "group", wordToComplete);
}

internal static class AccountCompletion
{
    /// <summary>
    /// The accounts of a passwd or group file (name:password:id:...) whose name starts with the word.
    /// Accounts only a network directory knows (LDAP, NIS) are not listed; -Owner and -Group still take them.
    /// </summary>
    public static IEnumerable<CompletionResult> Complete(string file, string what, string wordToComplete)
    {
        (string word, string quote) = CompletionText.Unquote(wordToComplete);
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<CompletionResult>();
        }
        return lines.Select(line => line.Split(':'))
            .Where(f => f.Length >= 3 && f[0].Length > 0 && !f[0].StartsWith('#') && !f[0].StartsWith('+') && !f[0].StartsWith('-'))
            .Where(f => f[0].StartsWith(word, StringComparison.Ordinal))
            .DistinctBy(f => f[0])
            .OrderBy(f => f[0], StringComparer.Ordinal)
            .Select(f => CompletionText.Result(f[0], quote, $"{what} {f[0]} ({what[0]}id {f[2]})"))
            .ToList();
    }
}
