using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Lists every POSIX object and System V segment on the system, or looks objects up by name (wildcards
/// allowed), key, id or path. Also refreshes objects piped in.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SharedMemory", DefaultParameterSetName = NameSet)]
[OutputType(typeof(PosixSharedMemory), typeof(SystemVSharedMemory), typeof(FileSharedMemory))]
public sealed class GetSharedMemoryCommand : SharedMemoryIdentityCommandBase
{
    /// <summary>POSIX names (or, with -Kind, System V keys or paths); wildcards match every kind listed.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNull]
    public string[]? Name { get; set; }

    /// <summary>Only objects of these kinds (listing), or how to read -Name.</summary>
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    public SharedMemoryKind[]? Kind { get; set; }

    protected override void ProcessRecord()
    {
        var finder = new SharedMemoryFinder(this);
        SharedMemoryKind[] kinds = Kind ?? new[] { SharedMemoryKind.Posix, SharedMemoryKind.SystemV };
        IEnumerable<SharedMemory> found = ParameterSetName == InputObjectSet ? Refreshed()
            : ResolveIdentity(finder, nameGiven: Name is not null)
            // File mappings are files anywhere: they are listed only by path, never by "list everything".
            ?? finder.ResolveNames(Name ?? new[] { "*" },
                Name is null ? kinds.Where(k => k != SharedMemoryKind.File).ToList() : kinds, Id);
        foreach (SharedMemory shm in finder.Guarded(found, null))
        {
            WriteObject(shm);
        }
    }

    private IEnumerable<SharedMemory> Refreshed()
    {
        foreach (SharedMemory shm in InputObject)
        {
            try
            {
                shm.RefreshCore();
            }
            catch (Exception e) when (ErrorHelper.IsTranslatable(e))
            {
                WriteError(ErrorHelper.ToErrorRecord(e, shm));
                continue;
            }
            yield return shm;
        }
    }
}
