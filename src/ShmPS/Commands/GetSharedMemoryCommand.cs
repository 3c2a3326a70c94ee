using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Lists shared memory objects, or looks them up by name (wildcards allowed).</summary>
[Cmdlet(VerbsCommon.Get, "SharedMemory", DefaultParameterSetName = NameSet)]
[OutputType(typeof(PosixSharedMemory))]
public sealed class GetSharedMemoryCommand : PSCmdlet
{
    private const string NameSet = "Name";

    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNull]
    public string[]? Name { get; set; }

    /// <summary>Only objects of these kinds.</summary>
    [Parameter]
    public SharedMemoryKind[]? Kind { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string pattern in Name ?? new[] { "*" })
        {
            foreach (SharedMemory shm in Find(pattern))
            {
                WriteObject(shm);
            }
        }
    }

    private IEnumerable<SharedMemory> Find(string pattern)
    {
        if (Kind is not null && !Kind.Contains(SharedMemoryKind.Posix))
        {
            return Array.Empty<SharedMemory>();
        }
        return SharedMemoryFinder.ResolveName(pattern, WriteError);
    }
}
