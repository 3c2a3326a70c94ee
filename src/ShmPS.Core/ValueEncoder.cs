using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace ShmPS;

/// <summary>
/// Turns what a user gives Write-SharedMemory -Value into bytes: byte arrays, strings, characters,
/// numbers and any nesting of collections of them. Whatever a user can build ends in bytes or an
/// error: a collection that contains itself, nesting deeper than <see cref="MaxDepth"/> and more bytes
/// than one array holds are refused, never followed into a stack overflow.
/// </summary>
internal static class ValueEncoder
{
    public const int MaxDepth = 64;

    public static byte[] ToBytes(object? value, SharedMemoryNumberType? type, Encoding? encoding)
    {
        if ((HostHooks.Unwrap(value)) is byte[] bytes)
        {
            return bytes; // the common case for large data: no copy
        }
        var output = new List<byte>();
        Append(output, value, type, encoding ?? Encoding.UTF8, depth: 0, new HashSet<object>(ReferenceEqualityComparer.Instance));
        return output.ToArray();
    }

    private static void Append(List<byte> output, object? value, SharedMemoryNumberType? type, Encoding encoding, int depth,
        HashSet<object> open)
    {
        value = HostHooks.Unwrap(value);
        switch (value)
        {
            case null:
                throw Invalid("-Value is null, or holds a null: give bytes, a string or a number.");
            case byte[] bytes:
                Add(output, bytes);
                return;
            case string s when type is null:
                Add(output, encoding.GetBytes(s));
                return;
            case char c when type is null:
                Add(output, encoding.GetBytes(c.ToString()));
                return;
            case IEnumerable items and not string:
                if (depth >= MaxDepth)
                {
                    throw Invalid($"-Value nests collections more than {MaxDepth} deep.");
                }
                if (!open.Add(items))
                {
                    throw Invalid("-Value contains itself (a collection that holds a reference to itself has no end).");
                }
                foreach (object? item in items)
                {
                    Append(output, item, type, encoding, depth + 1, open);
                }
                open.Remove(items);
                return;
        }
        SharedMemoryNumberType numberType = type ?? NumberCodec.TypeOf(value)
            ?? throw Invalid($"Cannot write a {value.GetType().Name}: give bytes, a string or a number (-As sets the number type).");
        Add(output, NumberCodec.Encode(numberType, value));
    }

    private static void Add(List<byte> output, byte[] bytes)
    {
        if ((long)output.Count + bytes.Length > Array.MaxLength)
        {
            throw Invalid($"-Value comes to more than {Array.MaxLength} bytes, more than one write can take; use -InputFile.");
        }
        output.AddRange(bytes);
    }

    private static Exception Invalid(string message) =>
        ErrorHelper.InvalidValue(message);
}
