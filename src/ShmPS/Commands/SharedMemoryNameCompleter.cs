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
        bool literal = parameterName == "LiteralName";
        string pattern = WildcardPattern.Escape(word) + "*";
        return Kinds(commandName, literal, fakeBoundParameters)
            .Select(SharedMemoryBackends.For)
            .Where(backend => backend.ListedByKind)
            .SelectMany(backend => SharedMemoryFinder.FindForCompletion(backend, pattern))
            .Where(shm => shm is not SystemVSharedMemory { Key: 0 }) // key 0 names no segment: -Id finds those
            .Where(shm => literal || shm is not PosixSharedMemory || PosixSharedMemory.IsTypableName(shm.Name))
            .Select(shm => CompletionText.Result(shm.Name, quote,
                $"{shm.Kind} {shm.Name} ({shm.Size} bytes, {shm.Permissions}, {shm.Owner})"))
            .ToList();
    }

    private static IEnumerable<SharedMemoryKind> Kinds(string commandName, bool literal, IDictionary fakeBoundParameters)
    {
        if (literal)
        {
            return new[] { SharedMemoryKind.Posix };
        }
        object? kind = fakeBoundParameters.Contains("Kind") ? fakeBoundParameters["Kind"] : null;
        if (kind is not null && LanguagePrimitives.TryConvertTo(kind, out SharedMemoryKind[] kinds))
        {
            return kinds;
        }
        return string.Equals(commandName, "Get-SharedMemory", StringComparison.OrdinalIgnoreCase)
            ? SharedMemoryBackends.All.Where(b => b.ListedByDefault).Select(b => b.Kind)
            : new[] { SharedMemoryKind.Posix };
    }
}
