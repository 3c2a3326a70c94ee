using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ShmPS.Commands;

/// <summary>Completes -Key with the keys of existing System V segments, written as hex literals.</summary>
public sealed class SystemVKeyCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        SystemVBackend.Instance.Enumerate().Cast<SystemVSharedMemory>()
            .Where(shm => shm.Key != 0 && shm.Name.StartsWith(wordToComplete, System.StringComparison.OrdinalIgnoreCase))
            .Select(shm => new CompletionResult(shm.Name, shm.Name, CompletionResultType.ParameterValue,
                $"key {shm.DisplayName}, id {shm.Id}, {shm.Size} bytes, {shm.Permissions}, {DisplayText.Escape(shm.Owner)}"))
            .ToList();
}

/// <summary>Completes -Id with the ids of existing System V segments.</summary>
public sealed class SystemVIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        SystemVBackend.Instance.Enumerate().Cast<SystemVSharedMemory>()
            .Select(shm => (shm, id: shm.Id.ToString(CultureInfo.InvariantCulture)))
            .Where(x => x.id.StartsWith(wordToComplete, System.StringComparison.Ordinal))
            .Select(x => new CompletionResult(x.id, x.id, CompletionResultType.ParameterValue,
                $"id {x.id}, key {x.shm.DisplayName}, {x.shm.Size} bytes, {x.shm.Permissions}, {DisplayText.Escape(x.shm.Owner)}"))
            .ToList();
}
