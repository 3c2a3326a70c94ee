using System;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Creates a shared memory object of any kind exclusively, or with -Force opens an existing one
/// (never truncating it). -Key or -Private imply System V; -Path implies a shared file mapping.
/// </summary>
[Cmdlet(VerbsCommon.New, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = PosixSet)]
[OutputType(typeof(PosixSharedMemory), typeof(SystemVSharedMemory), typeof(FileSharedMemory), typeof(AnonymousSharedMemory))]
public sealed class NewSharedMemoryCommand : PSCmdlet
{
    private const string AnonymousSet = "Anonymous";
    private const string PosixSet = "Posix";
    private const string SystemVSet = "SystemV";
    private const string FileSet = "File";

    /// <summary>Name of the POSIX object (generated from a CSPRNG when omitted); with -Anonymous, the memfd's label.</summary>
    [Parameter(Position = 0, ParameterSetName = PosixSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(Position = 0, ParameterSetName = AnonymousSet, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? Name { get; set; }

    /// <summary>Name of the POSIX object used as given, with only the system's own rules (for names other programs chose).</summary>
    [Parameter(ParameterSetName = PosixSet)]
    [ValidateNotNullOrEmpty]
    public string? LiteralName { get; set; }

    /// <summary>System V key, any 32-bit value in hex or decimal (4294967295 is 0xffffffff); generated from a CSPRNG when omitted.</summary>
    [Parameter(ParameterSetName = SystemVSet, ValueFromPipelineByPropertyName = true)]
    [SystemVKeyTransformation]
    public int? Key { get; set; }

    /// <summary>Derive the System V key with ftok(3) from this existing file (and -ProjectId).</summary>
    [Parameter(ParameterSetName = SystemVSet)]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    /// <summary>The ftok project id used with -KeyPath (1 to 255).</summary>
    [Parameter(ParameterSetName = SystemVSet)]
    [ValidateRange(1, 255)]
    public int ProjectId { get; set; } = 1;

    /// <summary>A System V segment with key IPC_PRIVATE: found only by its id.</summary>
    [Parameter(ParameterSetName = SystemVSet)]
    public SwitchParameter Private { get; set; }

    /// <summary>A region with no name: a memfd (memfd_create) held by this session until Remove-SharedMemory.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AnonymousSet)]
    public SwitchParameter Anonymous { get; set; }

    /// <summary>With -Anonymous: seals added once the region is made; nobody, this session included, may then shrink, grow or write it.</summary>
    [Parameter(ParameterSetName = AnonymousSet)]
    public SharedMemorySeals[] Seal { get; set; } = Array.Empty<SharedMemorySeals>();

    /// <summary>Back the System V segment (SHM_HUGETLB) or the memfd (MFD_HUGETLB) with huge pages.</summary>
    [Parameter(ParameterSetName = SystemVSet)]
    [Parameter(ParameterSetName = AnonymousSet)]
    public SwitchParameter HugePages { get; set; }

    /// <summary>The file of a shared file mapping, relative to the current location.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet, ValueFromPipelineByPropertyName = true)]
    [Alias("LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public long Size { get; set; }

    [Parameter]
    [UnixModeTransformation]
    [ArgumentCompleter(typeof(ModeCompleter))]
    public string Mode { get; set; } = "0600";

    /// <summary>The kind to create; implied by -Key/-Private (SystemV) and -Path (File).</summary>
    [Parameter]
    public SharedMemoryKind Kind { get; set; } = SharedMemoryKind.Posix;

    /// <summary>Open the object if it exists (never truncating it) instead of failing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Bound only from rows that remoting returned: a row of another computer creates nothing here (RemoteObject).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? PSComputerName { get; set; }

    /// <summary>Bound only from rows: a row read on another host, boot or namespace creates nothing here (RemoteObject).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? HostId { get; set; }

    /// <summary>Do not reserve the memory now (POSIX and File).</summary>
    [Parameter(ParameterSetName = PosixSet)]
    [Parameter(ParameterSetName = FileSet)]
    [Parameter(ParameterSetName = AnonymousSet)]
    public SwitchParameter Sparse { get; set; }

    protected override void ProcessRecord()
    {
        if (SharedMemoryIdentityCommandBase.ForeignOrigin(HostId, PSComputerName) is string origin)
        {
            string identity = Name ?? LiteralName ?? (Key is int key ? new SystemVKey(key).ToString() : Path);
            WriteError(ErrorHelper.ToErrorRecord(ErrorHelper.RemoteObject(identity, origin, HostId), identity));
            return;
        }
        SharedMemoryKind kind = ParameterSetName switch
        {
            SystemVSet => SharedMemoryKind.SystemV,
            FileSet => SharedMemoryKind.File,
            AnonymousSet => SharedMemoryKind.Anonymous,
            _ => Kind,
        };
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Kind)) && Kind != kind)
        {
            ThrowTerminatingError(new ErrorRecord(new System.ArgumentException(
                $"-Kind {Kind} contradicts the other parameters, which describe a {kind} object."),
                ErrorIds.KindConflict, ErrorCategory.InvalidArgument, Kind));
        }
        try
        {
            Create(kind);
        }
        catch (Exception e) when (ErrorHelper.IsTranslatable(e))
        {
            WriteError(ErrorHelper.ToErrorRecord(e, e is SharedMemoryException sme ? sme.Target : Name ?? LiteralName ?? Path));
        }
    }

    private void Create(SharedMemoryKind kind)
    {
        if (Name is not null && LiteralName is not null)
        {
            throw new SharedMemoryException(ErrorIds.KindConflict, ErrorCategory.InvalidArgument,
                "-Name and -LiteralName both name the object: give one of them.", Name);
        }
        bool literal = LiteralName is not null;
        string? name = LiteralName ?? Name;
        if (kind == SharedMemoryKind.SystemV && name is not null)
        {
            throw new SharedMemoryException(ErrorIds.KindConflict, ErrorCategory.InvalidArgument,
                "System V segments are named by a key: give -Key instead of -Name.", Name);
        }
        if (kind == SharedMemoryKind.File && ParameterSetName != FileSet)
        {
            throw new SharedMemoryException(ErrorIds.PathRequired, ErrorCategory.InvalidArgument,
                "A shared file mapping needs the file: give -Path.", Name);
        }
        var request = new CreateRequest(
            Name: name,
            LiteralName: literal,
            Key: kind == SharedMemoryKind.SystemV ? ResolveKey() : null,
            Path: ParameterSetName == FileSet ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(PathRules.Check(Path)) : null,
            Size: Size, Mode: UnixMode.Parse(Mode), Sparse: Sparse, HugePages: HugePages, OpenExisting: Force,
            Seals: Seal.Aggregate(SharedMemorySeals.None, (all, seal) => all | seal));
        SharedMemoryBackend backend = SharedMemoryBackends.For(kind);
        string target = SharedMemoryIdentityCommandBase.WithOrigin(DisplayText.Escape(backend.DescribeNew(request)), PSComputerName);
        if (!ShouldProcess(target, $"Create {ByteSize.Describe(Size)}, mode {Mode}"))
        {
            return;
        }
        UnixMode.WarnIfWorldWritable(this, request.Mode, target);
        SharedMemory shm = backend.Create(request, out bool created);
        // Nothing is held behind the user's back: the object opens what its methods need when they are used.
        shm.ReleaseResources();
        if (!created)
        {
            WarnAboutExisting(shm);
        }
        WriteObject(shm);
    }

    /// <summary>-Key, -KeyPath and -Private are three ways to choose the key: null means generate one.</summary>
    private int? ResolveKey()
    {
        if ((Private ? 1 : 0) + (Key is null ? 0 : 1) + (KeyPath is null ? 0 : 1) > 1)
        {
            throw new SharedMemoryException(ErrorIds.KeyConflict, ErrorCategory.InvalidArgument,
                "-Key, -KeyPath and -Private each choose the key: give one of them.", Key);
        }
        return Private ? 0
            : KeyPath is not null ? SystemVKey.FromPath(SessionState.Path.GetUnresolvedProviderPathFromPSPath(PathRules.Check(KeyPath)), ProjectId).Value
            : Key;
    }

    private void WarnAboutExisting(SharedMemory shm)
    {
        if (shm.Size != Size)
        {
            WriteWarning($"{shm.DisplayName} already existed with {ByteSize.Describe(shm.Size)}; it was opened as it is, not resized to {ByteSize.Describe(Size)}.");
        }
        if (shm.OwnerId != Native.Libc.geteuid())
        {
            WriteWarning($"{shm.DisplayName} already existed and belongs to {DisplayText.Escape(shm.Owner)}, not to you: check that you expect its owner before writing to it.");
        }
    }
}
