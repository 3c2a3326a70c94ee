using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Numerics;
using System.Text;

namespace ShmPS;

/// <summary>
/// CPython's multiprocessing.shared_memory.ShareableList, as CPython 3.11 lays it out
/// (Lib/multiprocessing/shared_memory.py):
///   8 bytes        the number of items N (int64)
///   (N + 1) * 8    the offset of each item in the data area, and its end (int64)
///   data           each item in its struct format: 'q' int64, 'd' double, 'xxxxxxx?' bool in the 8th byte,
///                  'xxxxxx?x' None, '&lt;n&gt;s' str (UTF-8) or bytes, n a multiple of 8, NUL-padded
///   N * 8          each item's struct format, NUL-padded to 8 bytes
///   N              each item's back-transform code (int8): 0 as is, 1 str, 2 bytes, 3 None
/// Everything little-endian (native order on x86_64 and aarch64), all offsets relative to the list's start.
/// </summary>
internal static class ShareableListCodec
{
    private const int Alignment = 8;

    #region Reading

    /// <summary>The items of the list at <paramref name="offset"/>, at most <paramref name="limit"/> of them.</summary>
    public static List<object?> Read(SharedMemory shm, long offset, long? limit)
    {
        long size = shm.LiveSize;
        shm.CheckRange(offset, 8, size);
        long n = BinaryPrimitives.ReadInt64LittleEndian(shm.ReadArray(offset, 8));
        long available = size - offset;
        if (n < 0 || n > (available - 16) / 17)
        {
            throw Invalid(shm, offset, $"its first 8 bytes give {n} items, which cannot fit in the {available} bytes from there");
        }
        byte[] offsetBytes = shm.ReadArray(offset + 8, (int)((n + 1) * 8));
        var offsets = new long[n + 1];
        for (int i = 0; i <= n; i++)
        {
            offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(offsetBytes.AsSpan(i * 8));
            if (offsets[i] < 0 || (i > 0 && offsets[i] < offsets[i - 1]))
            {
                throw Invalid(shm, offset, $"the offset of item {i} is {offsets[i]}");
            }
        }
        long dataStart = (n + 2) * 8;
        long formatsStart = dataStart + offsets[n];
        long end = formatsStart + n * 9;
        if (end > available || offsets[n] > available)
        {
            throw Invalid(shm, offset, $"{n} items with {offsets[n]} bytes of data end at byte {end}, past the {available} bytes there");
        }
        byte[] data = shm.ReadArray(offset + dataStart, (int)offsets[n]);
        byte[] formats = shm.ReadArray(offset + formatsStart, (int)(n * 9));
        long count = Math.Min(n, limit ?? n);
        var items = new List<object?>((int)count);
        for (int i = 0; i < count; i++)
        {
            string format = Encoding.ASCII.GetString(formats, i * 8, 8).TrimEnd('\0');
            sbyte code = (sbyte)formats[n * 8 + i];
            items.Add(Item(shm, offset, i, format, code, data.AsSpan((int)offsets[i], (int)(offsets[i + 1] - offsets[i]))));
        }
        return items;
    }

    private static object? Item(SharedMemory shm, long offset, int i, string format, sbyte code, ReadOnlySpan<byte> slot)
    {
        int need = format switch
        {
            "q" or "d" or "xxxxxxx?" or "xxxxxx?x" => 8,
            _ when format.EndsWith('s') && int.TryParse(format[..^1], out int len) && len >= 0 => len,
            _ => throw Invalid(shm, offset, $"item {i} has the format '{ErrorHelper.Printable(format)}', which a ShareableList does not write"),
        };
        if (need > slot.Length)
        {
            throw Invalid(shm, offset, $"item {i} ('{format}') needs {need} bytes and has {slot.Length}");
        }
        slot = slot[..need];
        switch (code)
        {
            case 3:
                return null;
            case 1 or 2 when format.EndsWith('s'):
                int used = slot.Length;
                while (used > 0 && slot[used - 1] == 0)
                {
                    used--; // Python strips trailing NULs (value.rstrip(b'\x00'))
                }
                if (code == 2)
                {
                    return slot[..used].ToArray();
                }
                try
                {
                    return new UTF8Encoding(false, true).GetString(slot[..used]);
                }
                catch (DecoderFallbackException)
                {
                    throw Invalid(shm, offset, $"item {i} is a str whose bytes are not UTF-8");
                }
            case 0:
                return format switch
                {
                    "q" => BinaryPrimitives.ReadInt64LittleEndian(slot),
                    "d" => BinaryPrimitives.ReadDoubleLittleEndian(slot),
                    "xxxxxxx?" => slot[7] != 0,
                    "xxxxxx?x" => slot[6] != 0,
                    _ => slot.ToArray(),
                };
            default:
                throw Invalid(shm, offset, $"item {i} has the code {code} with the format '{ErrorHelper.Printable(format)}'");
        }
    }

    private static Exception Invalid(SharedMemory shm, long offset, string why) =>
        ErrorHelper.InvalidShareableList(shm, offset, why);

    #endregion

    #region Writing

    /// <summary>The bytes of a ShareableList of <paramref name="value"/>'s items: long, double, string, byte[], bool and $null.</summary>
    public static byte[] Encode(object? value)
    {
        value = value is PSObject pso ? pso.BaseObject : value;
        List<object?> items = value is IEnumerable e and not string and not byte[] ? e.Cast<object?>().ToList() : new List<object?> { value };
        var formats = new List<string>();
        var slots = new List<byte[]>();
        var codes = new List<byte>();
        foreach (object? raw in items)
        {
            object? item = raw is PSObject p ? p.BaseObject : raw;
            byte[] slot = new byte[Alignment];
            switch (item)
            {
                case null:
                    formats.Add("xxxxxx?x");
                    codes.Add(3);
                    break;
                case bool b:
                    slot[7] = b ? (byte)1 : (byte)0;
                    formats.Add("xxxxxxx?");
                    codes.Add(0);
                    break;
                case string or char or byte[]:
                    byte[] bytes = item is byte[] bb ? bb : Encoding.UTF8.GetBytes(item.ToString()!);
                    // As Python sizes it: a multiple of 8, always more than the bytes (at least one NUL).
                    slot = new byte[Alignment * (bytes.Length / Alignment + 1)];
                    bytes.CopyTo(slot, 0);
                    formats.Add($"{slot.Length}s");
                    codes.Add(item is byte[] ? (byte)2 : (byte)1);
                    if (formats[^1].Length > 8)
                    {
                        throw InvalidItem($"an item of {bytes.Length} bytes is more than a ShareableList holds (its format '{formats[^1]}' must fit in 8 characters)");
                    }
                    break;
                case sbyte or byte or short or ushort or int or uint or long:
                    BinaryPrimitives.WriteInt64LittleEndian(slot, Convert.ToInt64(item));
                    formats.Add("q");
                    codes.Add(0);
                    break;
                case ulong or BigInteger or decimal when TryInt64(item, out long l):
                    BinaryPrimitives.WriteInt64LittleEndian(slot, l);
                    formats.Add("q");
                    codes.Add(0);
                    break;
                case float or double or decimal:
                    BinaryPrimitives.WriteDoubleLittleEndian(slot, Convert.ToDouble(item));
                    formats.Add("d");
                    codes.Add(0);
                    break;
                default:
                    throw InvalidItem($"a ShareableList holds integers, floats, strings, bytes, bools and $null; '{ErrorHelper.Printable(item.ToString() ?? "")}' is a {item.GetType().Name}"
                        + (item is ulong or BigInteger ? " too large for a 64-bit integer" : ""));
            }
            slots.Add(slot);
        }
        int n = items.Count;
        long dataLength = slots.Sum(s => (long)s.Length);
        long total = 8 + 8L * (n + 1) + dataLength + 8L * n + n;
        if (total > Array.MaxLength)
        {
            throw InvalidItem($"the list comes to {total} bytes, more than one write can take");
        }
        byte[] output = new byte[total];
        BinaryPrimitives.WriteInt64LittleEndian(output, n);
        long at = 0;
        int pos = 16 + 8 * n; // data start: (N + 2) * 8
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(output.AsSpan(8 + 8 * (i + 1)), at += slots[i].Length);
            slots[i].CopyTo(output, pos);
            pos += slots[i].Length;
        }
        for (int i = 0; i < n; i++)
        {
            Encoding.ASCII.GetBytes(formats[i]).CopyTo(output, pos + 8 * i);
            output[pos + 8 * n + i] = codes[i];
        }
        return output;
    }

    private static bool TryInt64(object item, out long value)
    {
        try
        {
            value = item is decimal d && d % 1 != 0 ? throw new OverflowException() : LanguagePrimitives.ConvertTo<long>(item);
            return true;
        }
        catch (Exception e) when (e is PSInvalidCastException or OverflowException)
        {
            value = 0;
            return false;
        }
    }

    private static Exception InvalidItem(string message) =>
        ErrorHelper.InvalidListItem(message);

    #endregion
}
