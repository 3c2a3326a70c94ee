using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ShmPS.Commands;

/// <summary>Releases locks taken with Lock-SharedMemory: the lock objects, or this session's lock on an object.</summary>
[Cmdlet(VerbsCommon.Unlock, "SharedMemory", DefaultParameterSetName = NameSet)]
[OutputType(typeof(void))]
public sealed class UnlockSharedMemoryCommand : SharedMemoryCommandBase
{
    private const string LockSet = "Lock";

    /// <summary>Locks from Lock-SharedMemory.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = LockSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SharedMemoryLock[] Lock { get; set; } = Array.Empty<SharedMemoryLock>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LockSet)
        {
            foreach (SharedMemoryLock held in Lock)
            {
                try
                {
                    held.Release();
                }
                catch (Exception e) when (e is SharedMemoryException or Native.NativeException)
                {
                    WriteError(ErrorRecords.ToErrorRecord(e, held));
                }
            }
            return;
        }
        Guid runspace = Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
        ForEachTarget(shm =>
        {
            SharedMemoryLock held = SharedMemoryLock.FindHeld(shm, runspace)
                ?? throw ErrorHelper.LockNotHeld(shm);
            held.Release();
        });
    }
}
