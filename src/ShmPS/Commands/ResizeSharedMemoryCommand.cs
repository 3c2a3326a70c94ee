using System.Collections.Generic;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Grows (reserving the memory) or shrinks a POSIX object or a file mapping.</summary>
[Cmdlet(VerbsCommon.Resize, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemory))]
public sealed class ResizeSharedMemoryCommand : SharedMemoryCommandBase
{
    /// <summary>The new size in bytes.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public long Size { get; set; }

    /// <summary>Do not reserve the added memory.</summary>
    [Parameter]
    public SwitchParameter Sparse { get; set; }

    /// <summary>
    /// Shrink without asking for confirmation, even below what other processes map; resize a file with
    /// several hard links in a directory other users can write to.
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override bool ForceHardLinks => Force;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        if (Size <= 0)
        {
            throw ErrorHelper.InvalidSize(Size, "the size must be at least 1 byte; use Remove-SharedMemory to remove the object.");
        }
        shm.EnsureResizable();
        shm.Refresh();
        bool shrink = Size < shm.Size;
        if (shrink && !Force)
        {
            // Another process touching its mapping past the new end would die of SIGBUS.
            List<SharedMemoryProcess> users = shm.OthersMappingBeyond(Size);
            if (users.Count > 0)
            {
                throw ErrorHelper.InUse(shm, Size, users);
            }
        }
        string action = $"Resize from {ByteSize.Describe(shm.Size)} to {ByteSize.Describe(Size)}";
        bool go = shrink
            ? ShouldProcessHighImpact(Target(shm), action + ", losing the data past the new end", Force)
            : ShouldProcess(Target(shm), action);
        if (!go)
        {
            return;
        }
        shm.Resize(Size, Sparse);
        if (PassThru)
        {
            WriteObject(shm);
        }
    });
}
