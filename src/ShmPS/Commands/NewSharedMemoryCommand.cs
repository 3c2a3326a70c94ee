using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Creates a shared memory object of any kind exclusively, or with -Force opens an existing one
/// (never truncating it). Which kind, and which of its parameters apply to it, the kinds declare
/// (SharedMemoryBackend.CreationOptions): -Key, -KeyPath or -Private imply System V; -Path a file mapping.
/// </summary>
[Cmdlet(VerbsCommon.New, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = PosixSet)]
[OutputType(typeof(SharedMemory))]
public sealed class NewSharedMemoryCommand : PSCmdlet
{
    private const string PosixSet = "Posix";
    private const string SystemVSet = "SystemV";
    private const string FileSet = "File";
    private const string AnonymousSet = "Anonymous";

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
    [KeyTransformation]
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

    /// <summary>A region without a name: a memfd (memfd_create) held by this session until Remove-SharedMemory.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AnonymousSet)]
    public SwitchParameter Anonymous { get; set; }

    /// <summary>With -Anonymous: seals added once the region is made; nobody, this session included, may then shrink, grow or write it.</summary>
    [Parameter(ParameterSetName = AnonymousSet)]
    public SharedMemorySeals[] Seal { get; set; } = Array.Empty<SharedMemorySeals>();

    /// <summary>Back the System V segment with huge pages (SHM_HUGETLB).</summary>
    [Parameter(ParameterSetName = SystemVSet)]
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

    /// <summary>The kind to create; implied by -Key/-KeyPath/-Private (SystemV) and -Path (File); else the first kind, Posix.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KindCompleter))]
    public SharedMemoryKind? Kind { get; set; }

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
        var options = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach ((string parameter, object? value) in MyInvocation.BoundParameters)
        {
            if (SharedMemoryBackends.IsCreationOption(parameter))
            {
                options[parameter] = value is SwitchParameter flag ? flag.IsPresent : value;
            }
        }
        if (SharedMemoryIdentityCommandBase.ForeignOrigin(HostId, PSComputerName) is string origin)
        {
            // What the row names: its text options as given, a number (-Key) as its kind writes it (0x0000abcd).
            string identity = string.Join(", ", options.Select(o => o.Value switch
            {
                string text => text,
                int number when Enum.TryParse(o.Key, out SharedMemoryIdentityForm form) =>
                    SharedMemoryBackends.Taking(o.Key).First().IdentityText(form, number),
                _ => null,
            }).OfType<string>());
            WriteError(ErrorRecords.ToErrorRecord(ErrorHelper.RemoteObject(identity, origin, HostId), identity));
            return;
        }
        SharedMemoryBackend backend;
        try
        {
            backend = ChooseKind(options.Keys);
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            ThrowTerminatingError(ErrorRecords.ToErrorRecord(e, (e as ISharedMemoryError)?.Target));
            return;
        }
        try
        {
            RefuseOthers(backend, options.Keys);
            Create(backend, options);
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            WriteError(ErrorRecords.ToErrorRecord(e, e is ISharedMemoryError sme ? sme.Target : Name ?? LiteralName ?? Path));
        }
    }

    /// <summary>
    /// The kind to create: -Kind, else the kind an option selects (-Key: a segment, -Path: a file), else the
    /// first registered. -Kind and an option of another kind contradict each other.
    /// </summary>
    private SharedMemoryBackend ChooseKind(IEnumerable<string> given)
    {
        var selected = given.Select(SharedMemoryBackends.SelectedBy).OfType<SharedMemoryBackend>().Distinct().ToList();
        SharedMemoryBackend? chosen = Kind is null ? null : SharedMemoryBackends.For(Kind);
        if (chosen is not null && selected.Any(b => b != chosen) || selected.Count > 1)
        {
            SharedMemoryBackend other = selected.First(b => b != chosen);
            throw ErrorHelper.KindConflict(chosen is null
                ? $"The parameters describe objects of different kinds ({string.Join(", ", selected.Select(b => b.Kind))}): give those of one kind."
                : $"-Kind {chosen.Kind} contradicts the other parameters, which describe a {other.Kind} object.", chosen?.Kind.Name);
        }
        return chosen ?? selected.FirstOrDefault() ?? SharedMemoryBackends.For(SharedMemoryBackends.Default);
    }

    /// <summary>Every option given must be one the kind takes: its backend says why not (-Name for a segment: give -Key).</summary>
    private static void RefuseOthers(SharedMemoryBackend backend, IEnumerable<string> given)
    {
        foreach (string option in given)
        {
            if (!backend.CreationOptions.Any(o => o.Parameter == option))
            {
                throw backend.RefuseOption(option);
            }
        }
    }

    private void Create(SharedMemoryBackend backend, Dictionary<string, object?> options)
    {
        var request = new CreateRequest(Size, UnixMode.Parse(Mode), Force, options, new SharedMemoryFinder(this));
        string target = SharedMemoryIdentityCommandBase.WithOrigin(DisplayText.Escape(backend.DescribeNew(request)), PSComputerName);
        if (!ShouldProcess(target, $"Create {ByteSize.Describe(Size)}, mode {Mode}"))
        {
            return;
        }
        ModeWarnings.WarnIfWorldWritable(this, request.Mode, target);
        SharedMemory shm = backend.Create(request, out bool created);
        // Nothing is held behind the user's back: the object opens what its methods need when they are used.
        shm.ReleaseResources();
        if (!created)
        {
            WarnAboutExisting(shm);
        }
        WriteObject(shm);
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
