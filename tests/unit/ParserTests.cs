using System;
using System.IO;
using System.Management.Automation;
using System.Text;
using Xunit;

namespace ShmPS.Tests;

public class SystemVKeyTests
{
    [Theory]
    [InlineData("0x0000abcd", 0xabcd)]
    [InlineData("0XDEADBEEF", unchecked((int)0xdeadbeef))]
    [InlineData("43981", 43981)]
    [InlineData(" 7 ", 7)]
    [InlineData("-1", -1)]
    [InlineData("4294967295", -1)]
    [InlineData("0", 0)]
    public void ParsesKeysAsUsersAndIpcsWriteThem(string text, int expected) => Assert.Equal(expected, SystemVKey.Parse(text).Value);

    [Theory]
    [InlineData(4294967295L, -1)]
    [InlineData(3000000000L, unchecked((int)3000000000u))]
    [InlineData(2147483648L, int.MinValue)]
    [InlineData(-1L, -1)]
    [InlineData(43981L, 43981)]
    public void TakesEveryKeyTValueAsTheSameBits(long number, int expected)
    {
        var transform = new KeyTransformationAttribute();
        Assert.Equal(expected, transform.Transform(null!, number));
        Assert.Equal(expected, transform.Transform(null!, (double)number));
        Assert.Equal(expected, transform.Transform(null!, number.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(new[] { expected, 7 }, transform.Transform(null!, new object[] { number, "0x7" }));
    }

    [Theory]
    [InlineData(4294967296L)]
    [InlineData(-2147483649L)]
    public void RefusesNumbersBeyond32Bits(long number) =>
        Assert.Throws<ArgumentTransformationMetadataException>(() => new KeyTransformationAttribute().Transform(null!, number));

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0x1ffffffff")]
    [InlineData("4294967296")]
    [InlineData("key")]
    [InlineData("0x12\u00003")]
    public void RefusesWhatIsNotAKey(string text)
    {
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => SystemVKey.Parse(text));
        Assert.Equal(ErrorIds.InvalidKey, e.ErrorId);
        Assert.Equal(SharedMemoryErrorCategory.InvalidArgument, e.Category);
    }

    [Theory]
    [InlineData(0xabcd, "0x0000abcd")]
    [InlineData(-1, "0xffffffff")]
    [InlineData(0, "0x00000000")]
    public void FormatsAsIpcs(int key, string expected) => Assert.Equal(expected, new SystemVKey(key).ToString());

    [Fact]
    public void GeneratedKeysAreNeverPrivateOrMinusOneAndDiffer()
    {
        var seen = new System.Collections.Generic.HashSet<int>();
        for (int i = 0; i < 1000; i++)
        {
            SystemVKey key = SystemVKey.Generate();
            Assert.False(key.IsPrivate);
            Assert.NotEqual(-1, key.Value);
            seen.Add(key.Value);
        }
        Assert.True(seen.Count > 990);
    }

    [Fact]
    public void RefusesAProjectIdWhoseLowByteIsZero()
    {
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => SystemVKey.FromPath("/", 256));
        Assert.Equal(ErrorIds.InvalidProjectId, e.ErrorId);
    }
}

public class SystemVTableTests
{
    private const string Header =
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n";

    [Fact]
    public void ParsesEveryColumn()
    {
        var rows = SystemVTable.Parse(new StringReader(Header +
            "1592655873         18  1600                  3333  4242  4343      2     0    10    11    12 1700000001 1700000002 1700000003                  4096                  8192\n"));
        SystemVSegmentRow row = Assert.Single(rows);
        Assert.Equal(new SystemVSegmentRow(1592655873, 18, 0x380, 3333, 4242, 4343, 2, 0, 10, 11, 12, 1700000001, 1700000002, 1700000003, 4096, 8192), row);
    }

    [Fact]
    public void ReadsNegativeKeysAndTablesWithoutRssAndSwap()
    {
        var rows = SystemVTable.Parse(new StringReader(Header +
            "        -1          3   600                    10     1     1      0     0     0     0     0          0          0 1700000000\n"));
        SystemVSegmentRow row = Assert.Single(rows);
        Assert.Equal(-1, row.Key);
        Assert.Equal(0x180, row.Perms);
        Assert.Equal(0, row.Resident);
    }

    [Theory]
    [InlineData("garbage\n")]
    [InlineData("1 2 999 4 5 6 7 8 9 10 11 12 13 14\n")]
    [InlineData("1 2 600 -4 5 6 7 8 9 10 11 12 13 14\n")]
    [InlineData("1 2 600\n")]
    public void SkipsLinesThatDoNotParse(string line) => Assert.Empty(SystemVTable.Parse(new StringReader(Header + line)));
}

public class HugePageInfoTests
{
    [Fact]
    public void ReadsTheHugePageLinesOfMeminfo()
    {
        HugePageInfo info = HugePageInfo.Parse(new StringReader(
            "MemTotal:       24000000 kB\nHugePages_Total:      16\nHugePages_Free:        9\nHugepagesize:       2048 kB\n"));
        Assert.Equal(new HugePageInfo("16", "9", "2048 kB"), info);
    }

    [Fact]
    public void LeavesMissingLinesUnknown() => Assert.Equal(default, HugePageInfo.Parse(new StringReader("MemTotal: 1 kB\n")));

    [Fact]
    public void GivesCountsAndThePageSizeInBytes()
    {
        var info = new HugePageInfo("16", "9", "2048 kB");
        Assert.Equal(16, info.TotalPages);
        Assert.Equal(9, info.FreePages);
        Assert.Equal(2048 * 1024, info.PageSizeBytes);
        Assert.Equal(1L << 30, new HugePageInfo("0", "0", "1048576 kB").PageSizeBytes);
    }

    [Fact]
    public void GivesNoNumberForWhatIsMissingOrDoesNotParse()
    {
        Assert.Null(default(HugePageInfo).TotalPages);
        Assert.Null(default(HugePageInfo).PageSizeBytes);
        Assert.Null(new HugePageInfo("-1", "x", "2048 MB").TotalPages);
        Assert.Null(new HugePageInfo("-1", "x", "2048 MB").FreePages);
        Assert.Null(new HugePageInfo("-1", "x", "2048 MB").PageSizeBytes);
    }
}

public class SharedMemoryLimitTests
{
    [Theory]
    [InlineData(0UL, 4096UL, 0UL)]
    [InlineData(10UL, 4096UL, 40960UL)]
    [InlineData(4503599627370495UL, 4096UL, 18446744073709547520UL)]  // the largest that fits
    [InlineData(18446744073692774399UL, 4096UL, 18446744073709547520UL)] // kernel.shmall's default: ipcs -l -b shows this
    [InlineData(18446744073692774399UL, 65536UL, 18446744073709486080UL)] // 64 KiB pages (arm64)
    public void GivesPagesInBytesAsIpcsDoes(ulong pages, ulong pageSize, ulong bytes) =>
        Assert.Equal(bytes, SharedMemoryLimit.PagesToBytes(pages, pageSize));
}

public class PosixNameTests
{
    [Theory]
    [InlineData("foo", "/foo")]
    [InlineData("/foo", "/foo")]
    [InlineData("/a b", "/a b")]
    [InlineData("/grüße", "/grüße")]
    public void NormalizesWithOneLeadingSlash(string name, string expected) => Assert.Equal(expected, PosixSharedMemory.NormalizeName(name));

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/a/b")]
    [InlineData("/.")]
    [InlineData("/..")]
    [InlineData("/a\0b")]
    [InlineData("/a\tb")]
    [InlineData("/a*")]
    [InlineData("/a?")]
    [InlineData("/x[1]")]
    [InlineData("/ab ")]
    [InlineData("/sem.x")]
    public void RefusesWhatShmPSDoesNotCreate(string name)
    {
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => PosixSharedMemory.NormalizeName(name));
        Assert.Equal(ErrorIds.InvalidSharedMemoryName, e.ErrorId);
    }

    [Theory]
    [InlineData("/a*", "/a*")]
    [InlineData("/sem.x", "/sem.x")]
    [InlineData("/x[1] ", "/x[1] ")]
    public void LiteralNamesFollowOnlyTheSystemsRules(string name, string expected) =>
        Assert.Equal(expected, PosixSharedMemory.NormalizeName(name, literal: true));

    [Theory]
    [InlineData("/a\0b")]
    [InlineData("/a/b")]
    [InlineData("/..")]
    public void LiteralNamesStillRefuseWhatTheSystemWouldMisread(string name) =>
        Expect.Failure(() => PosixSharedMemory.NormalizeName(name, literal: true));

    // Built here, not in an attribute: attribute strings are stored as UTF-8, which has no lone surrogates.
    [Fact]
    public void RefusesLoneSurrogatesEvenLiterally()
    {
        foreach (char c in new[] { (char)0xD800, (char)0xDC00 })
        {
            Expect.Failure(() => PosixSharedMemory.NormalizeName("/a" + c));
            Expect.Failure(() => PosixSharedMemory.NormalizeName("/a" + c + "b", literal: true));
        }
        Assert.Equal("/a\U0001F600", PosixSharedMemory.NormalizeName("/a\U0001F600"));
    }

    [Fact]
    public void CountsTheLimitInBytes()
    {
        Assert.Equal("/" + new string('a', 255), PosixSharedMemory.NormalizeName(new string('a', 255)));
        Expect.Failure(() => PosixSharedMemory.NormalizeName(new string('a', 256)));
        Expect.Failure(() => PosixSharedMemory.NormalizeName(new string('ü', 128)));
    }
}

public class PathRuleTests
{
    [Theory]
    [InlineData("/tmp/x")]
    [InlineData("relative/x")]
    public void AcceptsOrdinaryPaths(string path) => Assert.Equal(path, PathRules.Check(path));

    [Fact]
    public void RefusesNulLongComponentsAndLongPaths()
    {
        Assert.NotNull(PathRules.Reason("/tmp/victim\0x"));
        Assert.NotNull(PathRules.Reason("/tmp/" + new string('a', 256)));
        Assert.Null(PathRules.Reason("/tmp/" + new string('a', 255)));
        Assert.NotNull(PathRules.Reason(string.Join('/', System.Linq.Enumerable.Repeat("abcdefghijklmno", 300))));
        var e = (ISharedMemoryError)Assert.ThrowsAny<Exception>(() => PathRules.Check(""));
        Assert.Equal(ErrorIds.InvalidPath, e.ErrorId);
    }
}

public class UnixModeTests
{
    [Theory]
    [InlineData("0640", 0x1A0)]
    [InlineData("640", 0x1A0)]
    [InlineData("0o640", 0x1A0)]
    [InlineData("rw-r-----", 0x1A0)]
    [InlineData("-rw-r-----", 0x1A0)]
    [InlineData("rwsr-x---", 0x9E8)]
    [InlineData("0", 0)]
    [InlineData("u=rw,g=r", 0x1A0)]
    [InlineData("u=rw,go=", 0x180)]
    [InlineData("a=r,u=rw", 0x1A4)]
    [InlineData("=rw", 0x1B6)]
    [InlineData("ug=rwx", 0x1F8)]
    public void ParsesOctalAndSymbolicModes(string text, int expected) => Assert.Equal((UnixFileMode)expected, UnixMode.Parse(text));

    [Theory]
    [InlineData("0999")]
    [InlineData("rw-r--r-x-")]
    [InlineData("12345")]
    [InlineData("")]
    [InlineData("u+rw")]
    [InlineData("u=rs")]
    [InlineData("z=r")]
    [InlineData("u=rw,g")]
    public void RefusesWhatIsNotAMode(string text) =>
        Assert.Equal(ErrorIds.InvalidMode, Expect.Failure(() => UnixMode.Parse(text)).Id());

    [Fact]
    public void NamesTheInvalidTextAsGivenAndTheAcceptedForms()
    {
        string message = Expect.Failure(() => UnixMode.Parse("0999")).Message;
        Assert.Contains("'0999'", message);
        Assert.Contains("0640", message);
        Assert.Contains("rw-r-----", message);
        Assert.Contains("u=rw,g=r", message);
    }

    [Theory]
    [InlineData(0x9ED)]
    [InlineData(0x5F8)]
    [InlineData(0x3FF)]
    [InlineData(0x10000)]
    public void RefusesSpecialBits(int mode) =>
        Assert.Equal(ErrorIds.InvalidMode, Expect.Failure(() => UnixMode.RequirePermissionBitsOnly((UnixFileMode)mode)).Id());

    [Fact]
    public void ShowsModesAsLsDoes()
    {
        Assert.Equal("rw-r-----", UnixMode.ToSymbolic((UnixFileMode)0x1A0));
        Assert.Equal("rwsr-x--T", UnixMode.ToSymbolic((UnixFileMode)0xBE8));
        Assert.Equal("0640", UnixMode.ToOctal((UnixFileMode)0x1A0));
    }
}

public class ValueEncoderTests
{
    [Fact]
    public void EncodesBytesTextAndNumbersInOrder()
    {
        byte[] bytes = ValueEncoder.ToBytes(new object[] { new byte[] { 1, 2 }, "é", 3L, (short)4 }, null, null);
        Assert.Equal(new byte[] { 1, 2, 0xC3, 0xA9, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0 }, bytes);
    }

    [Fact]
    public void UsesTheNumberTypeAsked() =>
        Assert.Equal(new byte[] { 1, 0, 2, 0 }, ValueEncoder.ToBytes(new object[] { 1, 2 }, SharedMemoryNumberType.UInt16, Encoding.UTF8));

    [Fact]
    public void RefusesACollectionThatContainsItself()
    {
        var list = new System.Collections.ArrayList { 1 };
        list.Add(list);
        Assert.Equal(ErrorIds.InvalidValue, Expect.Failure(() => ValueEncoder.ToBytes(list, null, null)).Id());
    }

    [Fact]
    public void RefusesDeepNestingWithoutOverflowingTheStack()
    {
        object value = 1;
        for (int i = 0; i < 100_000; i++) value = new object[] { value };
        Assert.Equal(ErrorIds.InvalidValue, Expect.Failure(() => ValueEncoder.ToBytes(value, null, null)).Id());
    }

    [Fact]
    public void WritesTheSameListTwiceWhenItIsNotACycle()
    {
        byte[] inner = { 9 };
        Assert.Equal(new byte[] { 9, 9 }, ValueEncoder.ToBytes(new object[] { inner, inner }, null, null));
    }

    [Fact]
    public void RefusesNull() =>
        Assert.Equal(ErrorIds.InvalidValue, Expect.Failure(() => ValueEncoder.ToBytes(new object?[] { 1, null }, null, null)).Id());
}

public class NumberCodecTests
{
    [Theory]
    [InlineData(SharedMemoryNumberType.Int32, 4)]
    [InlineData(SharedMemoryNumberType.Double, 8)]
    [InlineData(SharedMemoryNumberType.SByte, 1)]
    public void KnowsWidths(SharedMemoryNumberType type, int width) => Assert.Equal(width, NumberCodec.Width(type));

    [Fact]
    public void RoundTripsLittleEndian()
    {
        byte[] encoded = NumberCodec.Encode(SharedMemoryNumberType.Int64, 0x0102030405060708L);
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1 }, encoded);
        Assert.Equal(0x0102030405060708L, NumberCodec.Decode(SharedMemoryNumberType.Int64, encoded));
    }
}

public class ErrorTranslationTests
{
    [Theory]
    [InlineData(2, "SharedMemoryNotFound", SharedMemoryErrorCategory.ObjectNotFound)]
    [InlineData(13, "PermissionDenied", SharedMemoryErrorCategory.PermissionDenied)]
    [InlineData(24, "TooManyOpenFiles", SharedMemoryErrorCategory.ResourceUnavailable)]
    [InlineData(28, "InsufficientSpace", SharedMemoryErrorCategory.LimitsExceeded)]
    [InlineData(14, "MemoryFault", SharedMemoryErrorCategory.ResourceUnavailable)]
    [InlineData(40, "SymbolicLinkRefused", SharedMemoryErrorCategory.SecurityError)]
    [InlineData(36, "InvalidPath", SharedMemoryErrorCategory.InvalidArgument)]
    [InlineData(9999, "NativeError", SharedMemoryErrorCategory.NotSpecified)]
    public void TranslatesEachErrnoOnce(int errno, string id, SharedMemoryErrorCategory category)
    {
        var e = (ISharedMemoryError)ErrorHelper.Translate(new Native.NativeException("open", errno), "/x");
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(category, e.Category);
        Assert.Contains("'/x'", ((Exception)e).Message);
    }

    [Fact]
    public void TellsTheFileSystemsMaximumFromTheFileSizeLimit()
    {
        // EFBIG is RLIMIT_FSIZE only where a limit is set; without one it is the file system's maximum file size.
        string expected = Native.Libc.GetFileSizeLimit() == ulong.MaxValue ? ErrorIds.FileTooLarge : ErrorIds.FileSizeLimitExceeded;
        var e = (ISharedMemoryError)ErrorHelper.Translate(new Native.NativeException("ftruncate", 27), "/x");
        Assert.Equal(expected, e.ErrorId);
        Assert.Equal(SharedMemoryErrorCategory.LimitsExceeded, e.Category);
    }

    [Fact]
    public void TranslatesTheRuntimesIOExceptionsByTheirErrno() =>
        Assert.Equal(ErrorIds.InsufficientSpace, SharedMemoryErrors.IdOf(ErrorHelper.Translate(new IOException("No space left on device", 28), null)));

    [Fact]
    public void LetsFlowControlThrough()
    {
        Assert.Throws<PipelineStoppedException>(() => ErrorRecords.Translate(new PipelineStoppedException(), null));
        Assert.Throws<OperationCanceledException>(() => ErrorHelper.Translate(new OperationCanceledException(), null));
    }

    [Fact]
    public void NamesEveryErrorIdOnce()
    {
        var ids = System.Linq.Enumerable.ToList(System.Linq.Enumerable.Select(
            typeof(ErrorIds).GetFields(), f => (string)f.GetValue(null)!));
        Assert.Equal(ids.Count, new System.Collections.Generic.HashSet<string>(ids).Count);
        foreach (var f in typeof(ErrorIds).GetFields()) Assert.Equal(f.Name, f.GetValue(null));
    }
}

public class ErrorCategoryTests
{
    /// <summary>The module maps the core's category onto PowerShell's by value: every name must mean the same number.</summary>
    [Fact]
    public void MatchesPowerShellsErrorCategoryByNameAndValue()
    {
        foreach (SharedMemoryErrorCategory category in Enum.GetValues<SharedMemoryErrorCategory>())
        {
            Assert.Equal(category.ToString(), ((ErrorCategory)(int)category).ToString());
        }
        Assert.Equal(Enum.GetValues<ErrorCategory>().Length, Enum.GetValues<SharedMemoryErrorCategory>().Length);
    }

    /// <summary>Without a host, a failure is the .NET family exception itself, carrying its id.</summary>
    [Fact]
    public void IsTheFamilyExceptionOutsidePowerShell()
    {
        Exception e = ErrorHelper.Translate(new Native.NativeException("open", 2), "/x");
        var io = Assert.IsType<SharedMemoryIOException>(e);
        Assert.Equal(ErrorIds.SharedMemoryNotFound, io.ErrorId);
        Assert.Equal(SharedMemoryErrorCategory.ObjectNotFound, io.Category);
        Assert.Equal("/x", io.Target);
    }
}

/// <summary>A ShmPS failure: outside PowerShell, the .NET family exception that carries the id.</summary>
internal static class Expect
{
    public static Exception Failure(Action action)
    {
        Exception e = Assert.ThrowsAny<Exception>(action);
        Assert.IsAssignableFrom<ISharedMemoryError>(e);
        return e;
    }

    public static Exception Failure(Func<object?> function) => Failure(() => { function(); });

    public static string? Id(this Exception e) => SharedMemoryErrors.IdOf(e);
}
