using System;
using System.Collections.Generic;
using System.Linq;

namespace ShmPS;

/// <summary>
/// A C struct or union laid out as gcc lays it out on Linux LP64 (x86_64 and aarch64): what
/// New-SharedMemoryLayout returns and Read-/Write-SharedMemory -Layout read and write.
/// </summary>
public sealed class SharedMemoryLayout
{
    internal SharedMemoryLayout(string name, bool isUnion, long size, int alignment, IReadOnlyList<SharedMemoryLayoutField> fields)
    {
        Name = name;
        IsUnion = isUnion;
        Size = size;
        Alignment = alignment;
        Fields = fields;
    }

    /// <summary>As C names it: <c>struct stats</c>, <c>union value</c>, or the typedef name.</summary>
    public string Name { get; internal set; }

    public bool IsUnion { get; }

    /// <summary>sizeof: the stride of an array of these records.</summary>
    public long Size { get; }

    /// <summary>_Alignof.</summary>
    public int Alignment { get; }

    /// <summary>The fields in declaration order (members of anonymous structs and unions among them).</summary>
    public IReadOnlyList<SharedMemoryLayoutField> Fields { get; }

    /// <summary>The field of this name: the exact spelling first, else the one field whose name differs only in case.</summary>
    public SharedMemoryLayoutField? GetField(string name)
    {
        SharedMemoryLayoutField? found = null;
        foreach (SharedMemoryLayoutField f in Fields)
        {
            if (f.Name == name)
            {
                return f;
            }
            if (string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                found = found is null ? f : null;
            }
        }
        return found;
    }

    public override string ToString() => $"{Name} ({Size} bytes)";

    /// <summary>The declarations as C text, for a C program or a header (offsets in comments).</summary>
    public string ToDeclaration() =>
        $"{Name} {{ /* size {Size}, align {Alignment} */\n" +
        string.Concat(Fields.Select(f => $"    {f.Declaration}; /* offset {f.Offset} */\n")) + "};";
}

/// <summary>One field of a <see cref="SharedMemoryLayout"/>.</summary>
public sealed class SharedMemoryLayoutField
{
    internal SharedMemoryLayoutField(string name, long offset, CType type)
    {
        Name = name;
        Offset = offset;
        CType = type;
    }

    internal CType CType { get; }

    public string Name { get; }

    /// <summary>offsetof, in bytes from the start of the record.</summary>
    public long Offset { get; }

    /// <summary>The C type, arrays with their dimensions: <c>int64_t</c>, <c>char[32]</c>, <c>struct point[4]</c>, <c>void *</c>.</summary>
    public string Type => CType.Display;

    /// <summary>How many elements: 1 for a scalar or a struct, the product of the dimensions for an array.</summary>
    public long ElementCount => CType.ElementCount;

    /// <summary>The dimensions of an array (empty for anything else).</summary>
    public long[] Dimensions => CType.Dimensions.ToArray();

    /// <summary>sizeof the field.</summary>
    public long Size => CType.Size;

    public int Alignment => CType.Alignment;

    /// <summary>The layout of a nested struct or union (or of the elements of an array of them); null for scalars.</summary>
    public SharedMemoryLayout? Layout => CType.ElementType.Record;

    internal string Declaration => CType.Declare(Name);

    public override string ToString() => Name;
}
