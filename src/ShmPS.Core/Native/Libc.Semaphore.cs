using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>System V semaphores, used for the System V lock: semget, semtimedop, semctl.</summary>
internal static unsafe partial class Libc
{
    public const short SEM_UNDO = 0x1000;
    public const short IPC_NOWAIT = 0x800;

    /// <summary>
    /// semctl commands and the one struct semid_ds offset ShmPS reads. They live apart from the constants
    /// that tests/Native.Tests.ps1 checks and are checked the same way, against the C headers, by
    /// tests/LockNative.Tests.ps1 (tests/native/locklayout.c).
    /// </summary>
    public static class Sem
    {
        public const int GETPID = 11;
        public const int GETVAL = 12;
        public const int GETALL = 13;

        /// <summary>offsetof(struct semid_ds, sem_otime): right after the 48-byte struct ipc_perm on x86_64 and aarch64.</summary>
        public const int OperationTimeOffset = 48;

        /// <summary>A buffer for struct semid_ds, which is 104 bytes on x86_64 and 88 on aarch64.</summary>
        public const int SemidDsBufferSize = 256;
    }

    /// <summary>struct sembuf, 6 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SemBuf
    {
        public ushort Number;    // sem_num
        public short Operation;  // sem_op: >0 add, <0 take, 0 wait for zero
        public short Flags;      // sem_flg

        public SemBuf(ushort number, short operation, short flags) => (Number, Operation, Flags) = (number, operation, flags);
    }

    /// <summary>struct timespec, 16 bytes on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Lib, EntryPoint = "semget", SetLastError = true)]
    private static partial int semget(int key, int nsems, int semflg);

    [LibraryImport(Lib, EntryPoint = "semtimedop", SetLastError = true)]
    private static partial int semtimedop(int semid, SemBuf* sops, nuint nsops, Timespec* timeout);

    // semctl is variadic; its fourth argument (union semun) is passed as the pointer it holds.
    [LibraryImport(Lib, EntryPoint = "semctl", SetLastError = true)]
    private static partial int semctl(int semid, int semnum, int cmd, byte* buf);

    /// <summary>
    /// Gives a semaphore set the owner, group and permission bits of <paramref name="perm"/> (IPC_SET
    /// reads only those from the struct semid_ds, whose first member is its struct ipc_perm).
    /// </summary>
    public static void SemSetPermission(int semid, uint uid, uint gid, ushort mode)
    {
        byte* ds = stackalloc byte[Sem.SemidDsBufferSize];
        Check(semctl(semid, 0, IPC_STAT, ds), "semctl(IPC_STAT)");
        IpcPerm* perm = (IpcPerm*)ds;
        perm->Uid = uid;
        perm->Gid = gid;
        perm->Mode = mode;
        Check(semctl(semid, 0, IPC_SET, ds), "semctl(IPC_SET)");
    }

    /// <summary>IPC_STAT (needs read permission): the set's ipc_perm and sem_otime (0 until the first semop).</summary>
    public static IpcPerm SemStat(int semid, out long operationTime)
    {
        byte* ds = stackalloc byte[Sem.SemidDsBufferSize];
        Check(semctl(semid, 0, IPC_STAT, ds), "semctl(IPC_STAT)");
        operationTime = *(long*)(ds + Sem.OperationTimeOffset);
        return *(IpcPerm*)ds;
    }

    /// <summary>GETVAL of one semaphore; EINVAL if the set has no semaphore <paramref name="number"/> (or is gone).</summary>
    public static int SemGetValue(int semid, int number)
    {
        int value = semctl(semid, number, Sem.GETVAL, null);
        int errno = Marshal.GetLastPInvokeError();
        return value == -1 ? throw new NativeException("semctl(GETVAL)", errno) : value;
    }

    /// <summary>GETPID: the process that last operated on one semaphore (sempid).</summary>
    public static int SemGetPid(int semid, int number)
    {
        int pid = semctl(semid, number, Sem.GETPID, null);
        int errno = Marshal.GetLastPInvokeError();
        return pid == -1 ? throw new NativeException("semctl(GETPID)", errno) : pid;
    }

    /// <summary>GETALL: every value of the set at one instant. <paramref name="values"/> must hold the whole set.</summary>
    public static void SemGetAll(int semid, Span<ushort> values)
    {
        fixed (ushort* array = values)
        {
            Check(semctl(semid, 0, Sem.GETALL, (byte*)array), "semctl(GETALL)");
        }
    }

    public static void SemRemove(int semid) => Check(semctl(semid, 0, IPC_RMID, null), "semctl(IPC_RMID)");

    /// <summary>The existing set with this key; false if there is none (ENOENT), without an exception.</summary>
    public static bool TrySemGet(int key, out int semid)
    {
        semid = semget(key, 0, 0);
        int errno = Marshal.GetLastPInvokeError();
        return semid != -1 || (errno == Errno.ENOENT ? false : throw new NativeException("semget", errno));
    }

    public static int SemGet(int key, int count, int flags)
    {
        int id = semget(key, count, flags);
        int errno = Marshal.GetLastPInvokeError();
        return id == -1 ? throw new NativeException("semget", errno) : id;
    }

    /// <summary>
    /// Performs all <paramref name="operations"/> atomically, waiting at most <paramref name="wait"/>.
    /// Returns false if they could not be done in that time (EAGAIN) or a signal interrupted the wait.
    /// </summary>
    public static bool SemTimedOp(int semid, ReadOnlySpan<SemBuf> operations, TimeSpan wait)
    {
        var timeout = new Timespec { Seconds = wait.Ticks / TimeSpan.TicksPerSecond, Nanoseconds = wait.Ticks % TimeSpan.TicksPerSecond * 100 };
        fixed (SemBuf* ops = operations)
        {
            int rc = semtimedop(semid, ops, (nuint)operations.Length, &timeout);
            int errno = Marshal.GetLastPInvokeError();
            if (rc == 0) return true;
            if (errno is Errno.EAGAIN or Errno.EINTR) return false;
            throw new NativeException("semtimedop", errno);
        }
    }
}
