using System;
using System.Threading;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The kernel object behind one lock: flock(2) on the object's file (POSIX, File) or a System V
/// semaphore set with SEM_UNDO (System V). Both are released by the kernel when the holder dies.
/// </summary>
internal abstract class LockHandle : IDisposable
{
    /// <summary>Identifies the locked object in this process's registry of held locks.</summary>
    public abstract string Identity { get; }

    /// <summary>How other programs take the same lock, shown on the lock object.</summary>
    public abstract string Mechanism { get; }

    /// <summary>What the last unsuccessful TryAcquire waited for, if more than a holder: for the timeout message.</summary>
    public virtual string? Waiting => null;

    /// <summary>
    /// Tries to take the lock, waiting at most <paramref name="wait"/> (a short slice: the caller checks
    /// for timeouts and Ctrl+C between slices). Returns false if the lock is still taken.
    /// </summary>
    public abstract bool TryAcquire(TimeSpan wait);

    public abstract void Release();

    public abstract void Dispose();
}

/// <summary>flock(2) on a descriptor of its own: compatible with flock(1) and any C program calling flock.</summary>
internal sealed class FlockHandle : LockHandle
{
    private readonly SafeFdHandle _fd;
    private readonly bool _shared;

    public FlockHandle(SafeFdHandle fd, bool shared, string path)
    {
        _fd = fd;
        _shared = shared;
        Statx st = Libc.FStatx(fd);
        Identity = $"file:{st.DevMajor}:{st.DevMinor}:{st.Inode}";
        Mechanism = $"flock(2) {(shared ? "LOCK_SH" : "LOCK_EX")} on {path}";
    }

    public override string Identity { get; }

    public override string Mechanism { get; }

    // flock(2) has no timeout: try without blocking, then sleep the slice.
    public override bool TryAcquire(TimeSpan wait)
    {
        if (Libc.Flock(_fd, (_shared ? Libc.LOCK_SH : Libc.LOCK_EX) | Libc.LOCK_NB))
        {
            return true;
        }
        if (wait > TimeSpan.Zero)
        {
            Thread.Sleep(wait);
        }
        return false;
    }

    public override void Release() => Libc.Flock(_fd, Libc.LOCK_UN);

    // Closing the descriptor also releases the lock (it belongs to this open file description).
    public override void Dispose() => _fd.Dispose();
}
