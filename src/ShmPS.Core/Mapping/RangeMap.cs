using System;
using System.Collections.Generic;

namespace ShmPS.Mapping;

/// <summary>
/// Disjoint ranges of an object's bytes, each with a value (a protection, an advice), the later setting
/// winning where ranges meet: what a session asked of its mapping, kept so that every window mapped later
/// gets it too. Pure logic.
/// </summary>
internal sealed class RangeMap<T> where T : struct
{
    private readonly List<(long Start, long End, T Value)> _ranges = new();
    private readonly object _sync = new();

    public bool IsEmpty
    {
        get
        {
            lock (_sync)
            {
                return _ranges.Count == 0;
            }
        }
    }

    /// <summary>Sets [start, end) to <paramref name="value"/>, or clears it (null: the default again).</summary>
    public void Set(long start, long end, T? value)
    {
        if (end <= start)
        {
            return;
        }
        lock (_sync)
        {
            var kept = new List<(long, long, T)>(_ranges.Count + 2);
            foreach ((long s, long e, T v) in _ranges)
            {
                if (e <= start || s >= end)
                {
                    kept.Add((s, e, v));
                    continue;
                }
                if (s < start)
                {
                    kept.Add((s, start, v));
                }
                if (e > end)
                {
                    kept.Add((end, e, v));
                }
            }
            if (value is T set)
            {
                kept.Add((start, end, set));
            }
            kept.Sort((a, b) => a.Item1.CompareTo(b.Item1));
            _ranges.Clear();
            _ranges.AddRange(kept);
        }
    }

    /// <summary>The parts of [start, end) that have a value, clipped to it, in order.</summary>
    public List<(long Start, long End, T Value)> Overlapping(long start, long end)
    {
        var found = new List<(long, long, T)>();
        lock (_sync)
        {
            foreach ((long s, long e, T v) in _ranges)
            {
                if (e > start && s < end)
                {
                    found.Add((Math.Max(s, start), Math.Min(e, end), v));
                }
            }
        }
        return found;
    }

    public void Clear()
    {
        lock (_sync)
        {
            _ranges.Clear();
        }
    }
}
