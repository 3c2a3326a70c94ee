using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ShmPS.Commands;

/// <summary>
/// Completes an identity parameter (-Key, -Id) with what names the existing objects of the kinds that
/// declare it (SharedMemoryBackend.IdentityForms), as each object writes itself in that form.
/// </summary>
public abstract class IdentityCompleter : IArgumentCompleter
{
    private protected abstract SharedMemoryIdentityForm Form { get; }

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var results = new List<CompletionResult>();
        foreach (SharedMemoryKind kind in SharedMemoryBackends.NamedBy(Form))
        {
            SharedMemoryBackend backend = SharedMemoryBackends.For(kind);
            foreach (SharedMemory shm in backend.Enumerate())
            {
                if (shm.IdentityText(Form) is string text && text.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
                {
                    results.Add(new CompletionResult(text, text, CompletionResultType.ParameterValue, Tooltip(shm)));
                }
            }
        }
        return results;
    }

    /// <summary>What the list shows beside each value: the object's Name and Id, size, permissions and owner (escaped).</summary>
    internal static string Tooltip(SharedMemory shm) =>
        $"{shm.Kind} {shm.DisplayName}" + (shm.ViewId is { } id ? $", id {id}" : "")
        + $", {shm.Size} bytes, {shm.Permissions}, {DisplayText.Escape(shm.Owner)}";
}

/// <summary>Completes -Key with the keys of existing objects (System V segments), written as hex literals.</summary>
public sealed class KeyCompleter : IdentityCompleter
{
    private protected override SharedMemoryIdentityForm Form => SharedMemoryIdentityForm.Key;
}

/// <summary>Completes -Id with the ids of existing objects (System V segments).</summary>
public sealed class IdCompleter : IdentityCompleter
{
    private protected override SharedMemoryIdentityForm Form => SharedMemoryIdentityForm.Id;
}

/// <summary>Completes -Kind with the registered kinds.</summary>
public sealed class KindCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        (string word, string quote) = CompletionText.Unquote(wordToComplete);
        return SharedMemoryBackends.All
            .Where(b => b.Kind.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(b => CompletionText.Result(b.Kind.Name, quote, b.Description))
            .ToList();
    }
}
