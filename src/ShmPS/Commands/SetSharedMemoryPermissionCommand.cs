using System.IO;
using System.Linq;
using System.Management.Automation;
using ShmPS.Native;

namespace ShmPS.Commands;

/// <summary>Changes the mode, owner and group of a shared memory object.</summary>
[Cmdlet(VerbsCommon.Set, "SharedMemoryPermission", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemory))]
public sealed class SetSharedMemoryPermissionCommand : SharedMemoryCommandBase
{
    [Parameter(Position = 1)]
    [UnixModeTransformation]
    [ArgumentCompleter(typeof(ModeCompleter))]
    public string? Mode { get; set; }

    /// <summary>A user name or a numeric uid.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserCompleter))]
    public string? Owner { get; set; }

    /// <summary>A group name or a numeric gid.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupCompleter))]
    public string? Group { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Change a file with several hard links in a directory other users can write to (refused otherwise: HardLinkRefused).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override bool ForceHardLinks => Force;

    private uint? _ownerId;
    private uint? _groupId;

    protected override void BeginProcessing()
    {
        if (Mode is null && Owner is null && Group is null)
        {
            ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.NothingToChange, "Give -Mode, -Owner or -Group."));
        }
        try
        {
            _ownerId = Owner is null ? null : Accounts.ResolveUser(Owner);
            _groupId = Group is null ? null : Accounts.ResolveGroup(Group);
        }
        catch (SharedMemoryException e)
        {
            ThrowTerminatingError(ErrorRecords.ToErrorRecord(e, e.Target));
        }
    }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        string change = string.Join(", ", new[]
        {
            Mode is null ? null : $"mode {Mode}",
            Owner is null ? null : $"owner {Owner}",
            Group is null ? null : $"group {Group}",
        }.Where(s => s is not null));
        if (!ShouldProcess(Target(shm), $"Set {change}"))
        {
            return;
        }
        UnixFileMode? mode = Mode is null ? null : UnixMode.Parse(Mode);
        shm.SetPermission(mode, _ownerId, _groupId);
        if (mode is not null)
        {
            // Only once the change is made: a refused change leaves nothing world-writable to warn about.
            ModeWarnings.WarnIfWorldWritable(this, mode.Value, shm.DisplayName);
        }
        if (PassThru)
        {
            WriteObject(shm);
        }
    });
}
