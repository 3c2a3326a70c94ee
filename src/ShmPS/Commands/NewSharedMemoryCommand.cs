using System;
using System.IO;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Creates a shared memory object exclusively, or with -Force opens an existing one.</summary>
[Cmdlet(VerbsCommon.New, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = PosixSet)]
[OutputType(typeof(PosixSharedMemory))]
public sealed class NewSharedMemoryCommand : PSCmdlet
{
    private const string PosixSet = "Posix";

    /// <summary>Name of the POSIX object; generated from a CSPRNG when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = PosixSet, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? Name { get; set; }

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public long Size { get; set; }

    [Parameter]
    [UnixModeTransformation]
    public UnixFileMode Mode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Parameter]
    public SharedMemoryKind Kind { get; set; } = SharedMemoryKind.Posix;

    /// <summary>Open the object if it exists (never truncating it) instead of failing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Do not reserve the memory now: creation is faster, but a full file system shows up as write errors later.</summary>
    [Parameter]
    public SwitchParameter Sparse { get; set; }

    protected override void ProcessRecord()
    {
        string target = Name ?? "a new POSIX shared memory object with a generated name";
        if (!ShouldProcess(target, $"Create {Size} bytes, mode {UnixMode.ToOctal(Mode)}"))
        {
            return;
        }
        WarnIfWorldWritable(this, Mode, target);
        try
        {
            PosixSharedMemory shm = PosixSharedMemory.Create(Name, Size, Mode, Sparse, Force, out bool created);
            if (!created)
            {
                WarnAboutExisting(shm);
            }
            WriteObject(shm);
        }
        catch (SharedMemoryException e)
        {
            WriteError(ErrorHelper.ToErrorRecord(e, Name));
        }
    }

    private void WarnAboutExisting(SharedMemory shm)
    {
        if (shm.Size != Size)
        {
            WriteWarning($"{shm.Name} already existed with {shm.Size} bytes; it was opened as it is, not resized to {Size}.");
        }
        if (shm.OwnerId != Native.Libc.geteuid())
        {
            WriteWarning($"{shm.Name} already existed and belongs to {shm.Owner}, not to you: check that you expect its owner before writing to it.");
        }
    }

    internal static void WarnIfWorldWritable(PSCmdlet cmdlet, UnixFileMode mode, string target)
    {
        if ((mode & UnixFileMode.OtherWrite) != 0)
        {
            cmdlet.WriteWarning($"Mode {UnixMode.ToOctal(mode)} lets every user on the system write to {target}.");
        }
    }
}
