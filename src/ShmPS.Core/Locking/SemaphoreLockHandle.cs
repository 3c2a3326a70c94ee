using System;
using System.Threading;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The System V lock: the binary semaphore that programs sharing a segment conventionally use
/// (TLPI 47.9, sysv_ipc): semaphore 0 of the set with the segment's key, 1 = free, 0 = taken; take is
/// semop(-1, SEM_UNDO), release semop(+1, SEM_UNDO), so the kernel gives it back if the holder dies.
/// <para>
/// Shared locks exist only in ShmPS's own two-semaphore sets. Readers hold semaphore 0 together, so
/// that a program using the convention sees it taken; semaphore 1 is 1 + the number of readers while
/// they do, 0 otherwise. The first reader takes semaphore 0 and sets semaphore 1 to 2, later readers
/// add 1 (with SEM_UNDO), and the last one out sets semaphore 1 to 0 and gives semaphore 0 back.
/// A semaphore 1 of exactly 1 is a group whose last reader died (SEM_UNDO took its count back, but
/// the kernel cannot give back a semaphore 0 taken on behalf of several processes): the next ShmPS
/// locker repairs it. On a one-semaphore set of another program a shared lock is the exclusive one.
/// </para>
/// Every change is one atomic semop whose guards (wait-for-zero, take-and-give-back) make it fail,
/// rather than apply, when the set is not in the state it expects.
/// </summary>
internal sealed class SemaphoreLockHandle : LockHandle
{
    private const ushort Gate = 0;     // semaphore 0: the binary semaphore of the convention
    private const ushort Readers = 1;  // semaphore 1 of ShmPS's own sets: 0, or 1 + live readers
    private const short Undo = Libc.SEM_UNDO;
    private const short NoWait = Libc.IPC_NOWAIT;

    private static readonly Libc.SemBuf[] s_exclusive = { new(Gate, -1, Undo), new(Gate, 0, 0) };
    private static readonly Libc.SemBuf[] s_exclusiveRelease = { new(Gate, 0, NoWait), new(Gate, 1, Undo | NoWait) };
    // Semaphore 0 is not 0 any more (another program reset it): cancel this process's adjustment only.
    private static readonly Libc.SemBuf[] s_dropExclusiveUndo = { new(Gate, 1, Undo | NoWait), new(Gate, -1, NoWait) };
    private static readonly Libc.SemBuf[] s_firstReader =
    {
        new(Readers, 0, 0), new(Gate, -1, 0), new(Gate, 0, 0), new(Readers, 1, 0), new(Readers, 1, Undo),
    };
    private static readonly Libc.SemBuf[] s_joinReaders =
    {
        new(Gate, 0, NoWait), new(Readers, -1, NoWait), new(Readers, 1, NoWait), new(Readers, 1, Undo | NoWait),
    };
    private static readonly Libc.SemBuf[] s_leaveReaders =
    {
        new(Readers, -3, NoWait), new(Readers, 3, NoWait), new(Readers, -1, Undo | NoWait),
    };
    private static readonly Libc.SemBuf[] s_lastReader =
    {
        new(Readers, -1, Undo | NoWait), new(Readers, -1, NoWait), new(Readers, 0, NoWait), new(Gate, 0, NoWait), new(Gate, 1, NoWait),
    };
    private static readonly Libc.SemBuf[] s_repairAbandoned =
    {
        new(Readers, -1, NoWait), new(Readers, 0, NoWait), new(Gate, 0, NoWait), new(Gate, 1, NoWait),
    };
    // Semaphore 1 is not where this reader left it (another program changed it): give back this reader's count.
    private static readonly Libc.SemBuf[] s_dropReader = { new(Readers, -1, Undo | NoWait) };
    private static readonly Libc.SemBuf[] s_dropReaderUndo = { new(Readers, 1, NoWait), new(Readers, -1, Undo | NoWait) };

    private readonly SystemVSharedMemory _shm;
    private readonly IpcPerm _segment;
    private readonly bool _shared;
    private SystemVSemaphoreLock.LockSet _set;
    private bool _initialised;
    private bool _heldShared;
    private string? _waiting;

    public SemaphoreLockHandle(SystemVSharedMemory shm, IpcPerm segment, bool shared)
    {
        _shm = shm;
        _segment = segment;
        _shared = shared;
        _set = SystemVSemaphoreLock.FindOrCreate(shm, segment);
        Identity = $"sysv-sem:{SystemVSharedMemory.FormatKey(segment.Key)}";
        try
        {
            Snapshot(); // refuses a set it does not recognise before anyone waits on it
        }
        catch (NativeException e)
        {
            throw SystemVSemaphoreLock.Failure(e, shm, segment.Key);
        }
    }

    public override string Identity { get; }

    public override string Mechanism
    {
        get
        {
            string set = $"System V semaphore set key {SystemVSharedMemory.FormatKey(_segment.Key)} (semid {_set.Id})";
            if (!_shared)
            {
                return $"{set}, exclusive: semaphore 0 from 1 to 0 (semop -1, SEM_UNDO)";
            }
            return _set.Count == 1
                ? $"{set}, shared taken as exclusive (the set has one semaphore): semaphore 0 from 1 to 0 (semop -1, SEM_UNDO)"
                : $"{set}, shared: readers hold semaphore 0 at 0 together and count in semaphore 1 (semop +1, SEM_UNDO)";
        }
    }

    public override string? Waiting => _waiting;

    public override bool TryAcquire(TimeSpan wait)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return TryAcquireOnce(wait);
            }
            catch (NativeException e) when (SystemVSemaphoreLock.IsGone(e) && attempt < 3)
            {
                // The set was removed (ipcrm -S) while this waited: the lock is the segment's new set.
                _set = SystemVSemaphoreLock.FindOrCreate(_shm, _segment);
                _initialised = false;
            }
            catch (NativeException e)
            {
                throw SystemVSemaphoreLock.Failure(e, _shm, _segment.Key);
            }
        }
    }

    private bool TryAcquireOnce(TimeSpan wait)
    {
        (int gate, int readers) = Snapshot();
        if (!_initialised)
        {
            // TLPI 47.5: the creator initialises with a semop, which sets sem_otime; until then, wait.
            _waiting = $"the semaphore set with key {SystemVSharedMemory.FormatKey(_segment.Key)} (semid {_set.Id}) has not been initialised by the process that created it";
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
            return false;
        }
        _waiting = null;
        if (_set.Count == 1 || !_shared)
        {
            if (_set.Count == 2 && readers == 1 && gate == 0)
            {
                Libc.SemTimedOp(_set.Id, s_repairAbandoned, TimeSpan.Zero);
            }
            _heldShared = false;
            return Libc.SemTimedOp(_set.Id, s_exclusive, wait);
        }
        _heldShared = true;
        if (readers > 0 && Libc.SemTimedOp(_set.Id, s_joinReaders, TimeSpan.Zero))
        {
            return true; // joins the readers that hold semaphore 0, abandoned or not
        }
        return Libc.SemTimedOp(_set.Id, s_firstReader, wait);
    }

    /// <summary>
    /// All values at one instant (GETALL). Throws LockConflict for a state the protocol does not know;
    /// notes whether the set has been initialised (a semop happened, or semaphore 0 was set with SETVAL).
    /// </summary>
    private (int Gate, int Readers) Snapshot()
    {
        Span<ushort> values = stackalloc ushort[2];
        Libc.SemGetAll(_set.Id, values[.._set.Count]);
        int gate = values[0];
        int readers = _set.Count == 2 ? values[1] : 0;
        if (gate > 1)
        {
            throw SystemVSemaphoreLock.Conflict(_shm, _segment.Key,
                $"its semaphore 0 is {gate}, and a binary semaphore is only ever 1 (free) or 0 (taken)");
        }
        if (readers > 0 && gate != 0)
        {
            throw SystemVSemaphoreLock.Conflict(_shm, _segment.Key,
                $"its semaphore 1 is {readers} while semaphore 0 is free; in ShmPS's sets semaphore 1 counts readers, who keep semaphore 0 at 0");
        }
        if (!_initialised)
        {
            Libc.SemStat(_set.Id, out long operationTime);
            _initialised = operationTime != 0 || gate != 0 || readers != 0;
        }
        return (gate, readers);
    }

    public override void Release()
    {
        try
        {
            if (!_heldShared)
            {
                if (!Libc.SemTimedOp(_set.Id, s_exclusiveRelease, TimeSpan.Zero))
                {
                    Libc.SemTimedOp(_set.Id, s_dropExclusiveUndo, TimeSpan.Zero);
                }
                return;
            }
            // Each attempt fails only because another reader came or went in between: retry a while.
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                if (Libc.SemTimedOp(_set.Id, s_leaveReaders, TimeSpan.Zero) || Libc.SemTimedOp(_set.Id, s_lastReader, TimeSpan.Zero))
                {
                    return;
                }
            }
            if (!Libc.SemTimedOp(_set.Id, s_dropReader, TimeSpan.Zero))
            {
                Libc.SemTimedOp(_set.Id, s_dropReaderUndo, TimeSpan.Zero);
            }
        }
        catch (NativeException e) when (SystemVSemaphoreLock.IsGone(e))
        {
            // The semaphore set was removed (ipcrm -S): the lock went with it, nothing is left to release.
        }
        catch (NativeException e)
        {
            throw SystemVSemaphoreLock.Failure(e, _shm, _segment.Key);
        }
    }

    public override void Dispose() { }
}
