using System.Linq;
using ShmPS.Mapping;
using Xunit;

namespace ShmPS.Tests;

/// <summary>RangeMap keeps what a session asked of its mapping: disjoint ranges, the later setting winning.</summary>
public class RangeMapTests
{
    private static string Show(RangeMap<MemoryProtection> map, long start = 0, long end = 1000) =>
        string.Join(" ", map.Overlapping(start, end).Select(r => $"{r.Start}-{r.End}:{r.Value}"));

    [Fact]
    public void LaterSettingWinsWhereRangesMeet()
    {
        var map = new RangeMap<MemoryProtection>();
        map.Set(0, 100, MemoryProtection.ReadOnly);
        map.Set(50, 150, MemoryProtection.None);
        Assert.Equal("0-50:ReadOnly 50-150:None", Show(map));
    }

    [Fact]
    public void ClearingTheMiddleSplitsARange()
    {
        var map = new RangeMap<MemoryProtection>();
        map.Set(0, 300, MemoryProtection.None);
        map.Set(100, 200, null);
        Assert.Equal("0-100:None 200-300:None", Show(map));
        map.Set(0, 300, null);
        Assert.True(map.IsEmpty);
    }

    [Fact]
    public void OverlappingClipsToTheQuestion()
    {
        var map = new RangeMap<MemoryProtection>();
        map.Set(10, 20, MemoryProtection.ReadOnly);
        map.Set(30, 40, MemoryProtection.None);
        Assert.Equal("15-20:ReadOnly", Show(map, 15, 25));
        Assert.Equal("", Show(map, 20, 30));
        Assert.Equal("35-38:None", Show(map, 35, 38));
    }

    [Fact]
    public void EmptyRangesChangeNothing()
    {
        var map = new RangeMap<MemoryProtection>();
        map.Set(5, 5, MemoryProtection.None);
        map.Set(9, 3, MemoryProtection.None);
        Assert.True(map.IsEmpty);
    }
}
