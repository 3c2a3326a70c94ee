using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ShmPS.Native;

/// <summary>System V shared memory: shmget, shmat, shmdt, shmctl.</summary>
internal static unsafe partial class Libc
{
    public const int IPC_PRIVATE = 0;
    public const int IPC_CREAT = 0x200;   // 01000
    public const int IPC_EXCL = 0x400;    // 02000
    public const int SHM_HUGETLB = 0x800; // 04000
    public const int SHM_RDONLY = 0x1000; // 010000

    public const int IPC_RMID = 0;
    public const int IPC_SET = 1;
    public const int IPC_STAT = 2;
    public const int IPC_INFO = 3;
    public const int SHM_INFO = 14;

    public const int SHM_DEST = 0x200;    // 01000 in shm_perm.mode: marked for removal
    public const int SHM_LOCKED = 0x400;  // 02000 in shm_perm.mode: locked in memory (SHM_LOCK)

    [LibraryImport(Lib, EntryPoint = "shmget", SetLastError = true)]
    private static partial int shmget(int key, nuint size, int shmflg);

    [LibraryImport(Lib, EntryPoint = "shmat", SetLastError = true)]
    private static partial nint shmat(int shmid, nint shmaddr, int shmflg);

    [LibraryImport(Lib, EntryPoint = "shmdt", SetLastError = true)]
    private static partial int shmdt(nint shmaddr);

    [LibraryImport(Lib, EntryPoint = "shmctl", SetLastError = true)]
    private static partial int shmctl(int shmid, int cmd, ShmidDs* buf);

    public static int ShmGet(int key, long size, int flags)
    {
        int id = shmget(key, (nuint)size, flags);
        int errno = Marshal.GetLastPInvokeError();
        return id == -1 ? throw new NativeException("shmget", errno) : id;
    }

    /// <summary>
    /// Attaches a segment and sizes the buffer from IPC_STAT of the attached segment (allowed: attaching
    /// needed read permission), so every access is bounds-checked against the real size. shmat fails
    /// with (void*)-1, not NULL.
    /// </summary>
    public static SafeAttachmentHandle ShmAttach(int id, bool readOnly, out ShmidDs attached)
    {
        nint address = shmat(id, 0, readOnly ? SHM_RDONLY : 0);
        int errno = Marshal.GetLastPInvokeError();
        if (address == -1)
        {
            throw new NativeException("shmat", errno);
        }
        var attachment = new SafeAttachmentHandle(address, readOnly);
        try
        {
            attached = ShmStat(id);
            attachment.Initialize(attached.SegmentSize);
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
        return attachment;
    }

    public static bool ShmDetach(nint address) => shmdt(address) == 0;

    /// <summary>struct iovec, 16 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport(Lib, EntryPoint = "process_vm_readv", SetLastError = true)]
    private static partial nint process_vm_readv(int pid, IoVec* local, nuint liovcnt, IoVec* remote, nuint riovcnt, nuint flags);

    [LibraryImport(Lib, EntryPoint = "process_vm_writev", SetLastError = true)]
    private static partial nint process_vm_writev(int pid, IoVec* local, nuint liovcnt, IoVec* remote, nuint riovcnt, nuint flags);

    // 0 untried, 1 works, -1 refused (seccomp, or a kernel without it): copy directly then.
    private static int s_vmCopy;

    /// <summary>
    /// Copies between this process's memory and an attachment through the kernel (process_vm_readv or
    /// process_vm_writev on this process), so that a page the kernel cannot provide (a huge-page
    /// segment created with SHM_NORESERVE when no huge page is free) fails the call with EFAULT
    /// instead of raising SIGBUS, which would kill PowerShell. Returns false where the kernel refuses
    /// these calls; the caller then copies directly.
    /// </summary>
    public static bool TryCopyThroughKernel(byte* destination, byte* source, nuint count, bool fromAttachment)
    {
        if (Volatile.Read(ref s_vmCopy) < 0)
        {
            return false;
        }
        nuint done = 0;
        while (done < count)
        {
            var local = new IoVec { Base = (fromAttachment ? destination : source) + done, Length = count - done };
            var remote = new IoVec { Base = (fromAttachment ? source : destination) + done, Length = count - done };
            nint n = fromAttachment
                ? process_vm_readv(Environment.ProcessId, &local, 1, &remote, 1, 0)
                : process_vm_writev(Environment.ProcessId, &local, 1, &remote, 1, 0);
            int errno = Marshal.GetLastPInvokeError();
            if (n > 0)
            {
                done += (nuint)n;
                continue;
            }
            if (n == -1 && errno is Errno.ENOSYS or Errno.EPERM && done == 0 && Volatile.Read(ref s_vmCopy) == 0)
            {
                Volatile.Write(ref s_vmCopy, -1);
                return false;
            }
            if (n == -1 && errno == Errno.EINTR)
            {
                continue;
            }
            // A partial copy stops at the first page that cannot be had; the next call reports why.
            throw new NativeException(fromAttachment ? "process_vm_readv" : "process_vm_writev", n == 0 ? Errno.EFAULT : errno);
        }
        Volatile.Write(ref s_vmCopy, 1);
        return true;
    }

    public static ShmidDs ShmStat(int id)
    {
        ShmidDs ds;
        Check(shmctl(id, IPC_STAT, &ds), "shmctl(IPC_STAT)");
        return ds;
    }

    /// <summary>shmctl(IPC_INFO): the limits of the caller's IPC namespace (shmmax, shmmin, shmmni, shmall).</summary>
    public static ShmLimitInfo ShmLimits()
    {
        ShmLimitInfo info;
        Check(shmctl(0, IPC_INFO, (ShmidDs*)&info), "shmctl(IPC_INFO)");
        return info;
    }

    /// <summary>shmctl(SHM_INFO): what the segments of the caller's IPC namespace use, as ipcs -u reports it.</summary>
    public static ShmUsageInfo ShmUsage()
    {
        ShmUsageInfo info;
        Check(shmctl(0, SHM_INFO, (ShmidDs*)&info), "shmctl(SHM_INFO)");
        return info;
    }

    /// <summary>IPC_SET changes uid, gid and the permission bits of mode; nothing else.</summary>
    public static void ShmSet(int id, ShmidDs ds) => Check(shmctl(id, IPC_SET, &ds), "shmctl(IPC_SET)");

    /// <summary>IPC_RMID: removed now if nothing is attached, otherwise marked and removed at the last detach.</summary>
    public static void ShmRemove(int id) => Check(shmctl(id, IPC_RMID, null), "shmctl(IPC_RMID)");
}
