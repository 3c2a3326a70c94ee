using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ShmPS.Commands;

/// <summary>Completes -Name from the POSIX objects that exist now.</summary>
public sealed class SharedMemoryNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = wordToComplete.Trim('\'', '"');
        return SharedMemoryFinder.FindPosix(WildcardPattern.Escape(word) + "*")
            .Select(shm => new CompletionResult(shm.Name, shm.Name, CompletionResultType.ParameterValue,
                $"{shm.Name} ({shm.Size} bytes, {shm.Permissions}, {shm.Owner})"))
            .ToList();
    }
}
