using System;
using System.Management.Automation;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The System V lock: a semaphore set with the segment's key, created on first use with the
/// segment's read/write bits and left in place until the segment is removed (`ipcs -s` shows it).
/// </summary>
internal static class SystemVSemaphoreLock
{
    public static LockHandle Open(SystemVSharedMemory shm, bool shared)
    {
        if (shm.Key == Libc.IPC_PRIVATE)
        {
            throw new SharedMemoryException("LockNotSupported", ErrorCategory.InvalidOperation,
                $"{shm.KindDescription} id {shm.Id} has no key (private, or marked for removal), so no other process could find its lock.",
                shm, "Create the segment with a key (New-SharedMemory -Key) to lock it across processes.");
        }
        try
        {
            int semid = Libc.SemGet(shm.Key, 2, Libc.IPC_CREAT | ((int)shm.Mode & 0x1B6));
            return new SemaphoreLockHandle(semid, shm.Key, shared);
        }
        catch (NativeException e) when (e.Errno == Errno.EINVAL)
        {
            throw new SharedMemoryException("LockConflict", ErrorCategory.ResourceExists,
                $"A semaphore set with key {shm.Name} exists with fewer than 2 semaphores: another program uses this key for its own semaphores.",
                shm, "Use a different key for the segment, or remove that semaphore set if it is stale (ipcrm -S KEY).", e);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, shm);
        }
    }

    /// <summary>Whoever may use the segment may take its lock: its semaphore set, if it exists, follows.</summary>
    public static void FollowSegment(int key, IpcPerm perm)
    {
        if (key == Libc.IPC_PRIVATE)
        {
            return;
        }
        int semid;
        try
        {
            semid = Libc.SemGet(key, 0, 0);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            return; // never locked
        }
        Libc.SemSetPermission(semid, perm.Uid, perm.Gid, (ushort)(perm.Mode & 0x1B6));
    }

    /// <summary>Called before a segment is removed (IPC_RMID), while its key is still known.</summary>
    public static void RemoveFor(SystemVSharedMemory shm)
    {
    }
}
