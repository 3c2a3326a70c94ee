using System.IO;
using System.Linq;
using Xunit;

namespace ShmPS.Tests;

public class ProcMapsParserTests
{
    [Fact]
    public void ReadsAPosixObjectMappingByDeviceAndInode()
    {
        Assert.True(ProcParsers.TryParseMapsLine(
            "7f1c2a600000-7f1c2a602000 rw-s 00001000 00:1a 123456                     /dev/shm/data (deleted)", out MapsEntry e));
        Assert.Equal(new FileKey(0, 0x1a, 123456), e.File);
        Assert.True(e.Shared);
        Assert.False(e.IsSystemV);
        Assert.Equal(0x2000, e.Length);
        Assert.Equal(0x3000, e.FileEnd);
    }

    [Fact]
    public void ReadsASystemVAttachmentWhoseInodeIsTheShmid()
    {
        Assert.True(ProcParsers.TryParseMapsLine(
            "7f00d0000000-7f00d0010000 rw-s 00000000 00:01 32769                      /SYSV0000abcd (deleted)", out MapsEntry e));
        Assert.True(e.IsSystemV);
        Assert.Equal(32769UL, e.File.Inode);
        Assert.Equal(0x10000, e.Length);
    }

    [Fact]
    public void TakesASysvNamedLineOnAnotherDeviceForTheDeletedFileItIs()
    {
        // Anyone can map a deleted file named /SYSV0000abcd whose inode equals a segment's id: only the
        // kernel's shm mount (here 00:01) holds segments.
        const string fake = "7f00d0000000-7f00d0010000 rw-s 00000000 fe:01 32769                      /SYSV0000abcd (deleted)";
        Assert.True(ProcParsers.TryParseMapsLine(fake, out MapsEntry e, (0u, 1u)));
        Assert.False(e.IsSystemV);
        Assert.Equal(new FileKey(0xfe, 1, 32769), e.File);
        Assert.True(ProcParsers.TryParseMapsLine(fake.Replace("fe:01", "00:01"), out MapsEntry real, (0u, 1u)));
        Assert.True(real.IsSystemV);
    }

    [Fact]
    public void ReadsSystemVSegmentZeroThoughItsInodeIsZero()
    {
        Assert.True(ProcParsers.TryParseMapsLine(
            "7f0dbb9c8000-7f0dbb9c9000 rw-s 00000000 00:01 0                          /SYSV00000000 (deleted)", out MapsEntry e));
        Assert.True(e.IsSystemV);
        Assert.Equal(0UL, e.File.Inode);
    }

    [Fact]
    public void ReadsHexDeviceNumbersAndPathsWithSpaces()
    {
        Assert.True(ProcParsers.TryParseMapsLine("55d0a0000000-55d0a0001000 r--p 00000000 fe:01 99 /tmp/a b", out MapsEntry e));
        Assert.Equal(new FileKey(0xfe, 1, 99), e.File);
        Assert.False(e.Shared);
        Assert.False(e.IsSystemV);
    }

    [Theory]
    [InlineData("7ffd1f21f000-7ffd1f240000 rw-p 00000000 00:00 0                          [stack]")]
    [InlineData("7f1c2a600000-7f1c2a602000 rw-p 00000000 00:00 0 ")]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("zz-7f rw-s 0 00:01 5 /x")]
    [InlineData("1000-2000 rw-s 0 0001 5 /x")]
    public void SkipsAnonymousMappingsAndWhatDoesNotParse(string line) =>
        Assert.False(ProcParsers.TryParseMapsLine(line, out _));

    [Fact]
    public void ParsesAWholeFileSkippingAnonymousLines()
    {
        string maps = "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
            + "00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
            + "7f00d0000000-7f00d0001000 r--s 00000000 00:01 7 /SYSV00000000 (deleted)\n";
        var entries = ProcParsers.ParseMaps(new StringReader(maps)).ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(new FileKey(8, 2, 173521), entries[0].File);
        Assert.True(entries[1].IsSystemV);
    }
}

public class ProcLocksParserTests
{
    [Fact]
    public void ReadsHoldersWithHexDevicesAndDecimalInodes()
    {
        string locks = "1: FLOCK  ADVISORY  WRITE 24506 fe:00:11657418 0 EOF\n"
            + "2: POSIX  ADVISORY  READ 300 00:1a:77 0 99\n"
            + "2: -> FLOCK  ADVISORY  WRITE 301 fe:00:11657418 0 EOF\n"
            + "3: OFDLCK ADVISORY  WRITE -1 00:1a:78 0 EOF\n"
            + "4: broken line\n";
        var entries = ProcParsers.ParseLocks(new StringReader(locks)).ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(new LockEntry(24506, new FileKey(0xfe, 0, 11657418), true), entries[0]);
        Assert.Equal(new LockEntry(300, new FileKey(0, 0x1a, 77), false), entries[1]);
    }

    [Theory]
    [InlineData("123", true)]
    [InlineData("self", false)]
    [InlineData("0", false)]
    [InlineData("-5", false)]
    [InlineData("12a", false)]
    public void KnowsProcessDirectories(string name, bool expected) => Assert.Equal(expected, ProcParsers.TryParsePid(name, out _));
}

public class NamelessRegionParserTests
{
    [Theory]
    [InlineData("7f9b8797d000-7f9b87981000 rw-s 00000000 00:01 168931                     /dev/zero (deleted)", "/dev/zero (deleted)", true, false)]
    [InlineData("7f9b8868d000-7f9b8868f000 rw-s 00000000 00:01 168930                     /memfd:lbl (deleted)", "/memfd:lbl (deleted)", true, true)]
    [InlineData("7f9b8868d000-7f9b8868f000 rw-s 00000000 00:0f 1808194                    /anon_hugepage (deleted)", "/anon_hugepage (deleted)", true, false)]
    [InlineData("7f9b8868d000-7f9b8868f000 r--s 00000000 fe:01 27028                      /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", false, false)]
    [InlineData("7f9b8868d000-7f9b8868f000 rw-s 00000000 fe:01 27028                      /tmp/memfd:x (deleted)", "/tmp/memfd:x (deleted)", true, false)]
    public void ReadsThePathOfARegionAndWhetherItHasAName(string line, string path, bool nameless, bool memfd)
    {
        Assert.True(ProcParsers.TryParseMapsLine(line, out MapsEntry e, out System.ReadOnlySpan<char> parsed));
        Assert.True(e.Shared);
        Assert.Equal(path, parsed.ToString());
        Assert.Equal(nameless, ProcParsers.IsNameless(parsed));
        Assert.Equal(memfd, ProcParsers.IsMemfd(parsed));
    }

    [Fact]
    public void GivesNoPathForAPrivateAnonymousMapping()
    {
        Assert.False(ProcParsers.TryParseMapsLine("7ffd1c5e0000-7ffd1c601000 rw-p 00000000 00:00 0                          [stack]", out _, out System.ReadOnlySpan<char> path));
        Assert.True(path.IsEmpty);
    }

    [Fact]
    public void ANameEndingLikeARemovedFileIsNamelessOnlyWithTheSuffixExactly()
    {
        Assert.False(ProcParsers.IsNameless("/data/x(deleted)"));
        Assert.False(ProcParsers.IsMemfd("/memfd:x"));
    }
}
