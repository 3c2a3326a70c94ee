using System;
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

    /// <summary>Run this under the lock, with the object as $_; the lock is released however it ends.</summary>
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
            return; // Ctrl+C while waiting: nothing is held, even if the lock came free just then
        }
        if (ScriptBlock is null)
        {
            try
            {
                WriteObject(held);
            }
            catch
            {
                // The pipeline is stopping (or failing): nobody would ever get this lock back.
                try { held.Release(); } catch (SharedMemoryException) { }
                throw;
            }
            return;
        }
        using (held)
        {
            RunStreaming(ScriptBlock, shm);
        }
    });

    // Runs the block as ForEach-Object does, with the object as $_: a steppable pipeline begun on this
    // cmdlet writes the block's output (and errors) downstream as it is produced, so what the block
    // wrote before a break, an error or Ctrl+C is not lost. When this cmdlet has pipeline input the
    // steppable pipeline takes the object as its input; otherwise it gets it as -InputObject.
    private static readonly ScriptBlock s_fromPipeline = ScriptBlock.Create(
        "param($block) ForEach-Object -Process $block");

    private static readonly ScriptBlock s_fromArgument = ScriptBlock.Create(
        "param($block, $object) ForEach-Object -InputObject $object -Process $block");

    private void RunStreaming(ScriptBlock block, SharedMemory shm)
    {
        bool piped = MyInvocation.ExpectingInput;
        SteppablePipeline pipeline = piped
            ? s_fromPipeline.GetSteppablePipeline(CommandOrigin.Internal, new object[] { block })
            : s_fromArgument.GetSteppablePipeline(CommandOrigin.Internal, new object[] { block, shm });
        pipeline.Begin(this);
        pipeline.Process(shm);
        pipeline.End();
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
