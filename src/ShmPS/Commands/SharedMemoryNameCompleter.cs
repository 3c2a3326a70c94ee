using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ShmPS.Commands;

/// <summary>
/// Completes -Name (and -LiteralName) from the objects that exist now, of the kinds the name is read as:
/// -Kind if given, else POSIX (Get-SharedMemory: every kind a listing shows, so segment keys too).
/// -Name is offered only the names it takes (one with '*' or '[' is for -LiteralName), each quoted where
/// the bare text would not be one argument ('/a b', '/a$b').
/// </summary>
public sealed class SharedMemoryNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        (string word, string quote) = CompletionText.Unquote(wordToComplete);
        SharedMemoryIdentityForm form = parameterName == "LiteralName" ? SharedMemoryIdentityForm.LiteralName : SharedMemoryIdentityForm.Name;
        string pattern = WildcardPattern.Escape(word) + "*";
        return Kinds(commandName, form, fakeBoundParameters)
            .Select(SharedMemoryBackends.For)
            .Where(backend => backend.ListedByKind)
            .SelectMany(backend => SharedMemoryFinder.FindForCompletion(backend, pattern))
            // What names the object in this form: a key 0 names no segment (-Id finds those), and a name
            // -Name would read as a wildcard is offered to -LiteralName only.
            .Select(shm => (shm, text: shm.IdentityText(form)))
            .Where(x => x.text is not null)
            .Select(x => CompletionText.Result(x.text!, quote,
                $"{x.shm.Kind} {x.shm.Name} ({x.shm.Size} bytes, {x.shm.Permissions}, {x.shm.Owner})"))
            .ToList();
    }

    private static IEnumerable<SharedMemoryKind> Kinds(string commandName, SharedMemoryIdentityForm form, IDictionary fakeBoundParameters)
    {
        object? kind = fakeBoundParameters.Contains("Kind") ? fakeBoundParameters["Kind"] : null;
        SharedMemoryKind[]? chosen = kind is not null && LanguagePrimitives.TryConvertTo(kind, out SharedMemoryKind[] kinds) ? kinds : null;
        if (form == SharedMemoryIdentityForm.LiteralName)
        {
            return SharedMemoryBackends.NamedBy(form, chosen);
        }
        return chosen
            ?? (string.Equals(commandName, "Get-SharedMemory", StringComparison.OrdinalIgnoreCase)
                ? SharedMemoryBackends.Listed
                : new[] { SharedMemoryBackends.Default });
    }
}
