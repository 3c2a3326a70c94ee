using System;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using ShmPS.Coordination;

namespace ShmPS.Commands;

/// <summary>What -Document adds to Write-SharedMemory and Read-SharedMemory (the format: Coordination/SharedDocument).</summary>
internal static class DocumentWriting
{
    /// <summary>The bytes of a -Document value: a string in the encoding (UTF-8 by default), or a byte[] as it is.</summary>
    public static byte[] Encode(PSCmdlet cmdlet, object document, Encoding? encoding)
    {
        object value = document is PSObject pso ? pso.BaseObject : document;
        bool other = new[] { "Value", "InputFile", "As", "Layout", "Count" }.Any(cmdlet.MyInvocation.BoundParameters.ContainsKey);
        if (other)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.InvalidArgument,
                "-Document writes one whole document: it takes no -Value, -InputFile, -As, -Layout or -Count."));
        }
        return value switch
        {
            string text => (encoding ?? new UTF8Encoding(false)).GetBytes(text),
            byte[] bytes => bytes,
            _ => Refuse(cmdlet, value),
        };
    }

    private static byte[] Refuse(PSCmdlet cmdlet, object value)
    {
        cmdlet.ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.InvalidValue,
            $"-Document takes a string or a byte[], not {value.GetType().Name}: convert it first (ConvertTo-Json, say).", value));
        return Array.Empty<byte>();
    }

    public static void Write(SharedMemory shm, long offset, byte[] document, bool wake, CancellationToken token)
    {
        try
        {
            SharedDocument.Write(shm, offset, document, token);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        if (wake)
        {
            shm.WakeCore(offset);
        }
    }

    public static void CheckRead(PSCmdlet cmdlet, bool conflicting, SharedMemoryNumberType? type)
    {
        if (conflicting || (type is not null && type != SharedMemoryNumberType.Byte))
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.InvalidArgument,
                "-Document reads one whole document, as text (-Encoding) or with -As Byte as bytes: it takes no -Count, -OutFile, -Layout or -As ShareableList."));
        }
    }

    public static object Read(SharedMemory shm, long offset, SharedMemoryNumberType? type, Encoding? encoding)
    {
        byte[] bytes = SharedDocument.Read(shm, offset, CancellationToken.None);
        return type == SharedMemoryNumberType.Byte ? bytes : (encoding ?? Encoding.UTF8).GetString(bytes);
    }
}
