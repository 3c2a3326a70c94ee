using System;
using System.Runtime.InteropServices;

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

    [LibraryImport(Lib, EntryPoint = "ftok", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ftok(string pathname, int projectId);

    /// <summary>ftok: a key from a file's inode and device and the low 8 bits of a project id.</summary>
    public static int FTok(string path, int projectId)
    {
        int key = ftok(path, projectId);
        int errno = Marshal.GetLastPInvokeError();
        return key == -1 ? throw new NativeException("ftok", errno) : key;
    }

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
    public static SafeAttachmentHandle ShmAttach(int id, bool readOnly)
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
            attachment.Initialize(ShmStat(id).SegmentSize);
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
        return attachment;
    }

    private const int MADV_POPULATE_READ = 22;
    private const int MADV_POPULATE_WRITE = 23;

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    private static partial int madvise(byte* address, nuint length, int advice);

    /// <summary>madvise(MADV_POPULATE_*): a hint whose failure (EINVAL before Linux 5.14) changes nothing.</summary>
    public static void MAdvisePopulate(byte* address, nuint length, bool readOnly) =>
        madvise(address, length, readOnly ? MADV_POPULATE_READ : MADV_POPULATE_WRITE);

    public static bool ShmDetach(nint address) => shmdt(address) == 0;

    public static ShmidDs ShmStat(int id)
    {
        ShmidDs ds;
        Check(shmctl(id, IPC_STAT, &ds), "shmctl(IPC_STAT)");
        return ds;
    }

    /// <summary>IPC_SET changes uid, gid and the permission bits of mode; nothing else.</summary>
    public static void ShmSet(int id, ShmidDs ds) => Check(shmctl(id, IPC_SET, &ds), "shmctl(IPC_SET)");

    /// <summary>IPC_RMID: removed now if nothing is attached, otherwise marked and removed at the last detach.</summary>
    public static void ShmRemove(int id) => Check(shmctl(id, IPC_RMID, null), "shmctl(IPC_RMID)");
}
