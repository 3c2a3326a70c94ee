using System;
using System.Diagnostics;
using System.Threading;
using ShmPS.Native;

namespace ShmPS.Coordination;

/// <summary>When a wait ends: a moment, or never (no -Timeout).</summary>
internal readonly struct Deadline
{
    private readonly Stopwatch? _clock;

    public Deadline(TimeSpan? timeout)
    {
        Timeout = timeout;
        _clock = timeout is null ? null : Stopwatch.StartNew();
    }

    public TimeSpan? Timeout { get; }

    /// <summary>What is left (TimeSpan.MaxValue without a timeout), never negative.</summary>
    public TimeSpan Remaining => _clock is null ? TimeSpan.MaxValue : Max(TimeSpan.Zero, Timeout!.Value - _clock.Elapsed);

    public bool Passed => _clock is not null && _clock.Elapsed >= Timeout!.Value;

    /// <summary>The next sleep: at most <paramref name="slice"/>, and no longer than what is left.</summary>
    public TimeSpan Slice(TimeSpan slice) => Remaining < slice ? Remaining : slice;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>
/// Sleeps until something may have changed about the objects of a directory (inotify: a name created,
/// removed, renamed or relinked), or, where there is no directory to watch (System V keys) or it cannot
/// be watched, for a bounded backoff (10 ms growing to 250 ms). Every sleep is cut into slices of at most
/// 50 ms so that stopping the pipeline ends it at once. What it reports is only a hint: the caller looks
/// again through the usual, safe lookups.
/// </summary>
internal sealed class ChangeWatch : IDisposable
{
    private const uint Events = Libc.IN_CREATE | Libc.IN_DELETE | Libc.IN_MOVED_FROM | Libc.IN_MOVED_TO
        | Libc.IN_ATTRIB | Libc.IN_DELETE_SELF | Libc.IN_MOVE_SELF;

    internal static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(250);

    // Even with inotify, look again now and then: a directory replaced or an event queue overflowed is not missed for long.
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private readonly SafeFdHandle? _inotify;
    private TimeSpan _backoff = MinBackoff;
    private readonly byte[] _events = new byte[4096];

    private ChangeWatch(SafeFdHandle? inotify) => _inotify = inotify;

    /// <summary>Whether changes arrive through inotify (false: polling with backoff).</summary>
    public bool IsNotified => _inotify is not null;

    /// <summary>A watch on <paramref name="directory"/>, or a polling one when it is null or cannot be watched.</summary>
    public static ChangeWatch Open(string? directory)
    {
        if (directory is null)
        {
            return new ChangeWatch(null);
        }
        SafeFdHandle fd = Libc.InotifyInit();
        if (!Libc.TryInotifyAddWatch(fd, directory, Events, out _))
        {
            fd.Dispose(); // missing, not a directory, not readable, or out of watches: poll instead
            return new ChangeWatch(null);
        }
        return new ChangeWatch(fd);
    }

    /// <summary>Sleeps until a change is noticed, a while passes, the deadline passes or the token is cancelled (then throws).</summary>
    public void Wait(Deadline deadline, CancellationToken token)
    {
        if (_inotify is null)
        {
            TimeSpan sleep = deadline.Slice(_backoff);
            _backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, _backoff.Ticks * 3 / 2));
            token.WaitHandle.WaitOne(sleep);
            token.ThrowIfCancellationRequested();
            return;
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            TimeSpan slice = deadline.Slice(Slice);
            if (slice <= TimeSpan.Zero || clock.Elapsed >= Recheck)
            {
                return;
            }
            if (Libc.ReadAvailable(_inotify, _events, (int)Math.Ceiling(slice.TotalMilliseconds)) > 0)
            {
                // Drain what else is queued, then look.
                while (Libc.ReadAvailable(_inotify, _events, 0) > 0) { }
                return;
            }
        }
    }

    public void Dispose() => _inotify?.Dispose();
}

/// <summary>
/// Waits until the value at an offset satisfies a test, without spinning: the aligned 32-bit word that
/// holds the value's first byte is the futex word. Each slice (at most 50 ms) sleeps in FUTEX_WAIT on
/// that word as last read; a FUTEX_WAKE on it (Write-SharedMemory -Wake, Wake(), a C program) ends the
/// slice at once, and a writer that does not wake is seen at the next slice. Between slices the value is
/// read again through the guarded copy and the object is checked to be still there.
/// </summary>
internal static class ValueWait
{
    internal static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Reads the value (<paramref name="read"/>) until <paramref name="done"/> holds for it and returns it;
    /// WaitTimeout when the deadline passes first, OperationCanceledException when stopped.
    /// </summary>
    public static T Until<T>(SharedMemory shm, long offset, int width, Func<T> read, Func<T, bool> done,
        Deadline deadline, string what, CancellationToken token)
    {
        long size = shm.LiveSize;
        shm.CheckRange(offset, width, size); // an offset past the end is an error at once
        long word = offset & ~3L;
        bool futex = word + 4 <= size && Libc.HasFutex;
        WordLease lease = futex ? shm.LeaseWord(word, 4, writing: false) : default;
        try
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                // The futex word first, then the value: a write between the two changes the word, and
                // FUTEX_WAIT then returns at once instead of sleeping through it.
                int expected = futex ? shm.ReadValueUnchecked<int>(word) : 0;
                T value = read();
                if (done(value))
                {
                    return value;
                }
                if (deadline.Passed)
                {
                    throw ErrorHelper.WaitTimeout(shm, what, deadline.Timeout!.Value);
                }
                TimeSpan slice = deadline.Slice(Slice);
                if (futex)
                {
                    if (Libc.FutexWait(lease.Address, expected, slice) == Libc.FutexWaitResult.Fault)
                    {
                        token.WaitHandle.WaitOne(slice); // the page went away: the next read says why
                    }
                }
                else
                {
                    token.WaitHandle.WaitOne(slice);
                }
                shm.ThrowIfGone();
            }
        }
        finally
        {
            if (futex)
            {
                lease.Dispose();
            }
        }
    }
}
