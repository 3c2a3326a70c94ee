using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>
/// futex(2) on a word of a shared mapping (keyed by the page and offset, not the address, so it works
/// across processes and kinds: never FUTEX_PRIVATE_FLAG), and inotify(7) for objects that are files.
/// </summary>
internal static unsafe partial class Libc
{
    private const int FUTEX_WAIT = 0;
    private const int FUTEX_WAKE = 1;
    private const int ETIMEDOUT = 110;

    public const uint IN_ATTRIB = 0x4;
    public const uint IN_MOVED_FROM = 0x40;
    public const uint IN_MOVED_TO = 0x80;
    public const uint IN_CREATE = 0x100;
    public const uint IN_DELETE = 0x200;
    public const uint IN_DELETE_SELF = 0x400;
    public const uint IN_MOVE_SELF = 0x800;
    public const uint IN_ONLYDIR = 0x01000000;
    public const uint IN_DONT_FOLLOW = 0x02000000;

    /// <summary>The futex system call's number: no libc wrapper exists. Zero where ShmPS does not know it.</summary>
    private static readonly nint SYS_futex = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => 0,
    };

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall(nint number, nint address, nint op, nint value, nint timeout, nint address2, nint value3);

    [LibraryImport(Lib, EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int inotify_init1(int flags);

    [LibraryImport(Lib, EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static partial int inotify_add_watch(SafeFdHandle fd, byte[] path, uint mask);

    /// <summary>How a FUTEX_WAIT ended.</summary>
    public enum FutexWaitResult
    {
        /// <summary>Woken by FUTEX_WAKE (or spuriously): read the word again.</summary>
        Woken,
        /// <summary>The word did not hold the expected value when the wait began.</summary>
        ValueChanged,
        /// <summary>The time passed.</summary>
        TimedOut,
        /// <summary>A signal interrupted the wait.</summary>
        Interrupted,
        /// <summary>The word's page is not there (the object shrank beneath it): EFAULT, never a signal.</summary>
        Fault,
    }

    public static bool HasFutex => SYS_futex != 0;

    /// <summary>FUTEX_WAIT (shared): sleeps while the word at <paramref name="address"/> holds <paramref name="expected"/>, at most <paramref name="timeout"/>.</summary>
    public static FutexWaitResult FutexWait(nint address, int expected, TimeSpan timeout)
    {
        long ns = Math.Max(0, (long)(timeout.TotalMilliseconds * 1_000_000));
        var ts = new Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
        nint rc = syscall(SYS_futex, address, FUTEX_WAIT, expected, (nint)(&ts), 0, 0);
        int errno = Marshal.GetLastPInvokeError();
        if (rc == 0)
        {
            return FutexWaitResult.Woken;
        }
        return errno switch
        {
            Errno.EAGAIN => FutexWaitResult.ValueChanged,
            ETIMEDOUT => FutexWaitResult.TimedOut,
            Errno.EINTR => FutexWaitResult.Interrupted,
            Errno.EFAULT => FutexWaitResult.Fault,
            _ => throw new NativeException("futex", errno),
        };
    }

    /// <summary>FUTEX_WAKE (shared) of up to <paramref name="count"/> waiters on the word; returns how many woke. A missing page is EFAULT.</summary>
    public static int FutexWake(nint address, int count)
    {
        nint rc = syscall(SYS_futex, address, FUTEX_WAKE, count, 0, 0, 0);
        int errno = Marshal.GetLastPInvokeError();
        return rc < 0 ? throw new NativeException("futex", errno) : (int)rc;
    }

    /// <summary>An inotify instance, non-blocking and close-on-exec.</summary>
    public static SafeFdHandle InotifyInit()
    {
        int fd = inotify_init1(O_NONBLOCK | O_CLOEXEC);
        int errno = Marshal.GetLastPInvokeError();
        return fd == -1 ? throw new NativeException("inotify_init1", errno) : new SafeFdHandle(fd);
    }

    /// <summary>Watches a directory (never through a final symbolic link); false with the errno when it cannot be watched.</summary>
    public static bool TryInotifyAddWatch(SafeFdHandle fd, string directory, uint mask, out int errno)
    {
        int wd = inotify_add_watch(fd, CString(directory, "inotify_add_watch"), mask | IN_ONLYDIR | IN_DONT_FOLLOW);
        errno = Marshal.GetLastPInvokeError();
        return wd >= 0;
    }
}
