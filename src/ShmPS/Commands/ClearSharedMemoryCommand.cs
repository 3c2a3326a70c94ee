using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Zeroes a range of shared memory objects (the whole object by default) and gives its memory back to the
/// system without removing the object: fallocate PUNCH_HOLE (POSIX objects, files) or MADV_REMOVE (System V).
/// </summary>
[Cmdlet(VerbsCommon.Clear, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemory))]
public sealed class ClearSharedMemoryCommand : SharedMemoryCommandBase
{
    /// <summary>Where the range starts, in bytes from the start of the object.</summary>
    [Parameter]
    public long Offset { get; set; }

    /// <summary>How many bytes to clear. Default: to the end of the object.</summary>
    [Parameter]
    public long? Count { get; set; }

    /// <summary>Clear a file with several hard links in a directory other users can write to.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override bool ForceHardLinks => Force;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        long size = shm.LiveSize;
        long count = Count ?? size - Offset;
        shm.CheckRange(Offset, count, size);
        string range = Offset == 0 && count == size
            ? $"all {ByteSize.Describe(count)}"
            : $"{ByteSize.Describe(count)} from offset {Offset}";
        if (!ShouldProcess(Target(shm), $"Clear {range} (zeros, its memory given back)"))
        {
            return;
        }
        if (!shm.ClearCore(Offset, count))
        {
            WriteWarning($"{shm.KindDescription} '{shm.DisplayName}': its file system cannot give memory back (no hole punching), so the range was zeroed by writing and still takes its space.");
        }
        if (PassThru)
        {
            shm.Refresh();
            WriteObject(shm);
        }
    });
}
