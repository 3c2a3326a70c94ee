using System;
using System.Collections.Generic;
using System.Linq;

namespace ShmPS;

/// <summary>What a scalar's bytes mean when read or written.</summary>
internal enum ScalarKind
{
    Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Single, Double,
    /// <summary>_Bool / bool: one byte, read as [bool].</summary>
    Bool,
    /// <summary>Plain char (signed on x86_64, unsigned on aarch64): text.</summary>
    Char,
    /// <summary>A pointer: its 64-bit value, as UInt64.</summary>
    Pointer,
    /// <summary>long double: laid out (16 bytes, 16-aligned on both), read and written as its bytes.</summary>
    Opaque,
}

/// <summary>A C type as laid out on LP64 Linux: a scalar, a struct or union, or an array of one of them.</summary>
internal sealed class CType
{
    private CType(string name, long size, int alignment)
    {
        Name = name;
        Size = size;
        Alignment = alignment;
    }

    /// <summary>The element type's name (arrays: without dimensions).</summary>
    public string Name { get; private init; }

    public long Size { get; private init; }

    public int Alignment { get; private init; }

    public ScalarKind? Scalar { get; private init; }

    public SharedMemoryLayout? Record { get; private init; }

    /// <summary>An array's element type (the innermost: int[3][4] has int).</summary>
    public CType? Element { get; private init; }

    public IReadOnlyList<long> Dimensions { get; private init; } = Array.Empty<long>();

    /// <summary>An enum's constants, so that a write may name one.</summary>
    public IReadOnlyDictionary<string, long>? Enumerators { get; private init; }

    public CType ElementType => Element ?? this;

    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => a * b);

    public bool IsArray => Dimensions.Count > 0;

    /// <summary>A char array (any dimensions) of plain char: text.</summary>
    public bool IsText => ElementType.Scalar == ScalarKind.Char;

    public string Display => Name + string.Concat(Dimensions.Select(d => $"[{d}]"));

    public string Declare(string field) => Name.EndsWith('*') ? $"{Name}{field}{Dims}" : $"{Name} {field}{Dims}";

    private string Dims => string.Concat(Dimensions.Select(d => $"[{d}]"));

    public static CType ScalarType(string name, ScalarKind kind, int size, int alignment = 0) =>
        new(name, size, alignment == 0 ? size : alignment) { Scalar = kind };

    public static CType EnumType(string name, ScalarKind kind, int size, IReadOnlyDictionary<string, long> enumerators) =>
        new(name, size, size) { Scalar = kind, Enumerators = enumerators };

    public static CType RecordType(SharedMemoryLayout layout) => new(layout.Name, layout.Size, layout.Alignment) { Record = layout };

    /// <summary>The same type under another name (a typedef), with an alignment set by __attribute__((aligned)).</summary>
    public CType Renamed(string name, int? alignment = null) => new(name, Size, alignment ?? Alignment)
    {
        Scalar = Scalar, Record = Record, Element = Element, Dimensions = Dimensions, Enumerators = Enumerators,
    };

    /// <summary>An array of this type with these dimensions outermost (a typedef of an array nests).</summary>
    public CType ArrayOf(IReadOnlyList<long> dimensions)
    {
        long count = dimensions.Aggregate(1L, (a, b) => checked(a * b));
        CType element = ElementType;
        return new CType(element.Name, checked(Size * count), Alignment)
        {
            Element = element, Dimensions = dimensions.Concat(Dimensions).ToArray(),
        };
    }
}
