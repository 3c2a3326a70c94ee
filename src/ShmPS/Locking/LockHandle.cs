using System;
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

    /// <summary>True if TryAcquire itself waits up to the time given; false if it only tries once.</summary>
    public abstract bool WaitsInKernel { get; }

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

    public override bool WaitsInKernel => false;

    public override bool TryAcquire(TimeSpan wait) =>
        Libc.Flock(_fd, (_shared ? Libc.LOCK_SH : Libc.LOCK_EX) | Libc.LOCK_NB);

    public override void Release() => Libc.Flock(_fd, Libc.LOCK_UN);

    // Closing the descriptor also releases the lock (it belongs to this open file description).
    public override void Dispose() => _fd.Dispose();
}

/// <summary>
/// A System V semaphore set with the segment's key and two semaphores, both 0 when the kernel creates
/// the set (so there is no initialization race): semaphore 0 counts exclusive holders, semaphore 1
/// shared holders. Exclusive: wait until both are 0 and add 1 to #0; shared: wait until #0 is 0 and
/// add 1 to #1 — each one atomic semop with SEM_UNDO, so the kernel undoes it if the holder dies.
/// </summary>
internal sealed class SemaphoreLockHandle : LockHandle
{
    private readonly int _semid;
    private readonly bool _shared;

    public SemaphoreLockHandle(int semid, int key, bool shared)
    {
        _semid = semid;
        _shared = shared;
        Identity = $"sysv-sem:{semid}";
        Mechanism = $"System V semaphore set key {SystemVSharedMemory.FormatKey(key)} (semid {semid}), {(shared ? "shared: semaphore 1" : "exclusive: semaphore 0")}, SEM_UNDO";
    }

    public override string Identity { get; }

    public override string Mechanism { get; }

    public override bool WaitsInKernel => true;

    public override bool TryAcquire(TimeSpan wait)
    {
        ReadOnlySpan<Libc.SemBuf> exclusive = stackalloc Libc.SemBuf[]
        {
            new(0, 0, 0), new(1, 0, 0), new(0, 1, Libc.SEM_UNDO),
        };
        ReadOnlySpan<Libc.SemBuf> shared = stackalloc Libc.SemBuf[]
        {
            new(0, 0, 0), new(1, 1, Libc.SEM_UNDO),
        };
        return Libc.SemTimedOp(_semid, _shared ? shared : exclusive, wait);
    }

    public override void Release()
    {
        ReadOnlySpan<Libc.SemBuf> release = stackalloc Libc.SemBuf[]
        {
            new((ushort)(_shared ? 1 : 0), -1, Libc.SEM_UNDO | Libc.IPC_NOWAIT),
        };
        try
        {
            Libc.SemTimedOp(_semid, release, TimeSpan.Zero);
        }
        catch (NativeException e) when (e.Errno is Errno.EINVAL or Errno.EIDRM)
        {
            // The semaphore set was removed (ipcrm -S): the lock went with it, nothing is left to release.
        }
    }

    public override void Dispose() { }
}
