using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Removes shared memory objects: shm_unlink for POSIX objects.</summary>
[Cmdlet(VerbsCommon.Remove, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(void))]
public sealed class RemoveSharedMemoryCommand : SharedMemoryCommandBase
{
    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        if (ShouldProcess(shm.Name, $"Remove {shm.KindDescription}"))
        {
            shm.Remove();
        }
    });
}
