using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
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
    /// <summary>What to write: byte[], a string, a number, or an array of them.</summary>
    [Parameter(Position = 1)]
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

    /// <summary>Write numbers as this little-endian type instead of their own type.</summary>
    [Parameter]
    public SharedMemoryNumberType? As { get; set; }

    /// <summary>Make the data durable (fsync) before returning, where the kind has a backing file.</summary>
    [Parameter]
    public SwitchParameter Flush { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private byte[]? _data;
    private string? _inputPath;
    private readonly CancellationTokenSource _stopping = new();

    protected override void BeginProcessing()
    {
        bool hasValue = MyInvocation.BoundParameters.ContainsKey(nameof(Value));
        if (hasValue == (InputFile is not null))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -Value or -InputFile."),
                ErrorIds.ValueOrInputFileRequired, ErrorCategory.InvalidArgument, null));
        }
        if (InputFile is not null)
        {
            if (PathRules.Reason(InputFile) is string reason)
            {
                ThrowTerminatingError(ErrorHelper.ToErrorRecord(ErrorHelper.InvalidPath(InputFile, reason), InputFile));
            }
            _inputPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(InputFile);
            if (!File.Exists(_inputPath) && !Native.Libc.TryStatxFollow(_inputPath, out _))
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The input file '{_inputPath}' does not exist.", _inputPath),
                    ErrorIds.InputFileNotFound, ErrorCategory.ObjectNotFound, InputFile));
            }
            return;
        }
        try
        {
            _data = ValueEncoder.ToBytes(Value, As, Encoding);
        }
        catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or OverflowException or ArgumentException or SharedMemoryException)
        {
            ThrowTerminatingError(new ErrorRecord(e, ErrorIds.InvalidValue, ErrorCategory.InvalidArgument, Value));
        }
    }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        if (_data is not null)
        {
            if (!ShouldProcess(shm.Name, $"Write {_data.Length} bytes at offset {Offset}"))
            {
                return;
            }
            shm.Write(Offset, (ReadOnlySpan<byte>)_data);
        }
        else
        {
            using var input = new InputFileReader(_inputPath!, _stopping.Token);
            string size = input.KnownLength is long n ? $"{n} bytes" : "everything";
            if (!ShouldProcess(shm.Name, $"Write {size} from {_inputPath} at offset {Offset}"))
            {
                return;
            }
            WriteFile(shm, input);
        }
        if (Flush)
        {
            shm.FlushCore();
        }
        if (PassThru)
        {
            shm.RefreshCore();
            WriteObject(shm);
        }
    });

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
            ProgressReporter.Copy(this, $"Writing {_inputPath} to {shm.Name}", input.KnownLength ?? 0,
                report => shm.WriteFrom(Offset, limit, input.Read, report, out truncated));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        if (truncated)
        {
            WriteWarning($"{_inputPath} goes on past the end of {shm.Name}: only the {shm.LiveSize - Offset} bytes from offset {Offset} to the end were written.");
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
