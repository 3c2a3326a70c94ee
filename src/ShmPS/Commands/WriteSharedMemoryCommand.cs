using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;

namespace ShmPS.Commands;

/// <summary>Writes bytes, text, numbers or a whole file into a shared memory object.</summary>
[Cmdlet(VerbsCommunications.Write, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemory))]
public sealed class WriteSharedMemoryCommand : SharedMemoryCommandBase
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

    protected override void BeginProcessing()
    {
        bool hasValue = MyInvocation.BoundParameters.ContainsKey(nameof(Value));
        if (hasValue == (InputFile is not null))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -Value or -InputFile."),
                "ValueOrInputFileRequired", ErrorCategory.InvalidArgument, null));
        }
        if (InputFile is not null)
        {
            _inputPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(InputFile);
            if (!File.Exists(_inputPath))
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The input file '{_inputPath}' does not exist.", _inputPath),
                    "InputFileNotFound", ErrorCategory.ObjectNotFound, InputFile));
            }
            return;
        }
        try
        {
            _data = ToBytes(Value);
        }
        catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or OverflowException or ArgumentException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidValue", ErrorCategory.InvalidArgument, Value));
        }
    }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        long length = _data?.Length ?? new FileInfo(_inputPath!).Length;
        if (!ShouldProcess(shm.Name, $"Write {length} bytes at offset {Offset}"))
        {
            return;
        }
        if (_data is not null)
        {
            shm.Write(Offset, _data);
        }
        else
        {
            WriteFile(shm, length);
        }
        if (Flush)
        {
            shm.Flush();
        }
        if (PassThru)
        {
            shm.Refresh();
            WriteObject(shm);
        }
    });

    private void WriteFile(SharedMemory shm, long length)
    {
        using var source = new FileStream(_inputPath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        ProgressReporter.Copy(this, $"Writing {_inputPath} to {shm.Name}", length,
            report => shm.WriteFrom(Offset, source, length, report));
    }

    private byte[] ToBytes(object? value)
    {
        value = value is PSObject pso ? pso.BaseObject : value;
        switch (value)
        {
            case null:
                throw new ArgumentException("-Value is null: give bytes, a string or a number.");
            case byte[] bytes:
                return bytes;
            case string s when As is null:
                return (Encoding ?? Encoding.UTF8).GetBytes(s);
            case char c when As is null:
                return (Encoding ?? Encoding.UTF8).GetBytes(c.ToString());
            case IEnumerable items and not string:
                var all = new List<byte>();
                foreach (object? item in items)
                {
                    all.AddRange(ToBytes(item));
                }
                return all.ToArray();
        }
        SharedMemoryNumberType type = As ?? NumberCodec.TypeOf(value)
            ?? throw new ArgumentException($"Cannot write a {value.GetType().Name}: give bytes, a string or a number (-As sets the number type).");
        return NumberCodec.Encode(type, value);
    }
}
