using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;

namespace ShmPS;

/// <summary>What Write-SharedMemory -Layout writes: byte ranges relative to -Offset, all checked before any is written.</summary>
internal sealed class LayoutWritePlan
{
    public List<(long Offset, byte[] Data)> Segments { get; } = new();

    /// <summary>The bytes the records span (records × stride): the range checked against the object.</summary>
    public long Extent { get; set; }

    public int Records { get; set; }

    public void Add(long offset, byte[] data)
    {
        if (Segments.Count > 0)
        {
            var (lastOffset, lastData) = Segments[^1];
            if (lastOffset + lastData.Length == offset && lastData.Length + data.Length <= 1 << 16)
            {
                Segments[^1] = (lastOffset, [.. lastData, .. data]);
                return;
            }
        }
        Segments.Add((offset, data));
    }
}

/// <summary>
/// Records of a <see cref="SharedMemoryLayout"/> to and from bytes: reading decodes every field into a
/// [pscustomobject]; writing encodes only the fields a value names, refusing the whole write on the first
/// value that does not fit.
/// </summary>
internal static class LayoutCodec
{
    private delegate object? Decoder(ReadOnlySpan<byte> record);

    #region Reading

    /// <summary>A reader of one layout, compiled once per command: one decoder per field.</summary>
    public sealed class Reader
    {
        private readonly (string Name, Decoder Decode)[] _fields;

        public Reader(SharedMemoryLayout layout, Encoding encoding)
        {
            Layout = layout;
            _fields = layout.Fields.Select(f => (f.Name, FieldDecoder(f.CType, (int)f.Offset, encoding))).ToArray();
        }

        public SharedMemoryLayout Layout { get; }

        public PSObject Decode(ReadOnlySpan<byte> record)
        {
            var o = new PSObject();
            foreach (var (name, decode) in _fields)
            {
                // Names are unique within a layout (the parser refuses duplicates): no need to check each one again.
                o.Properties.Add(new PSNoteProperty(name, decode(record)), preValidated: true);
            }
            return o;
        }
    }

    private static Decoder FieldDecoder(CType type, int offset, Encoding encoding)
    {
        if (!type.IsArray)
        {
            return One(type, offset, encoding);
        }
        CType element = type.ElementType;
        IReadOnlyList<long> dims = type.Dimensions;
        int innerCount = (int)dims[^1];
        int innerSize = (int)(innerCount * element.Size);
        Decoder leaf = Leaf(element, innerCount, encoding);
        if (dims.Count == 1)
        {
            return r => leaf(r.Slice(offset, innerSize));
        }
        // Outer dimensions are object[] of the leaf arrays: int[2][3] reads as two int[3].
        return r => Nest(r.Slice(offset, (int)type.Size), dims, 0, innerSize, leaf);
    }

    private static object Nest(ReadOnlySpan<byte> span, IReadOnlyList<long> dims, int level, int innerSize, Decoder leaf)
    {
        if (level == dims.Count - 1)
        {
            return leaf(span)!;
        }
        int n = (int)dims[level];
        int stride = span.Length / n;
        var result = new object[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = Nest(span.Slice(i * stride, stride), dims, level + 1, innerSize, leaf);
        }
        return result;
    }

    /// <summary>The innermost array: text for char, byte[] for 8-bit integers, typed arrays for the rest.</summary>
    private static Decoder Leaf(CType element, int count, Encoding encoding) => element.Scalar switch
    {
        ScalarKind.Char => r => Text(r, encoding),
        ScalarKind.UInt8 or ScalarKind.Int8 => r => r.ToArray(),
        ScalarKind.Bool => r => r.ToArray().Select(b => b != 0).ToArray(),
        ScalarKind.Int16 => r => MemoryMarshal.Cast<byte, short>(r).ToArray(),
        ScalarKind.UInt16 => r => MemoryMarshal.Cast<byte, ushort>(r).ToArray(),
        ScalarKind.Int32 => r => MemoryMarshal.Cast<byte, int>(r).ToArray(),
        ScalarKind.UInt32 => r => MemoryMarshal.Cast<byte, uint>(r).ToArray(),
        ScalarKind.Int64 => r => MemoryMarshal.Cast<byte, long>(r).ToArray(),
        ScalarKind.UInt64 or ScalarKind.Pointer => r => MemoryMarshal.Cast<byte, ulong>(r).ToArray(),
        ScalarKind.Single => r => MemoryMarshal.Cast<byte, float>(r).ToArray(),
        ScalarKind.Double => r => MemoryMarshal.Cast<byte, double>(r).ToArray(),
        _ => Elements(element, count, encoding),
    };

    private static Decoder Elements(CType element, int count, Encoding encoding)
    {
        Decoder one = One(element, 0, encoding);
        int size = (int)element.Size;
        return r =>
        {
            var result = new object?[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = one(r.Slice(i * size, size));
            }
            return result;
        };
    }

    private static Decoder One(CType type, int offset, Encoding encoding)
    {
        if (type.Record is SharedMemoryLayout layout)
        {
            var reader = new Reader(layout, encoding);
            int size = (int)layout.Size;
            return r => reader.Decode(r.Slice(offset, size));
        }
        return type.Scalar switch
        {
            ScalarKind.Int8 => r => (sbyte)r[offset],
            ScalarKind.UInt8 => r => r[offset],
            ScalarKind.Int16 => r => BinaryPrimitives.ReadInt16LittleEndian(r[offset..]),
            ScalarKind.UInt16 => r => BinaryPrimitives.ReadUInt16LittleEndian(r[offset..]),
            ScalarKind.Int32 => r => BinaryPrimitives.ReadInt32LittleEndian(r[offset..]),
            ScalarKind.UInt32 => r => BinaryPrimitives.ReadUInt32LittleEndian(r[offset..]),
            ScalarKind.Int64 => r => BinaryPrimitives.ReadInt64LittleEndian(r[offset..]),
            ScalarKind.UInt64 or ScalarKind.Pointer => r => BinaryPrimitives.ReadUInt64LittleEndian(r[offset..]),
            ScalarKind.Single => r => BinaryPrimitives.ReadSingleLittleEndian(r[offset..]),
            ScalarKind.Double => r => BinaryPrimitives.ReadDoubleLittleEndian(r[offset..]),
            ScalarKind.Bool => r => r[offset] != 0,
            ScalarKind.Char => r => Text(r.Slice(offset, 1), encoding),
            _ => r => r.Slice(offset, (int)type.Size).ToArray(),
        };
    }

    /// <summary>Text ends at the first NUL character, as everywhere in ShmPS (<see cref="TextRule"/>).</summary>
    private static string Text(ReadOnlySpan<byte> bytes, Encoding encoding)
    {
        if (encoding.IsSingleByte || encoding.CodePage == 65001)
        {
            // A zero byte is NUL in UTF-8 and single-byte code pages: decode only what comes before it.
            int end = bytes.IndexOf((byte)0);
            return encoding.GetString(end < 0 ? bytes : bytes[..end]);
        }
        return TextRule.UpToNul(encoding.GetString(bytes));
    }

    #endregion

    #region Writing

    /// <summary>
    /// The writes of <paramref name="values"/>, one record each (one value repeated <paramref name="count"/> times
    /// when a count is given for a single value). Throws InvalidValue before anything is written.
    /// </summary>
    public static LayoutWritePlan Plan(SharedMemoryLayout layout, object? values, long? count, Encoding encoding)
    {
        values = Unwrap(values);
        List<object?> records = values is IEnumerable items and not IDictionary and not string
            ? items.Cast<object?>().ToList()
            : new List<object?> { values };
        if (count is long n)
        {
            if (records.Count == 1 && n >= 0)
            {
                records = Enumerable.Repeat(records[0], (int)Math.Min(n, int.MaxValue)).ToList();
            }
            else if (n != records.Count)
            {
                throw Invalid($"-Count is {n} but -Value holds {records.Count} records: give one value to write it -Count times, or as many values as -Count.");
            }
        }
        var plan = new LayoutWritePlan { Records = records.Count, Extent = checked(records.Count * layout.Size) };
        for (int i = 0; i < records.Count; i++)
        {
            EncodeRecord(plan, layout, records[i], i * layout.Size, encoding, $"record {i}");
        }
        return plan;
    }

    private static object? Unwrap(object? value) => value is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : value;

    private static void EncodeRecord(LayoutWritePlan plan, SharedMemoryLayout layout, object? value, long at, Encoding encoding, string where)
    {
        value = Unwrap(value);
        IEnumerable<(string Name, object? Value)> named = value switch
        {
            IDictionary d => d.Keys.Cast<object>().Select(k => (k.ToString() ?? "", (object?)d[k])),
            PSObject pso => pso.Properties.Select(p => (p.Name, (object?)p.Value)),
            null => throw Invalid($"{where} is null: give a hashtable or an object whose properties name the fields of {layout.Name}."),
            _ => PSObject.AsPSObject(value).Properties.Select(p => (p.Name, (object?)p.Value)),
        };
        foreach (var (name, v) in named)
        {
            SharedMemoryLayoutField field = layout.GetField(name)
                ?? throw Invalid($"{layout.Name} has no field '{ErrorHelper.Printable(name)}' ({where}); its fields are {string.Join(", ", layout.Fields.Select(f => f.Name))}.");
            EncodeField(plan, field.CType, Unwrap(v), at + field.Offset, encoding, $"{field.Name} ({where})");
        }
    }

    private static void EncodeField(LayoutWritePlan plan, CType type, object? value, long at, Encoding encoding, string where)
    {
        if (value is null)
        {
            throw Invalid($"the value of {where} is null.");
        }
        if (!type.IsArray)
        {
            if (type.Record is SharedMemoryLayout nested)
            {
                EncodeRecord(plan, nested, value, at, encoding, where);
            }
            else
            {
                plan.Add(at, Scalar(type, value, encoding, where));
            }
            return;
        }
        EncodeArray(plan, type.ElementType, type.Dimensions, 0, value, at, encoding, where);
    }

    private static void EncodeArray(LayoutWritePlan plan, CType element, IReadOnlyList<long> dims, int level, object value, long at, Encoding encoding, string where)
    {
        long n = dims[level];
        long stride = element.Size * dims.Skip(level + 1).Aggregate(1L, (a, b) => a * b);
        bool leaf = level == dims.Count - 1;
        if (leaf && (element.Scalar == ScalarKind.Char || (element.Scalar is ScalarKind.UInt8 or ScalarKind.Int8 && value is string or byte[])))
        {
            byte[] bytes = value switch
            {
                string s => encoding.GetBytes(s),
                byte[] b => b,
                _ => throw Invalid($"{where} is a char[{n}]: give a string (or bytes), not a {value.GetType().Name}."),
            };
            if (bytes.Length > n)
            {
                throw Invalid($"{where} holds {n} bytes, and the value is {bytes.Length} bytes long.");
            }
            byte[] padded = new byte[n]; // NUL-padded to the array
            bytes.CopyTo(padded, 0);
            plan.Add(at, padded);
            return;
        }
        if (value is not IEnumerable items || value is string || value is IDictionary)
        {
            throw Invalid($"{where} is an array of {n}: give an array of at most {n} values.");
        }
        var list = items.Cast<object?>().Select(Unwrap).ToList();
        if (list.Count > n)
        {
            throw Invalid($"{where} is an array of {n}, and the value has {list.Count} elements.");
        }
        if (leaf && element.Record is null)
        {
            // Scalars: the elements given, then zeros to the end of the array, as a C initializer does.
            byte[] bytes = new byte[n * element.Size];
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i] is null)
                {
                    throw Invalid($"element {i} of {where} is null.");
                }
                Scalar(element, list[i]!, encoding, $"element {i} of {where}").CopyTo(bytes, i * (int)element.Size);
            }
            plan.Add(at, bytes);
            return;
        }
        for (int i = 0; i < list.Count; i++)
        {
            object? item = list[i] ?? throw Invalid($"element {i} of {where} is null.");
            if (leaf)
            {
                EncodeRecord(plan, element.Record!, item, at + i * stride, encoding, $"element {i} of {where}");
            }
            else
            {
                EncodeArray(plan, element, dims, level + 1, item, at + i * stride, encoding, $"element {i} of {where}");
            }
        }
    }

    private static byte[] Scalar(CType type, object value, Encoding encoding, string where)
    {
        if (type.Scalar == ScalarKind.Char)
        {
            byte[] text = value is string s ? encoding.GetBytes(s) : value is char c ? encoding.GetBytes(c.ToString()) : throw Invalid($"{where} is a char: give a character.");
            return text.Length <= 1 ? [.. text, .. new byte[1 - text.Length]] : throw Invalid($"{where} is one char, and '{ErrorHelper.Printable(value.ToString()!)}' is {text.Length} bytes.");
        }
        if (type.Scalar == ScalarKind.Bool)
        {
            return value switch
            {
                bool b => [b ? (byte)1 : (byte)0],
                byte or sbyte or short or ushort or int or uint or long or ulong when Convert.ToDecimal(value) is 0m or 1m => [Convert.ToByte(value)],
                _ => throw Invalid($"{where} is a bool: give $true or $false (or 0 or 1), not '{ErrorHelper.Printable(value.ToString() ?? "")}'."),
            };
        }
        if (type.Scalar == ScalarKind.Opaque)
        {
            return value is byte[] raw && raw.Length == type.Size ? raw : throw Invalid($"{where} is a {type.Name}: give its {type.Size} bytes.");
        }
        if (type.Enumerators is { } names && value is string name)
        {
            value = names.TryGetValue(name, out long v) ? v
                : throw Invalid($"{where} is a {type.Name}, which has no constant '{ErrorHelper.Printable(name)}'; it has {string.Join(", ", names.Keys)}.");
        }
        if (value is bool)
        {
            throw Invalid($"{where} is a {type.Name}: give a number, not a bool.");
        }
        byte[] b8 = new byte[type.Size];
        try
        {
            switch (type.Scalar)
            {
                case ScalarKind.Int8: b8[0] = (byte)To<sbyte>(value); break;
                case ScalarKind.UInt8: b8[0] = To<byte>(value); break;
                case ScalarKind.Int16: BinaryPrimitives.WriteInt16LittleEndian(b8, To<short>(value)); break;
                case ScalarKind.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(b8, To<ushort>(value)); break;
                case ScalarKind.Int32: BinaryPrimitives.WriteInt32LittleEndian(b8, To<int>(value)); break;
                case ScalarKind.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(b8, To<uint>(value)); break;
                case ScalarKind.Int64: BinaryPrimitives.WriteInt64LittleEndian(b8, To<long>(value)); break;
                case ScalarKind.UInt64 or ScalarKind.Pointer: BinaryPrimitives.WriteUInt64LittleEndian(b8, To<ulong>(value)); break;
                case ScalarKind.Single:
                    double d = To<double>(value);
                    float f = (float)d;
                    if (float.IsInfinity(f) && !double.IsInfinity(d))
                    {
                        throw new OverflowException();
                    }
                    BinaryPrimitives.WriteSingleLittleEndian(b8, f);
                    break;
                default: BinaryPrimitives.WriteDoubleLittleEndian(b8, To<double>(value)); break;
            }
        }
        catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or OverflowException or FormatException)
        {
            throw Invalid($"{where} is a {type.Name}, and '{ErrorHelper.Printable(value.ToString() ?? "")}' does not fit it.");
        }
        return b8;
    }

    private static T To<T>(object value)
    {
        // PowerShell's conversions, but a fraction is not silently rounded into an integer field.
        if (typeof(T) != typeof(double) && value is double or float or decimal && Convert.ToDecimal(value) % 1 != 0)
        {
            throw new OverflowException();
        }
        return LanguagePrimitives.ConvertTo<T>(value);
    }

    private static Exception Invalid(string message) =>
        ErrorHelper.InvalidRecord(message);

    #endregion
}

/// <summary>Read-SharedMemory -Layout: records read in chunks of about 1 MiB, so that -Count has no limit but the object's size.</summary>
internal static class LayoutReader
{
    private const int ChunkBytes = 1 << 20;

    public static void Read(System.Management.Automation.Cmdlet cmdlet, SharedMemory shm, SharedMemoryLayout layout, long offset, long? count,
        System.Text.Encoding encoding)
    {
        long records = count ?? 1;
        long size = shm.LiveSize;
        // The whole range first: a record past the end is OffsetOutOfRange before anything is output.
        shm.CheckRange(offset, records < 0 || records > long.MaxValue / Math.Max(1, layout.Size) ? -1 : records * layout.Size, size);
        if (layout.Size == 0)
        {
            for (long i = 0; i < records; i++)
            {
                cmdlet.WriteObject(new LayoutCodec.Reader(layout, encoding).Decode(ReadOnlySpan<byte>.Empty));
            }
            return;
        }
        var reader = new LayoutCodec.Reader(layout, encoding);
        int stride = (int)layout.Size;
        long perChunk = Math.Max(1, ChunkBytes / stride);
        for (long done = 0; done < records;)
        {
            int n = (int)Math.Min(perChunk, records - done);
            byte[] data = shm.ReadArray(offset + done * stride, n * stride);
            for (int i = 0; i < n; i++)
            {
                cmdlet.WriteObject(reader.Decode(data.AsSpan(i * stride, stride)));
            }
            done += n;
        }
    }
}
