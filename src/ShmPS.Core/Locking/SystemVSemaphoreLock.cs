using System;
using System.Collections.Generic;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The System V lock's semaphore set: the set with the segment's key. ShmPS uses a one-semaphore set
/// that another program made (the usual binary semaphore) as it is, and otherwise makes its own set of
/// two semaphores (see SemaphoreLockHandle), owned like the segment, and removes it with the segment.
/// Sets of any other shape, or in a state the protocol does not know, are refused and left unchanged.
/// </summary>
internal static class SystemVSemaphoreLock
{
    /// <summary>ShmPS's own sets: semaphore 0 is the binary semaphore, semaphore 1 counts readers.</summary>
    public const int OwnSetCount = 2;

    /// <summary>A semaphore set this lock can use: its id and number of semaphores (1 or 2).</summary>
    internal readonly record struct LockSet(int Id, int Count);

    public static LockHandle Open(SystemVSharedMemory shm, bool shared) =>
        new SemaphoreLockHandle(shm, SegmentAccess(shm), shared);

    /// <summary>
    /// Only a user who may use the segment may create or take its lock: IPC_STAT on the segment needs
    /// read permission. Returns the segment's ipc_perm as it is now (key, owner, group, mode).
    /// </summary>
    private static IpcPerm SegmentAccess(SystemVSharedMemory shm)
    {
        IpcPerm perm;
        try
        {
            perm = Libc.ShmStat(shm.Id).Perm;
        }
        catch (NativeException e) when (IsGone(e))
        {
            throw ErrorHelper.NotFound(shm.KindDescription, $"{shm.DisplayName} (id {shm.Id})");
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            throw ErrorHelper.LockAccessDenied(shm, e);
        }
        if (perm.Key == Libc.IPC_PRIVATE)
        {
            throw ErrorHelper.LockWithoutKey(shm, shm.Id);
        }
        return perm;
    }

    /// <summary>
    /// The set with the segment's key, created if there is none (TLPI 47.5): one creator wins IPC_EXCL,
    /// gives the set the segment's owner, group and read/write bits, then initialises semaphore 0 to 1
    /// with a semop, which makes sem_otime non-zero; whoever finds the set waits for that (SemaphoreLockHandle).
    /// </summary>
    public static LockSet FindOrCreate(SystemVSharedMemory shm, IpcPerm segment)
    {
        int key = segment.Key;
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    int existing = Libc.SemGet(key, 0, 0);
                    return new LockSet(existing, CheckShape(shm, key, existing));
                }
                catch (NativeException e) when (e.Errno == Errno.ENOENT && attempt < 100)
                {
                }
                int semid;
                try
                {
                    semid = Libc.SemGet(key, OwnSetCount, Libc.IPC_CREAT | Libc.IPC_EXCL | 0x180); // 0600 until it is the segment's
                }
                catch (NativeException e) when (e.Errno == Errno.EEXIST)
                {
                    continue; // another process created it first
                }
                try
                {
                    // Owned like the segment, so that a creator cannot keep the segment's users out. The
                    // initialising semop comes after: a creator who may only read the segment cannot make it.
                    Libc.SemSetPermission(semid, segment.Uid, segment.Gid, (ushort)(segment.Mode & 0x1B6));
                    ReadOnlySpan<Libc.SemBuf> initialise = stackalloc Libc.SemBuf[] { new(0, 1, Libc.IPC_NOWAIT) };
                    Libc.SemTimedOp(semid, initialise, TimeSpan.Zero);
                }
                catch (NativeException)
                {
                    TryRemove(semid);
                    throw;
                }
                return new LockSet(semid, OwnSetCount);
            }
        }
        catch (NativeException e)
        {
            throw Failure(e, shm, key);
        }
    }

    /// <summary>The number of semaphores (1 or 2); LockConflict for any other.</summary>
    private static int CheckShape(SystemVSharedMemory shm, int key, int semid)
    {
        int count = CountSemaphores(semid, limit: 64);
        if (count is 1 or OwnSetCount)
        {
            return count;
        }
        throw Conflict(shm, key, $"it has {(count > 64 ? "more than 64" : count.ToString())} semaphores, and ShmPS uses only a one-semaphore set (the usual binary semaphore) or its own set of {OwnSetCount}");
    }

    /// <summary>GETVAL answers EINVAL for a semaphore number beyond the set (needs read permission).</summary>
    private static int CountSemaphores(int semid, int limit)
    {
        Libc.SemGetValue(semid, 0); // the set itself answers: EINVAL below means a number beyond it
        int count = 1;
        while (count <= limit)
        {
            try
            {
                Libc.SemGetValue(semid, count);
            }
            catch (NativeException e) when (e.Errno == Errno.EINVAL)
            {
                break;
            }
            count++;
        }
        return count;
    }

    /// <summary>
    /// The processes the kernel shows holding the lock of the segment with this key: semaphore 0 taken
    /// (value 0) was taken by the last process to operate on it (GETPID, sempid); in ShmPS's own sets a
    /// group of readers shows only its first and its latest reader. None if there is no set or it may not be read.
    /// </summary>
    public static IEnumerable<int> Holders(int key)
    {
        var holders = new List<int>();
        if (key == Libc.IPC_PRIVATE)
        {
            return holders;
        }
        try
        {
            // Most segments were never locked: no set, and no exception for that in a listing's loop.
            if (!Libc.TrySemGet(key, out int semid))
            {
                return holders;
            }
            int count = CountSemaphores(semid, OwnSetCount);
            if (count > OwnSetCount || Libc.SemGetValue(semid, 0) != 0)
            {
                return holders;
            }
            holders.Add(Libc.SemGetPid(semid, 0));
            if (count == OwnSetCount && Libc.SemGetValue(semid, 1) >= 2)
            {
                holders.Add(Libc.SemGetPid(semid, 1));
            }
        }
        catch (NativeException)
        {
            // no lock made yet, removed meanwhile, or not readable by the caller
        }
        return holders;
    }

    /// <summary>Whoever may use the segment may take its lock: ShmPS's own set, if there is one, follows.</summary>
    public static void FollowSegment(int key, IpcPerm perm)
    {
        if (key == Libc.IPC_PRIVATE)
        {
            return;
        }
        try
        {
            int semid = Libc.SemGet(key, 0, 0);
            if (CountSemaphores(semid, OwnSetCount) == OwnSetCount)
            {
                Libc.SemSetPermission(semid, perm.Uid, perm.Gid, (ushort)(perm.Mode & 0x1B6));
            }
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT || IsGone(e))
        {
            // never locked, or removed meanwhile; another program's set is left as it is
        }
    }

    /// <summary>
    /// Called before a segment is removed (IPC_RMID), while its key is still known: removes the set
    /// ShmPS made for it (two semaphores, owned like the segment). Never another program's set; a
    /// missing set is fine, and no failure here stops the removal of the segment: it is returned as a
    /// warning that says which set may be left, or null.
    /// </summary>
    public static string? RemoveFor(SystemVSharedMemory shm)
    {
        if (shm.Key == Libc.IPC_PRIVATE)
        {
            return null;
        }
        int semid = -1;
        try
        {
            semid = Libc.SemGet(shm.Key, 0, 0);
            if (CountSemaphores(semid, OwnSetCount) != OwnSetCount)
            {
                return null;
            }
            uint owner;
            try
            {
                owner = Libc.ShmStat(shm.Id).Perm.Uid;
            }
            catch (NativeException)
            {
                owner = shm.OwnerId;
            }
            if (Libc.SemStat(semid, out _).Uid == owner)
            {
                Libc.SemRemove(semid);
            }
            return null;
        }
        catch (NativeException e) when (e.Errno is Errno.ENOENT || IsGone(e))
        {
            return null; // no set with the key, or removed meanwhile
        }
        catch (NativeException e)
        {
            string set = semid == -1 ? $"the semaphore set with key {SystemVSharedMemory.FormatKey(shm.Key)}" : $"the semaphore set {semid} (key {SystemVSharedMemory.FormatKey(shm.Key)})";
            return $"{shm.KindDescription} '{shm.Name}': whether {set} is its lock is unknown, and it was not removed ({e.Function} failed: {Errno.Describe(e.Errno)}); it may be left behind. ipcs -s -i {(semid == -1 ? "SEMID" : semid)} shows it, ipcrm -s removes it.";
        }
    }

    private static void TryRemove(int semid)
    {
        try
        {
            Libc.SemRemove(semid);
        }
        catch (NativeException)
        {
        }
    }

    /// <summary>EINVAL and EIDRM on a semaphore id: the set was removed.</summary>
    public static bool IsGone(NativeException e) => e.Errno is Errno.EINVAL or Errno.EIDRM;

    public static Exception Conflict(SystemVSharedMemory shm, int key, string reason) =>
        ErrorHelper.LockSetUnrecognised(shm, SystemVSharedMemory.FormatKey(key), reason);

    /// <summary>A failed call on the lock's semaphore set, described as such.</summary>
    public static Exception Failure(NativeException e, SystemVSharedMemory shm, int key) => e.Errno switch
    {
        Errno.EACCES or Errno.EPERM => ErrorHelper.LockSetRefused(shm, SystemVSharedMemory.FormatKey(key), e),
        Errno.EINVAL or Errno.EIDRM => ErrorHelper.LockSetReplaced(shm, SystemVSharedMemory.FormatKey(key), e),
        _ => ErrorHelper.FromNative(e, shm),
    };
}
