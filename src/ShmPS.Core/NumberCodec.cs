using System;
using System.Buffers.Binary;
namespace ShmPS;

/// <summary>The little-endian number types that Read-/Write-SharedMemory -As understand.</summary>
public enum SharedMemoryNumberType
{
    Byte, SByte, Int16, UInt16, Int32, UInt32, Int64, UInt64, Single, Double,
}

/// <summary>Little-endian encoding of the -As number types.</summary>
internal static class NumberCodec
{
    public static int Width(SharedMemoryNumberType type) => type switch
    {
        SharedMemoryNumberType.Byte or SharedMemoryNumberType.SByte => 1,
        SharedMemoryNumberType.Int16 or SharedMemoryNumberType.UInt16 => 2,
        SharedMemoryNumberType.Int32 or SharedMemoryNumberType.UInt32 or SharedMemoryNumberType.Single => 4,
        _ => 8,
    };

    // Each arm is boxed on its own: a switch expression would otherwise widen every arm to double.
    public static object Decode(SharedMemoryNumberType type, ReadOnlySpan<byte> b) => type switch
    {
        SharedMemoryNumberType.Byte => (object)b[0],
        SharedMemoryNumberType.SByte => (object)(sbyte)b[0],
        SharedMemoryNumberType.Int16 => (object)BinaryPrimitives.ReadInt16LittleEndian(b),
        SharedMemoryNumberType.UInt16 => (object)BinaryPrimitives.ReadUInt16LittleEndian(b),
        SharedMemoryNumberType.Int32 => (object)BinaryPrimitives.ReadInt32LittleEndian(b),
        SharedMemoryNumberType.UInt32 => (object)BinaryPrimitives.ReadUInt32LittleEndian(b),
        SharedMemoryNumberType.Int64 => (object)BinaryPrimitives.ReadInt64LittleEndian(b),
        SharedMemoryNumberType.UInt64 => (object)BinaryPrimitives.ReadUInt64LittleEndian(b),
        SharedMemoryNumberType.Single => (object)BinaryPrimitives.ReadSingleLittleEndian(b),
        _ => (object)BinaryPrimitives.ReadDoubleLittleEndian(b),
    };

    /// <summary>Converts with PowerShell's rules ('42' and 42.0 become 42) and encodes.</summary>
    public static byte[] Encode(SharedMemoryNumberType type, object value)
    {
        byte[] b = new byte[Width(type)];
        switch (type)
        {
            case SharedMemoryNumberType.Byte: b[0] = Convert<byte>(value); break;
            case SharedMemoryNumberType.SByte: b[0] = (byte)Convert<sbyte>(value); break;
            case SharedMemoryNumberType.Int16: BinaryPrimitives.WriteInt16LittleEndian(b, Convert<short>(value)); break;
            case SharedMemoryNumberType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(b, Convert<ushort>(value)); break;
            case SharedMemoryNumberType.Int32: BinaryPrimitives.WriteInt32LittleEndian(b, Convert<int>(value)); break;
            case SharedMemoryNumberType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(b, Convert<uint>(value)); break;
            case SharedMemoryNumberType.Int64: BinaryPrimitives.WriteInt64LittleEndian(b, Convert<long>(value)); break;
            case SharedMemoryNumberType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(b, Convert<ulong>(value)); break;
            case SharedMemoryNumberType.Single: BinaryPrimitives.WriteSingleLittleEndian(b, Convert<float>(value)); break;
            default: BinaryPrimitives.WriteDoubleLittleEndian(b, Convert<double>(value)); break;
        }
        return b;
    }

    /// <summary>The -As type that matches a number's own type, or null if it is not a number.</summary>
    public static SharedMemoryNumberType? TypeOf(object value) => value switch
    {
        byte => SharedMemoryNumberType.Byte,
        sbyte => SharedMemoryNumberType.SByte,
        short => SharedMemoryNumberType.Int16,
        ushort => SharedMemoryNumberType.UInt16,
        int => SharedMemoryNumberType.Int32,
        uint => SharedMemoryNumberType.UInt32,
        long => SharedMemoryNumberType.Int64,
        ulong => SharedMemoryNumberType.UInt64,
        float => SharedMemoryNumberType.Single,
        double => SharedMemoryNumberType.Double,
        _ => null,
    };

    private static T Convert<T>(object value) => HostHooks.ConvertTo<T>(value);
}
