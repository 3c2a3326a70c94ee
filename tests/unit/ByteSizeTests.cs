using Xunit;

namespace ShmPS.Tests;

/// <summary>
/// ByteSize shows sizes as lsipc does (util-linux size_to_human_string). The expected texts are what
/// lsipc -m printed for segments of these sizes; Get-SharedMemory.Tests.ps1 asks lsipc again on real ones.
/// </summary>
public class ByteSizeTests
{
    [Theory]
    [InlineData(0UL, "0B")]
    [InlineData(1UL, "1B")]
    [InlineData(1023UL, "1023B")]
    [InlineData(1024UL, "1K")]
    [InlineData(1075UL, "1K")]       // 1.0498K: rounds down, and a 0 decimal is dropped
    [InlineData(1076UL, "1.1K")]     // 1.0508K: rounds half up
    [InlineData(1535UL, "1.5K")]
    [InlineData(1997UL, "2K")]       // 1.95K rounds up into the next whole number
    [InlineData(3333UL, "3.3K")]
    [InlineData(1048575UL, "1024K")] // lsipc stays in K when the rounding reaches 1024
    [InlineData(1048576UL, "1M")]
    [InlineData(33554432UL, "32M")]
    [InlineData(123456789UL, "117.7M")]
    [InlineData(999999999UL, "953.7M")]
    [InlineData(1610612735UL, "1.5G")]
    [InlineData(25238167552UL, "23.5G")]
    [InlineData(1125899906842624UL, "1P")]
    [InlineData(18446744073692774399UL, "16E")] // kernel.shmmax's default, as lsipc shows SHMMAX
    [InlineData(ulong.MaxValue, "16E")]
    public void FormatsAsLsipc(ulong bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));

    [Theory]
    [InlineData(4096L, "4K")]
    [InlineData(long.MaxValue, "8E")]
    [InlineData(-1536L, "-1.5K")]
    [InlineData(long.MinValue, "-8E")]
    public void FormatsSignedSizes(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));

    [Theory]
    [InlineData(100L, "100 bytes")]
    [InlineData(1023L, "1023 bytes")]
    [InlineData(1024L, "1K (1024 bytes)")]
    [InlineData(1125899906842624L, "1P (1125899906842624 bytes)")]
    [InlineData(25238167552L, "23.5G (25238167552 bytes)")]
    public void DescribesWithTheExactCount(long bytes, string expected) => Assert.Equal(expected, ByteSize.Describe(bytes));

    [Fact]
    public void DescribesUnsignedLimits() =>
        Assert.Equal("16E (18446744073692774399 bytes)", ByteSize.Describe(18446744073692774399UL));
}
