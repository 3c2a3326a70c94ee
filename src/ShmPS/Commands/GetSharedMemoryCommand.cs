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
[OutputType(typeof(SharedMemory))]
public sealed class GetSharedMemoryCommand : SharedMemoryIdentityCommandBase
{
    /// <summary>POSIX names (or, with -Kind, System V keys or paths); wildcards match every kind listed.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(Position = 0, ParameterSetName = ProcessIdSet)]
    [SharedMemoryNameTransformation]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNull]
    public string[]? Name { get; set; }

    /// <summary>Only objects of these kinds (listing), or how to read -Name.</summary>
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = ProcessIdSet)]
    [Parameter(ParameterSetName = UsedByProcessIdSet)]
    [ArgumentCompleter(typeof(KindCompleter))]
    public SharedMemoryKind[]? Kind { get; set; }

    private const string UsedByProcessIdSet = "UsedByProcessId";

    /// <summary>Every shared region these processes map or hold open, of every kind: one object per region.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UsedByProcessIdSet)]
    [ArgumentCompleter(typeof(ProcessIdCompleter))]
    [ValidateRange(1, int.MaxValue)]
    public int[] UsedByProcessId { get; set; } = Array.Empty<int>();

    private const string ProcessIdSet = "ProcessId";

    /// <summary>Also with -ProcessId: a container's object named as -Name refuses (a "sem." prefix, '*', '[').</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralNameSet)]
    [Parameter(ParameterSetName = ProcessIdSet)]
    [SharedMemoryNameTransformation]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[] LiteralName { get => base.LiteralName; set => base.LiteralName = value; }

    /// <summary>List what these processes see (a container's objects): their IPC namespace and /dev/shm.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ProcessIdSet)]
    [ArgumentCompleter(typeof(ProcessIdCompleter))]
    [ValidateRange(1, int.MaxValue)]
    public int[] ProcessId { get; set; } = Array.Empty<int>();

    /// <summary>Fill every object's Processes now, from one scan of /proc for the whole listing.</summary>
    [Parameter]
    public SwitchParameter IncludeProcess { get; set; }

    /// <summary>Only objects that no process maps, holds open, is attached to or locks.</summary>
    [Parameter]
    public SwitchParameter Orphaned { get; set; }

    // One scan of /proc for everything this command outputs, made when first needed.
    private readonly ProcessSnapshot _processes = new();

    protected override void BeginProcessing()
    {
        bool listsFromProcesses = ParameterSetName == NameSet
            && (Kind ?? Array.Empty<SharedMemoryKind>()).Any(k => SharedMemoryBackends.For(k).ListsFromProcesses);
        if (!IncludeProcess && !Orphaned && !listsFromProcesses)
        {
            return;
        }
        ProcessIndex index = _processes.Index;
        if (index.UninspectedCount > 0)
        {
            IReadOnlyList<int> ids = index.UninspectedIds;
            // Root sees every process but in some sandboxes: each one it cannot inspect is named (PID 1 of a
            // sandbox, say). Another user cannot inspect any other user's process: a few ids then say enough.
            int shown = Native.Libc.geteuid() == 0 ? ids.Count : 20;
            string list = string.Join(", ", ids.Take(shown)) + (ids.Count > shown ? $" and {ids.Count - shown} more" : "");
            bool one = ids.Count == 1;
            string they = one ? "it" : "they", their = one ? "its" : "their";
            WriteWarning((one ? $"Process {list} could not be inspected" : $"{ids.Count} processes could not be inspected ({list})")
                + $" ({their} mappings and descriptors show only to root or {their} own user, and to root not inside some sandboxes): "
                + $"{they} {(one ? "appears" : "appear")} in Processes only where the kernel shows everyone (a lock {they} {(one ? "holds" : "hold")}, a System V segment {they} last used), marked IsPartial"
                + (Orphaned ? $", and objects only {they} {(one ? "uses" : "use")} may be listed as orphaned" : "")
                + (listsFromProcesses ? $"; regions without a name that only {they} {(one ? "holds" : "hold")} are not listed." : "."));
        }
        if (index.LocksUnknown is string why)
        {
            WriteWarning($"{why}: which POSIX objects and file mappings are locked (flock, fcntl) is unknown"
                + (Orphaned ? ", so none of them is listed as orphaned." : ", so Processes may lack the processes that lock them."));
        }
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != InputObjectSet && RefuseRemoteRow(Name ?? Array.Empty<string>()))
        {
            return;
        }
        var finder = new SharedMemoryFinder(this);
        SharedMemoryKind[] kinds = Kind ?? SharedMemoryBackends.Listed;
        IEnumerable<SharedMemory> found = ParameterSetName == InputObjectSet ? Refreshed()
            : ParameterSetName == ProcessIdSet ? ProcessId.SelectMany(pid => LiteralName.Length == 0
                ? finder.VisibleTo(pid, kinds, Name ?? Array.Empty<string>())
                : (Name is null ? Enumerable.Empty<SharedMemory>() : finder.VisibleTo(pid, kinds, Name))
                    .Concat(finder.VisibleTo(pid, kinds, LiteralName, literal: true)))
            // Kinds whose objects are anywhere (file mappings) are listed only by name, never by "list everything".
            : ParameterSetName == UsedByProcessIdSet ? UsedByProcessId.SelectMany(pid => finder.UsedBy(pid, Kind))
            : ParameterSetName == NameSet && Name is null && Id.Length == 0 && FullName.Length == 0 ? finder.ListAll(kinds, _processes)
            : KeepListed(finder.Resolve(Identities(Name ?? Array.Empty<string>(), kinds, Kind)));
        foreach (SharedMemory shm in finder.Guarded(found, null))
        {
            shm.UseSnapshot(_processes);
            if (Orphaned && !shm.IsOrphaned(_processes.Index))
            {
                continue;
            }
            if (IncludeProcess)
            {
                _ = shm.Processes;
            }
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
            catch (Exception e) when (ErrorRecords.IsTranslatable(e))
            {
                WriteError(ErrorRecords.ToErrorRecord(e, shm));
                continue;
            }
            yield return shm;
        }
    }
}
