using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace ShmPS.Commands;

/// <summary>
/// Takes a cross-process lock on a shared memory object: flock(2) for POSIX objects and file mappings,
/// a SEM_UNDO semaphore for System V segments; the kernel releases it if the holder dies. Outputs the
/// lock, or with -ScriptBlock runs the block under the lock and outputs what the block outputs.
/// </summary>
[Cmdlet(VerbsCommon.Lock, "SharedMemory", DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemoryLock))]
public sealed class LockSharedMemoryCommand : SharedMemoryCommandBase, IDisposable
{
    /// <summary>Take a shared (reader) lock: several can be held at once, never with an exclusive one.</summary>
    [Parameter]
    public SwitchParameter Shared { get; set; }

    /// <summary>How long to wait: seconds or a TimeSpan. Without it, wait until the lock is free or Ctrl+C.</summary>
    [Parameter]
    [TimeoutTransformation]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Run this under the lock, with the object as $_ and $args[0]; the lock is released however it ends.</summary>
    [Parameter(Position = 1)]
    public ScriptBlock? ScriptBlock { get; set; }

    private readonly CancellationTokenSource _stopping = new();

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        SharedMemoryLock held;
        try
        {
            Guid runspace = Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
            held = SharedMemoryLock.Acquire(shm, Shared, Timeout, runspace, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return; // Ctrl+C while waiting: nothing is held
        }
        if (ScriptBlock is null)
        {
            WriteObject(held);
            return;
        }
        using (held)
        {
            var underscore = new List<PSVariable> { new("_", shm) };
            foreach (PSObject output in ScriptBlock.InvokeWithContext(null, underscore, shm))
            {
                WriteObject(output);
            }
        }
    });

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
