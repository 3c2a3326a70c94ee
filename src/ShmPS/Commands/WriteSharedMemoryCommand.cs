using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;

namespace ShmPS.Commands;

/// <summary>Writes bytes, text, numbers or a whole file into a shared memory object.</summary>
[Cmdlet(VerbsCommunications.Write, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemory))]
public sealed class WriteSharedMemoryCommand : SharedMemoryCommandBase, IDisposable
{
    /// <summary>
    /// What to write: byte[], a string, a number, or an array of them. Also taken from the pipeline when
    /// the command line names the object (-Name, -Key, ...): everything piped is written as one value,
    /// as if it were given as an array to -Value. When the command line names no object, what is piped
    /// names it (objects, rows with Name/Kind/Id, files) and is never written.
    /// </summary>
    [Parameter(Position = 1, ParameterSetName = NameSet, ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = LiteralNameSet, ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = KeySet, ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = IdSet, ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = LiteralPathSet, ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = InputObjectSet)]
    [AllowEmptyString]
    public object? Value { get; set; }

    /// <summary>A file whose whole content is written, streamed in 1 MiB chunks.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? InputFile { get; set; }

    [Parameter]
    public long Offset { get; set; }

    /// <summary>Encoding of string values (default UTF-8, no BOM, no terminator).</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding? Encoding { get; set; }

    /// <summary>Write numbers as this little-endian type instead of their own type, or the values as a Python ShareableList.</summary>
    [Parameter]
    public SharedMemoryValueFormat? As { get; set; }

    /// <summary>Write the fields that -Value names (a hashtable or an object, or an array of them) as records of this C layout.</summary>
    [Parameter]
    public object? Layout { get; set; }

    /// <summary>With -Layout: how many records (one value repeated, or as many values as given).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public long? Count { get; set; }

    private SharedMemoryLayout? _layout;
    private LayoutWritePlan? _plan;

    /// <summary>Make the data durable (fsync) before returning, where the kind has a backing file.</summary>
    [Parameter]
    public SwitchParameter Flush { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Write a file with several hard links in a directory other users can write to (refused otherwise: HardLinkRefused).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override bool ForceHardLinks => Force;

    /// <summary>
    /// Write a whole document (a string, as UTF-8 or -Encoding, or a byte[]) at -Offset, behind a small
    /// header, so that readers (Read-SharedMemory -Document) never see half of it (see about_ShmPS).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public object? Document { get; set; }

    /// <summary>After writing, wake every waiter on the 4-byte word holding the first byte written (futex FUTEX_WAKE): Wait-SharedMemory, or C programs in FUTEX_WAIT.</summary>
    [Parameter]
    public SwitchParameter Wake { get; set; }

    private byte[]? _data;
    private string? _inputPath;
    private readonly CancellationTokenSource _stopping = new();

    // Values piped to an object named on the command line, written together at the end (see Value).
    private List<object?>? _piped;

    private static readonly string[] s_identityParameters = { "Name", "LiteralName", "Key", "Id", "Path", "LiteralPath", "InputObject" };

    protected override void BeginProcessing()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Document)))
        {
            _document = DocumentWriting.Encode(this, Document!, Encoding);
            return;
        }
        if (Layout is not null)
        {
            _layout = LayoutArgument.Resolve(this, Layout, As is not null || InputFile is not null);
        }
        else if (Count is not null)
        {
            ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.LayoutConflict, "-Count counts records of -Layout: give -Layout too.", Count));
        }
        bool hasValue = MyInvocation.BoundParameters.ContainsKey(nameof(Value));
        bool objectNamed = s_identityParameters.Any(MyInvocation.BoundParameters.ContainsKey);
        if (!hasValue && InputFile is null && objectNamed && MyInvocation.ExpectingInput)
        {
            _piped = new List<object?>();
            return;
        }
        if (hasValue == (InputFile is not null))
        {
            ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.ValueOrInputFileRequired,
                "Give either -Value or -InputFile, or pipe the values to write to an object named with -Name, -Key, -Id or -Path."));
        }
        if (InputFile is not null)
        {
            if (PathRules.Reason(InputFile) is string reason)
            {
                ThrowTerminatingError(ErrorRecords.ToErrorRecord(ErrorHelper.InvalidPath(InputFile, reason), InputFile));
            }
            _inputPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(InputFile);
            if (!Native.Libc.TryStatxFollow(_inputPath, out _))
            {
                ThrowTerminatingError(ErrorRecords.ToErrorRecord(ErrorHelper.InputFileNotFound(_inputPath), InputFile));
            }
            return;
        }
        _data = Encode(Value);
    }

    private byte[]? Encode(object? value)
    {
        try
        {
            if (_layout is not null)
            {
                _plan = LayoutCodec.Plan(_layout, value, Count, Encoding ?? System.Text.Encoding.UTF8);
                return null;
            }
            if (As == SharedMemoryValueFormat.ShareableList)
            {
                return ShareableListCodec.Encode(value);
            }
            return ValueEncoder.ToBytes(value, As.NumberType(), Encoding);
        }
        catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or OverflowException or ArgumentException or SharedMemoryException)
        {
            ThrowTerminatingError(ErrorRecords.ToErrorRecord(ErrorHelper.InvalidValue(e, value), value));
            return null;
        }
    }

    protected override void ProcessRecord()
    {
        if (_piped is not null)
        {
            _piped.Add(Value);
        }
        else if (ParameterSetName != InputObjectSet && (Value is SharedMemory || (Value as PSObject)?.BaseObject is SharedMemory))
        {
            // An object piped without a value given by name lands in Value: it is the target itself.
            ForEachObject(new[] { (SharedMemory)(Value is PSObject pso ? pso.BaseObject : Value!) }, WriteTo);
        }
        else
        {
            ForEachTarget(WriteTo);
        }
    }

    protected override void EndProcessing()
    {
        if (_piped is not null)
        {
            _data = Encode(_piped.Count == 1 ? _piped[0] : _piped.ToArray());
            ForEachTarget(WriteTo);
        }
    }

    private byte[]? _document;

    private void WriteTo(SharedMemory shm)
    {
        if (_document is not null)
        {
            if (ShouldProcess(Target(shm), $"Write a document of {_document.Length} bytes at offset {Offset}"))
            {
                DocumentWriting.Write(shm, Offset, _document, Wake, _stopping.Token);
                Finish(shm);
            }
            return;
        }
        if (_plan is not null)
        {
            if (!ShouldProcess(Target(shm), $"Write {_plan.Records} record(s) of {_layout!.Name} ({_layout.Size} bytes each) at offset {Offset}"))
            {
                return;
            }
            // All or nothing: the whole range is checked before the first field is written.
            shm.CheckRange(Offset, _plan.Extent, writing: true);
            foreach (var (at, data) in _plan.Segments)
            {
                shm.Write(Offset + at, (ReadOnlySpan<byte>)data);
            }
        }
        else if (_data is not null)
        {
            if (!ShouldProcess(Target(shm), $"Write {_data.Length} bytes at offset {Offset}"))
            {
                return;
            }
            shm.Write(Offset, (ReadOnlySpan<byte>)_data);
        }
        else
        {
            using var input = new InputFileReader(_inputPath!, _stopping.Token);
            string size = input.KnownLength is long n ? $"{n} bytes" : "everything";
            if (!ShouldProcess(Target(shm), $"Write {size} from {_inputPath} at offset {Offset}"))
            {
                return;
            }
            WriteFile(shm, input);
        }
        if (Wake)
        {
            shm.WakeCore(Offset);
        }
        Finish(shm);
    }

    private void Finish(SharedMemory shm)
    {
        if (Flush)
        {
            shm.FlushCore();
        }
        if (PassThru)
        {
            shm.RefreshCore();
            WriteObject(shm);
        }
    }

    private void WriteFile(SharedMemory shm, InputFileReader input)
    {
        long limit = long.MaxValue;
        if (input.KnownLength is long length)
        {
            shm.CheckRange(Offset, length, writing: true); // all or nothing: refused before a byte is written
            limit = length;
        }
        bool truncated = false;
        try
        {
            ProgressReporter.Copy(this, $"Writing {_inputPath} to {shm.DisplayName}", input.KnownLength ?? 0,
                report => shm.WriteFrom(Offset, limit, input.Read, report, out truncated));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        if (truncated)
        {
            WriteWarning($"{_inputPath} goes on past the end of {shm.DisplayName}: only the {shm.LiveSize - Offset} bytes from offset {Offset} to the end were written.");
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
