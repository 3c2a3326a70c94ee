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
public sealed class GetSharedMemoryCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string KeySet = "Key";
    private const string IdSet = "Id";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string InputObjectSet = "InputObject";

    /// <summary>POSIX names (or, with -Kind, System V keys or paths); wildcards match every kind listed.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNull]
    public string[]? Name { get; set; }

    /// <summary>Only objects of these kinds (listing), or how to read -Name.</summary>
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    public SharedMemoryKind[]? Kind { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SystemVKeyCompleter))]
    public int[] Key { get; set; } = System.Array.Empty<int>();

    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    // Also bound from an Id property beside Name and Kind (ConvertFrom-Json, Import-Csv): a private or
    // removed-but-attached segment has key 0, and its id is then the only way to find it again.
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true, DontShow = true)]
    [ArgumentCompleter(typeof(SystemVIdCompleter))]
    [AllowNull]
    public int[] Id
    {
        get => _id;
        set => _id = value ?? System.Array.Empty<int>(); // a null Id property (a POSIX row of a mixed list) means none
    }

    private int[] _id = System.Array.Empty<int>();

    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = System.Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

    /// <summary>Objects to refresh from the kernel.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SharedMemory[] InputObject { get; set; } = System.Array.Empty<SharedMemory>();

    protected override void ProcessRecord()
    {
        var finder = new SharedMemoryFinder(this);
        IEnumerable<SharedMemory> found = ParameterSetName switch
        {
            KeySet => finder.ResolveKeys(Key),
            // -Id alone also matches the Name set, where Name is optional; PowerShell then picks that set.
            IdSet or NameSet when Name is null && Id.Length > 0 => finder.ResolveIds(Id),
            PathSet => finder.ResolvePaths(Path, literal: false),
            LiteralPathSet => finder.ResolvePaths(LiteralPath, literal: true),
            InputObjectSet => Refreshed(),
            // File mappings are files anywhere: they are listed only by path, never by "list everything".
            _ when Name is null => finder.ResolveNames(new[] { "*" },
                (Kind ?? new[] { SharedMemoryKind.Posix, SharedMemoryKind.SystemV }).Where(k => k != SharedMemoryKind.File).ToList(), Id),
            _ => finder.ResolveNames(Name, Kind ?? new[] { SharedMemoryKind.Posix, SharedMemoryKind.SystemV }, Id),
        };
        foreach (SharedMemory shm in found)
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
                shm.Refresh();
            }
            catch (SharedMemoryException e)
            {
                WriteError(ErrorHelper.ToErrorRecord(e, shm));
                continue;
            }
            yield return shm;
        }
    }
}
