namespace ShmPS;

/// <summary>
/// What Read-/Write-SharedMemory -As take: a little-endian number type (the members of
/// <see cref="SharedMemoryNumberType"/>, with the same values) or CPython's ShareableList format.
/// </summary>
public enum SharedMemoryValueFormat
{
    Byte = SharedMemoryNumberType.Byte,
    SByte = SharedMemoryNumberType.SByte,
    Int16 = SharedMemoryNumberType.Int16,
    UInt16 = SharedMemoryNumberType.UInt16,
    Int32 = SharedMemoryNumberType.Int32,
    UInt32 = SharedMemoryNumberType.UInt32,
    Int64 = SharedMemoryNumberType.Int64,
    UInt64 = SharedMemoryNumberType.UInt64,
    Single = SharedMemoryNumberType.Single,
    Double = SharedMemoryNumberType.Double,

    /// <summary>A list in the format of Python's multiprocessing.shared_memory.ShareableList (CPython 3.11).</summary>
    ShareableList = 100,
}

internal static class SharedMemoryValueFormatExtensions
{
    /// <summary>The number type of a number format; null for none or ShareableList.</summary>
    public static SharedMemoryNumberType? NumberType(this SharedMemoryValueFormat? format) =>
        format is null or SharedMemoryValueFormat.ShareableList ? null : (SharedMemoryNumberType)(int)format.Value;
}
