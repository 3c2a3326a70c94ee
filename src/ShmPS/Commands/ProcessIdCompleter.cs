using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ShmPS.Commands;

/// <summary>
/// Completes -ProcessId with the ids of running processes, named in the list, those in another IPC or
/// mount namespace than the caller's (containers) first.
/// </summary>
public sealed class ProcessIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = wordToComplete.Trim('\'', '"');
        ulong? ownIpc = NamespaceView.TryNamespaceInode(Environment.ProcessId, "ipc");
        ulong? ownMnt = NamespaceView.TryNamespaceInode(Environment.ProcessId, "mnt");
        var candidates = new List<(int Pid, string Name, ulong? Ipc, ulong? Mnt)>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string text = Path.GetFileName(dir);
            if (text.StartsWith(word, StringComparison.Ordinal) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                candidates.Add((pid, ProcessName(dir), NamespaceView.TryNamespaceInode(pid, "ipc"), NamespaceView.TryNamespaceInode(pid, "mnt")));
            }
        }
        return candidates
            .Select(c => (c.Pid, c.Name, c.Ipc, c.Mnt, Other: (c.Ipc is not null && c.Ipc != ownIpc) || (c.Mnt is not null && c.Mnt != ownMnt)))
            .OrderByDescending(c => c.Other).ThenBy(c => c.Pid)
            .Select(c =>
            {
                string pid = c.Pid.ToString(CultureInfo.InvariantCulture);
                string where = c.Ipc is null ? "namespaces not readable" : $"ipc:[{c.Ipc}] mnt:[{c.Mnt}]" + (c.Other ? ", another namespace" : "");
                string name = DisplayText.Escape(c.Name); // a process names itself (prctl PR_SET_NAME): shown escaped
                return new CompletionResult(pid, $"{pid} {name}", CompletionResultType.ParameterValue, $"{name} (process {pid}, {where})");
            })
            .ToList();
    }

    /// <summary>The command name (/proc/PID/comm); "?" for a process that exited meanwhile.</summary>
    private static string ProcessName(string dir)
    {
        try
        {
            return NameBytes.ReadFile(Path.Combine(dir, "comm")).TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
