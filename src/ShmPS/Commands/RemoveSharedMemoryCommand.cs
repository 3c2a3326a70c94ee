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
        }
    });
}
