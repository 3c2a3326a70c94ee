using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>Regions without a name: memfd_create, file seals (fcntl), and the links /proc shows for them (readlink).</summary>
internal static unsafe partial class Libc
{
    // memfd_create(2) flags, the same on x86_64 and aarch64.
    public const uint MFD_CLOEXEC = 0x1;
    public const uint MFD_ALLOW_SEALING = 0x2;
    public const uint MFD_HUGETLB = 0x4;

    // fcntl(2) commands for seals (F_LINUX_SPECIFIC_BASE 1024 + 9, + 10) and the seals (linux/fcntl.h).
    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 0x1;
    public const int F_SEAL_SHRINK = 0x2;
    public const int F_SEAL_GROW = 0x4;
    public const int F_SEAL_WRITE = 0x8;
    public const int F_SEAL_FUTURE_WRITE = 0x10;

    [LibraryImport(Lib, EntryPoint = "memfd_create", SetLastError = true)]
    private static partial int memfd_create(byte[] name, uint flags);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(SafeFdHandle fd, int cmd, int arg);

    [LibraryImport(Lib, EntryPoint = "readlink", SetLastError = true)]
    private static partial nint readlink(byte[] path, byte* buf, nuint size);

    /// <summary>memfd_create(2): a file with no name in any directory, held by its descriptor (the label only shows in /proc).</summary>
    public static SafeFdHandle MemfdCreate(string label, uint flags)
    {
        int fd = memfd_create(CString(label, "memfd_create"), flags);
        int errno = Marshal.GetLastPInvokeError();
        return fd == -1 ? throw new NativeException("memfd_create", errno) : new SafeFdHandle(fd);
    }

    /// <summary>fcntl(F_GET_SEALS): the seals of a memfd (F_SEAL_*); a file that cannot be sealed says EINVAL.</summary>
    public static int GetSeals(SafeFdHandle fd)
    {
        int seals = fcntl(fd, F_GET_SEALS, 0);
        int errno = Marshal.GetLastPInvokeError();
        return seals == -1 ? throw new NativeException("fcntl", errno) : seals;
    }

    /// <summary>fcntl(F_ADD_SEALS): EPERM once F_SEAL_SEAL is set, EBUSY for F_SEAL_WRITE while a writable shared mapping exists.</summary>
    public static void AddSeals(SafeFdHandle fd, int seals) => Check(fcntl(fd, F_ADD_SEALS, seals), "fcntl");

    /// <summary>readlink(2) as the exact bytes of the target; null if there is no such link (the process or descriptor is gone).</summary>
    public static byte[]? TryReadLink(string path)
    {
        byte* buf = stackalloc byte[4096];
        nint n = readlink(CString(path, "readlink"), buf, 4096);
        int errno = Marshal.GetLastPInvokeError();
        if (n >= 0)
        {
            return new ReadOnlySpan<byte>(buf, (int)n).ToArray();
        }
        return errno is Errno.ENOENT or Errno.ESRCH or Errno.ENOTDIR ? null : throw new NativeException("readlink", errno);
    }
}
