using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Removes shared memory objects: shm_unlink (POSIX), IPC_RMID (System V: marked until the last
/// detach) or deleting the file (File, confirmed as ConfirmImpact High).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(void))]
public sealed class RemoveSharedMemoryCommand : SharedMemoryCommandBase
{
    /// <summary>Delete files without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        string action = $"Remove {shm.KindDescription}";
        bool go = shm.RemovalIsHighImpact
            ? ShouldProcessHighImpact(shm.Name, action + " and delete its file", Force)
            : ShouldProcess(shm.Name, action);
        if (go)
        {
            shm.Remove();
            WarnIfStillUsed(shm);
        }
    });

    // One scan of /proc serves the removals of a pipeline made within a second of it.
    private ProcessSnapshot? _processes;

    /// <summary>Other processes that still map or hold the object keep its memory until they let go: said, not hidden.</summary>
    private void WarnIfStillUsed(SharedMemory shm)
    {
        if (!shm.MayStillBeUsed)
        {
            return;
        }
        if (_processes is null || DateTime.UtcNow - _processes.Taken > TimeSpan.FromSeconds(1))
        {
            _processes = new ProcessSnapshot();
        }
        List<SharedMemoryProcess> users = shm.OthersUsing(_processes.Index);
        if (users.Count > 0)
        {
            WriteWarning($"{shm.KindDescription} '{shm.Name}' is removed, but these processes still map or hold it and keep its memory until they unmap or close it: {SharedMemory.Describe(users)}.");
        }
    }
}
