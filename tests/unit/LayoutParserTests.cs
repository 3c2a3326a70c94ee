using System;
using System.Linq;
using System.Management.Automation;
using System.Text;
using Xunit;

namespace ShmPS.Tests;

public class CDeclarationParserTests
{
    private static SharedMemoryLayout Parse(string text, string? name = null) => CDeclarationParser.Parse(text, name);

    private static long[] Offsets(SharedMemoryLayout l) => l.Fields.Select(f => f.Offset).ToArray();

    [Theory]
    [InlineData("char", 1, 1)]
    [InlineData("signed char", 1, 1)]
    [InlineData("unsigned short int", 2, 2)]
    [InlineData("int", 4, 4)]
    [InlineData("unsigned", 4, 4)]
    [InlineData("long", 8, 8)]
    [InlineData("long unsigned int", 8, 8)]
    [InlineData("long long", 8, 8)]
    [InlineData("unsigned long long int", 8, 8)]
    [InlineData("float", 4, 4)]
    [InlineData("double", 8, 8)]
    [InlineData("long double", 16, 16)]
    [InlineData("_Bool", 1, 1)]
    [InlineData("bool", 1, 1)]
    [InlineData("int8_t", 1, 1)]
    [InlineData("uint16_t", 2, 2)]
    [InlineData("int32_t", 4, 4)]
    [InlineData("uint64_t", 8, 8)]
    [InlineData("size_t", 8, 8)]
    [InlineData("ssize_t", 8, 8)]
    [InlineData("off_t", 8, 8)]
    [InlineData("pid_t", 4, 4)]
    [InlineData("uid_t", 4, 4)]
    [InlineData("gid_t", 4, 4)]
    [InlineData("key_t", 4, 4)]
    [InlineData("time_t", 8, 8)]
    [InlineData("dev_t", 8, 8)]
    [InlineData("ino_t", 8, 8)]
    [InlineData("void *", 8, 8)]
    [InlineData("const char * const *", 8, 8)]
    public void ScalarsHaveTheirLp64SizeAndAlignment(string type, long size, int alignment)
    {
        SharedMemoryLayout l = Parse($"struct s {{ char pad; {type} f; }};");
        Assert.Equal(size, l.Fields[1].Size);
        Assert.Equal(alignment, l.Fields[1].Offset);
        Assert.Equal(alignment, l.Alignment);
    }

    [Fact]
    public void PadsAsGccDoes()
    {
        SharedMemoryLayout l = Parse("struct s { int64_t counter; char name[32]; double value; };");
        Assert.Equal(new long[] { 0, 8, 40 }, Offsets(l));
        Assert.Equal(48, l.Size);
        Assert.Equal(24, Parse("struct s { char a; double b; char c; };").Size);
        Assert.Equal(16, Parse("struct s { double b; char a; char c; };").Size);
    }

    [Fact]
    public void LaysOutUnionsOverlapping()
    {
        SharedMemoryLayout l = Parse("union u { char c[5]; int i; };");
        Assert.True(l.IsUnion);
        Assert.Equal(new long[] { 0, 0 }, Offsets(l));
        Assert.Equal(8, l.Size);
    }

    [Fact]
    public void NestsStructsAndArraysOfThem()
    {
        SharedMemoryLayout l = Parse("struct p { short x; char y; }; struct s { char c; struct p pts[2][3]; long after; };");
        SharedMemoryLayoutField pts = l.Fields[1];
        Assert.Equal(2, pts.Offset);
        Assert.Equal(new long[] { 2, 3 }, pts.Dimensions);
        Assert.Equal(6, pts.ElementCount);
        Assert.Equal(24, pts.Size);
        Assert.Equal("struct p", pts.Layout!.Name);
        Assert.Equal(32, l.Fields[2].Offset);
    }

    [Fact]
    public void FlattensAnonymousMembers()
    {
        SharedMemoryLayout l = Parse("struct s { char tag; union { int i; float f; }; struct { char a, b; }; };");
        Assert.Equal(new[] { "tag", "i", "f", "a", "b" }, l.Fields.Select(f => f.Name));
        Assert.Equal(new long[] { 0, 4, 4, 8, 9 }, Offsets(l));
        Assert.Equal(12, l.Size);
    }

    [Theory]
    [InlineData("struct s { char c; int i; } __attribute__((packed));", 5, 1)]
    [InlineData("struct __attribute__((__packed__)) s { char c; int i; };", 5, 1)]
    [InlineData("struct s { char c; int i __attribute__((packed)); };", 5, 1)]
    [InlineData("struct s { char c; int i; } __attribute__((aligned(16)));", 16, 16)]
    [InlineData("struct s { char c; } __attribute__((aligned));", 16, 16)]
    [InlineData("struct s { char c; int i; } __attribute__((packed, aligned(4)));", 8, 4)]
    [InlineData("struct s { char c; _Alignas(16) char d; };", 32, 16)]
    [InlineData("struct s { char c; _Alignas(long long) char d; };", 16, 8)]
    [InlineData("struct s { char c; alignas(8) char d; };", 16, 8)]
    [InlineData("struct s { char c; int i __attribute__((aligned(8))); } __attribute__((packed));", 16, 8)]
    [InlineData("typedef int a8 __attribute__((aligned(8))); struct s { char c; a8 i; };", 16, 8)]
    public void FollowsPackedAndAligned(string text, long size, int alignment)
    {
        SharedMemoryLayout l = Parse(text);
        Assert.Equal(size, l.Size);
        Assert.Equal(alignment, l.Alignment);
    }

    [Theory]
    [InlineData("enum e { A, B }; struct s { enum e v; };", 4)]
    [InlineData("enum e { A = -1 }; struct s { enum e v; };", 4)]
    [InlineData("enum e { A = 0x100000000 }; struct s { enum e v; };", 8)]
    [InlineData("enum __attribute__((packed)) e { A, B }; struct s { enum e v; };", 1)]
    [InlineData("enum e { A = 1 << 20 } __attribute__((packed)); struct s { enum e v; };", 4)]
    public void SizesEnumsAsGccDoes(string text, long size) => Assert.Equal(size, Parse(text).Fields[0].Size);

    [Fact]
    public void EvaluatesConstantExpressionsDefinesEnumeratorsAndSizeof()
    {
        SharedMemoryLayout l = Parse("#include <stdint.h>\n#define N (4 * 2)\nenum { M = N + 1 };\nstruct s { char a[N]; char b[M]; char c[sizeof(int64_t) << 1]; char d[0x10 % 7]; char e[(size_t)3]; };");
        Assert.Equal(new long[] { 8, 9, 16, 2, 3 }, l.Fields.Select(f => f.ElementCount));
    }

    [Fact]
    public void ReadsTypedefsOfStructsArraysAndPointers()
    {
        SharedMemoryLayout l = Parse("typedef struct { int x; } point_t; typedef char name_t[16]; typedef point_t *ptr_t; struct s { point_t p; name_t n; ptr_t q; };");
        Assert.Equal(new long[] { 0, 4, 24 }, Offsets(l));
        Assert.Equal("point_t", l.Fields[0].Type);
        Assert.Equal("point_t", l.Fields[0].Layout!.Name);
        Assert.Equal(16, l.Fields[1].ElementCount);
        Assert.Equal(8, l.Fields[2].Size);
        Assert.Equal("point_t", Parse("typedef struct { int x; } point_t;").Name);
    }

    [Fact]
    public void TakesFunctionPointersAndPointersToIncompleteStructs()
    {
        SharedMemoryLayout l = Parse("struct s { void (*cb)(int, char *); struct later *next; char c; };");
        Assert.Equal(new long[] { 0, 8, 16 }, Offsets(l));
        Assert.Equal(24, l.Size);
    }

    [Fact]
    public void IgnoresComments()
    {
        SharedMemoryLayout l = Parse("// struct x { int bad; };\n/* struct y {\n int bad; } */ struct z { int /* c */ a; // tail\n };");
        Assert.Equal("struct z", l.Name);
        Assert.Single(l.Fields);
    }

    [Fact]
    public void PicksByNameOrTheLastRecord()
    {
        const string text = "struct a { char c; }; typedef struct b { int i; } b_t; union u { double d; };";
        Assert.Equal("union u", Parse(text).Name);
        Assert.Equal("struct a", Parse(text, "a").Name);
        Assert.Equal("struct b", Parse(text, "b_t").Name);
        Assert.Equal("struct b", Parse(text, "struct b").Name);
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => Parse(text, "c"));
        Assert.Equal(ErrorIds.InvalidLayout, e.ErrorId);
    }

    [Theory]
    [InlineData("struct s {\n int a : 3;\n};", 2, "'a' is a bit-field")]
    [InlineData("struct s {\n int n;\n char d[];\n};", 3, "flexible array")]
    [InlineData("struct s {\n int n;\n char d[0];\n};", 3, "zero-length")]
    [InlineData("struct s {\n int n;\n char d[n];\n};", 3, "'n', which is not a constant")]
    [InlineData("struct s {\n gizmo g;\n};", 2, "unknown type 'gizmo'")]
    [InlineData("struct s {\n struct t inner;\n};", 2, "'struct t' has no size")]
    [InlineData("#pragma pack(push, 1)\nstruct s { int a; };", 1, "#pragma pack")]
    [InlineData("#if X\nstruct s { int a; };", 1, "#if")]
    [InlineData("struct s {\n int a __attribute__((vector_size(16)));\n};", 2, "vector_size")]
    [InlineData("struct s {\n int a;\n int a;\n};", 3, "'a' is declared twice")]
    [InlineData("struct s {\n char c;\n _Alignas(2) int i;\n};", 3, "less than the alignment")]
    [InlineData("struct s {\n int a[1 << 40];\n};", 2, "larger than")]
    [InlineData("struct s {\n int a;\n", 3, "never closed")]
    [InlineData("struct s {\n unsigned signed x;\n};", 2, "not a C type")]
    [InlineData("struct s {\n void v;\n};", 2, "no size")]
    [InlineData("/* open", 1, "never ends")]
    [InlineData("int x;", 1, "declares a variable")]
    [InlineData("", 1, "no struct")]
    public void RefusesWhatItCannotLayOutNamingTheLine(string text, int line, string reason)
    {
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => Parse(text));
        Assert.Equal(ErrorIds.InvalidLayout, e.ErrorId);
        Assert.Equal(SharedMemoryErrorCategory.InvalidArgument, e.Category);
        Assert.Contains(reason, ((Exception)e).Message);
        if (!reason.StartsWith("no struct"))
        {
            Assert.Contains($"line {line}:", ((Exception)e).Message);
        }
    }
}

public class LayoutCodecTests
{
    private static readonly SharedMemoryLayout Stats = CDeclarationParser.Parse(
        "struct p { int16_t x, y; }; struct s { int32_t n; char name[8]; uint8_t raw[2]; bool ok; struct p at[2]; double d[2]; };");

    [Fact]
    public void DecodesFieldsInDeclarationOrder()
    {
        byte[] record = new byte[Stats.Size];
        BitConverter.GetBytes(-5).CopyTo(record, 0);
        Encoding.UTF8.GetBytes("abc\0zz").CopyTo(record, 4);
        record[12] = 9;
        record[14] = 1;
        BitConverter.GetBytes((short)7).CopyTo(record, 18);
        BitConverter.GetBytes(1.5).CopyTo(record, 24);
        PSObject o = new LayoutCodec.Reader(Stats, Encoding.UTF8).Decode(record);
        Assert.Equal(new[] { "n", "name", "raw", "ok", "at", "d" }, o.Properties.Select(p => p.Name));
        Assert.Equal(-5, o.Properties["n"].Value);
        Assert.Equal("abc", o.Properties["name"].Value);
        Assert.Equal(new byte[] { 9, 0 }, o.Properties["raw"].Value);
        Assert.Equal(true, o.Properties["ok"].Value);
        var at = (object[])o.Properties["at"].Value;
        Assert.Equal((short)7, ((PSObject)at[0]).Properties["y"].Value);
        Assert.Equal(new[] { 1.5, 0 }, (double[])o.Properties["d"].Value);
    }

    [Fact]
    public void PlansOnlyTheNamedFields()
    {
        var plan = LayoutCodec.Plan(Stats, new System.Collections.Hashtable { ["name"] = "hi", ["at"] = new object[] { new System.Collections.Hashtable { ["y"] = 3 } } }, null, Encoding.UTF8);
        Assert.Equal(Stats.Size, plan.Extent);
        var segments = plan.Segments.OrderBy(s => s.Offset).ToArray(); // a hashtable has no order
        Assert.Equal(new long[] { 4, 18 }, segments.Select(s => s.Offset));
        Assert.Equal(new byte[] { 0x68, 0x69, 0, 0, 0, 0, 0, 0 }, segments[0].Data);
        Assert.Equal(new byte[] { 3, 0 }, segments[1].Data);
    }

    [Theory]
    [InlineData("n", 3000000000L)]
    [InlineData("name", "123456789")]
    [InlineData("ok", 2)]
    [InlineData("n", 1.5)]
    [InlineData("missing", 1)]
    public void RefusesValuesThatDoNotFit(string field, object value)
    {
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => LayoutCodec.Plan(Stats, new System.Collections.Hashtable { [field] = value }, null, Encoding.UTF8));
        Assert.Equal(ErrorIds.InvalidValue, e.ErrorId);
    }
}

public class ShareableListCodecTests
{
    [Fact]
    public void EncodesAsCPython311()
    {
        // bytes(ShareableList([7, 'ab', None, True]).shm.buf).hex() with CPython 3.11
        byte[] b = ShareableListCodec.Encode(new object?[] { 7L, "ab", null, true });
        Assert.Equal(
            "0400000000000000" + "0000000000000000" + "0800000000000000" + "1000000000000000" + "1800000000000000" + "2000000000000000" +
            "0700000000000000" + "6162000000000000" + "0000000000000000" + "0000000000000001" +
            "7100000000000000" + "3873000000000000" + "7878787878783f78" + "78787878787878" + "3f" +
            "00010300",
            Convert.ToHexString(b).ToLowerInvariant());
    }
}
