using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// The identity parameters every cmdlet that names existing objects shares, with the same names and
/// sets everywhere: -LiteralName, -Key, -Id, -Path, -LiteralPath (each naming the kinds that declare it,
/// SharedMemoryBackend.IdentityForms) and -InputObject from the pipeline.
/// Each derived cmdlet declares its own -Name set (the default), where -Name means what it means there.
/// </summary>
public abstract class SharedMemoryIdentityCommandBase : PSCmdlet
{
    protected const string NameSet = "Name";
    protected const string LiteralNameSet = "LiteralName";
    protected const string KeySet = "Key";
    protected const string IdSet = "Id";
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";
    protected const string InputObjectSet = "InputObject";

    /// <summary>
    /// Name of a POSIX object used exactly as given: no wildcards, and only the system's own rules
    /// (so objects other programs named with spaces, '*', '[' or a "sem." prefix can be reached).
    /// </summary>
    /// <remarks>Virtual so that Get-SharedMemory can also take it with -ProcessId (PowerShell reads the override's attributes).</remarks>
    [Parameter(Mandatory = true, ParameterSetName = LiteralNameSet)]
    [SharedMemoryNameTransformation]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [ValidateNotNullOrEmpty]
    public virtual string[] LiteralName { get; set; } = Array.Empty<string>();

    /// <summary>Key of a System V segment: any 32-bit value, in hex (0x0000abcd, 0xffffffff) or decimal (4294967295 is 0xffffffff).</summary>
    [Parameter(Mandatory = true, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(KeyCompleter))]
    [KeyTransformation]
    public int[] Key { get; set; } = Array.Empty<int>();

    /// <summary>
    /// The number a kind gives each object: the id (shmid) of a System V segment, as ipcs shows it, which also
    /// finds private and removed-but-attached segments. A long, so that a kind may number its objects by inode.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    // Also bound from an Id property beside Name and Kind (ConvertFrom-Json, Import-Csv): a private or
    // removed-but-attached segment has key 0, and its id is then the only way to find it again.
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true, DontShow = true)]
    [ArgumentCompleter(typeof(IdCompleter))]
    [AllowNull]
    public long[] Id
    {
        get => _id;
        set => _id = value ?? System.Array.Empty<long>(); // a null Id property (a POSIX row of a mixed list) means none
    }

    private long[] _id = System.Array.Empty<long>();

    /// <summary>Path of a shared file mapping; wildcards allowed; relative to the current location.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Path of a shared file mapping, used exactly as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Bound only from the FullName property of files piped in (Get-ChildItem, Get-Item): they name
    /// shared file mappings by their full path. Without it their Name property would be read as the
    /// name of a POSIX object.
    /// </summary>
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true, DontShow = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public string[] FullName
    {
        get => _fullName;
        set => _fullName = value ?? System.Array.Empty<string>();
    }

    private string[] _fullName = System.Array.Empty<string>();

    /// <summary>
    /// Bound only from the PSComputerName property of rows that PowerShell remoting returned
    /// (Invoke-Command): such a row describes an object of another computer, and its Name would find
    /// this computer's object of the same name. See RefuseRemoteRow.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? PSComputerName { get; set; }

    /// <summary>
    /// Bound only from the HostId property of rows (ConvertFrom-Json, Import-Csv, remoting): where the row's
    /// object was read. A row of another host, boot or namespace is refused whatever its PSComputerName
    /// says; without one (a row typed by hand), PSComputerName decides. See RefuseRemoteRow.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? HostId { get; set; }

    /// <summary>
    /// Bound only from the FileId property of rows: the file (device and inode) the row was listed as. An
    /// object its name finds now that is another file is not acted on (SharedMemoryNotFound): the name was
    /// given to another object, or lost bytes that are not UTF-8 on its way through a JSON or CSV file.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? FileId { get; set; }

    /// <summary>Objects from New-SharedMemory or Get-SharedMemory.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SharedMemory[] InputObject { get; set; } = Array.Empty<SharedMemory>();

    /// <summary>
    /// True, with a RemoteObject error written, when the pipeline row describes an object elsewhere
    /// (ForeignOrigin): nothing is done for it.
    /// </summary>
    private protected bool RefuseRemoteRow(IEnumerable<string> names)
    {
        string? origin = ForeignOrigin(HostId, PSComputerName);
        if (origin is null)
        {
            return false;
        }
        string identity = string.Join(", ", names.Concat(LiteralName).Concat(Path).Concat(LiteralPath).Concat(FullName)
            .Concat(Key.Select(k => SharedMemoryIdentity.ForKey(k).Text))
            .Concat(Id.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        WriteError(ErrorRecords.ToErrorRecord(ErrorHelper.RemoteObject(identity, origin, HostId), identity));
        return true;
    }

    /// <summary>
    /// Where a row came from when that is not here, or null when it is from here. A HostId decides
    /// whatever the computer name says (a loopback session's 'localhost' row of a container is not from
    /// here; a row of this host that came back through remoting is); a row without one (typed by hand)
    /// is from here unless its PSComputerName names another computer.
    /// </summary>
    internal static string? ForeignOrigin(string? hostId, string? computer)
    {
        if (!string.IsNullOrWhiteSpace(hostId))
        {
            return HostIdentity.IsLocal(hostId) ? null
                : string.IsNullOrWhiteSpace(computer) ? "another host, boot or namespace" : computer;
        }
        return string.IsNullOrEmpty(computer) || IsThisComputer(computer) ? null : computer;
    }

    /// <summary>
    /// The target -WhatIf and -Confirm name: the object's name escaped (DisplayText), and where the row
    /// came from when it came through remoting (its PSComputerName).
    /// </summary>
    private protected string Target(SharedMemory shm) => WithOrigin(shm.DisplayName, PSComputerName);

    /// <summary>A -WhatIf/-Confirm target with the computer a remoting row came from, escaped; as it is for a row of here.</summary>
    internal static string WithOrigin(string target, string? computer) =>
        string.IsNullOrWhiteSpace(computer) ? target : $"{target} (a row from {DisplayText.Escape(computer)})";

    /// <summary>A pipeline row that ShmPS listed: it carries the FileId of the file it describes.</summary>
    private bool IsListedRow => !string.IsNullOrWhiteSpace(FileId) && ParameterSetName != InputObjectSet;

    /// <summary>
    /// The objects a row's identity found, less those that are not the file the row was listed as (its
    /// FileId), each of those an error: a row acts on the object it describes, never on another one that
    /// has its name (or the name its text turned into) now.
    /// </summary>
    private protected IEnumerable<SharedMemory> KeepListed(IEnumerable<SharedMemory> found)
    {
        foreach (SharedMemory shm in found)
        {
            if (IsListedRow && shm.FileId is string now && !string.Equals(now, FileId!.Trim(), StringComparison.Ordinal))
            {
                WriteError(ErrorRecords.ToErrorRecord(ErrorHelper.NotListedObject(shm, FileId!), shm));
                continue;
            }
            yield return shm;
        }
    }

    /// <summary>Whether a PSComputerName names this computer: its name (in any case) or localhost.</summary>
    internal static bool IsThisComputer(string computer) =>
        new[] { Environment.MachineName, System.Net.Dns.GetHostName(), "localhost", "127.0.0.1", "::1" }
            .Contains(computer.Trim(), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What the bound parameters name, whichever set was bound, as identities the backends resolve.
    /// <paramref name="names"/> and <paramref name="kinds"/> are the cmdlet's own -Name and how to read it;
    /// <paramref name="chosen"/> the kinds -Kind gave (null without it), which also say how to read -Id.
    /// A bare -Id lands in the Name set (where Id is also bound by property name, for rows of saved
    /// lists), and files piped from Get-ChildItem bind their FullName there: both are read here.
    /// </summary>
    private protected IEnumerable<SharedMemoryIdentity> Identities(IReadOnlyList<string> names, IReadOnlyList<SharedMemoryKind> kinds,
        IReadOnlyList<SharedMemoryKind>? chosen) =>
        ParameterSetName switch
        {
            LiteralNameSet => LiteralName.Select(n => SharedMemoryIdentity.ForLiteralName(n)),
            KeySet => Key.Select(SharedMemoryIdentity.ForKey),
            IdSet => Id.Select(i => SharedMemoryIdentity.ForId(i)),
            PathSet => Path.Select(p => SharedMemoryIdentity.ForPath(p, literal: false)),
            LiteralPathSet => LiteralPath.Select(p => SharedMemoryIdentity.ForPath(p, literal: true)),
            NameSet when names.Count == 0 && Id.Length > 0 => Id.Select(i => SharedMemoryIdentity.ForId(i, chosen)),
            NameSet when FullName.Length > 0 && !MyInvocation.BoundParameters.ContainsKey("Kind") =>
                FullName.Select(p => SharedMemoryIdentity.ForPath(p, literal: true)),
            // A row that ShmPS listed (it carries FileId) names one object exactly, where its kind takes
            // literal names (POSIX): no wildcards, whatever its name holds.
            _ when IsListedRow && kinds.Count == 1 && SharedMemoryBackends.NamedBy(SharedMemoryIdentityForm.LiteralName).Contains(kinds[0]) =>
                names.Select(n => SharedMemoryIdentity.ForLiteralName(n, kinds)),
            _ => names.Select(n => SharedMemoryIdentity.ForName(n, kinds, Id.Length == 1 ? Id[0] : null)),
        };
}
