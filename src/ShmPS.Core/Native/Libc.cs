using System;
using System.Runtime.InteropServices;
using System.Text;

namespace ShmPS.Native;

/// <summary>
/// The libc calls ShmPS makes. Raw imports are private and named as in C; the internal wrappers check
/// the return value and throw <see cref="NativeException"/> with the function name and errno.
/// errno is read on the line after the call (Marshal.GetLastPInvokeError) before anything else runs.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    // Open flags that are the same on x86_64 and aarch64 (asm-generic).
    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    // O_NOFOLLOW differs: 0400000 on x86_64, 0100000 on aarch64 (and arm).
    public static readonly int O_NOFOLLOW =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    // O_DIRECTORY differs as O_NOFOLLOW does: 0200000 on x86_64, 040000 on aarch64. O_TMPFILE is
    // __O_TMPFILE (020000000, the same on both) with O_DIRECTORY.
    public static readonly int O_DIRECTORY =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    public static readonly int O_TMPFILE = 0x400000 | O_DIRECTORY;

    public const int SEEK_END = 2;
    public const int SEEK_DATA = 3;
    public const int SEEK_HOLE = 4;

    public const int AT_SYMLINK_FOLLOW = 0x400;
    public const short POLLIN = 0x1;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_BASIC_STATS = 0x7ff;

    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int LOCK_UN = 8;

    private const int RLIMIT_FSIZE = 1;

    #region POSIX shared memory

    [LibraryImport(Lib, EntryPoint = "shm_open", SetLastError = true)]
    private static partial int shm_open(byte[] name, int oflag, uint mode);

    [LibraryImport(Lib, EntryPoint = "shm_unlink", SetLastError = true)]
    private static partial int shm_unlink(byte[] name);

    public static SafeFdHandle ShmOpen(string name, int flags, uint mode)
    {
        int fd = shm_open(CString(name, "shm_open"), flags, mode);
        int errno = Marshal.GetLastPInvokeError();
        return fd == -1 ? throw new NativeException("shm_open", errno) : new SafeFdHandle(fd);
    }

    public static void ShmUnlink(string name) => Check(shm_unlink(CString(name, "shm_unlink")), "shm_unlink");

    #endregion

    #region Files and descriptors

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    private static partial int open(byte[] path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true)]
    private static partial int unlink(byte[] path);

    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(SafeFdHandle dirfd, byte[] path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int unlinkat(SafeFdHandle dirfd, byte[] path, int flags);

    [LibraryImport(Lib, EntryPoint = "linkat", SetLastError = true)]
    private static partial int linkat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    private static partial nint read(SafeFdHandle fd, byte* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint nfds, int timeout);

    /// <summary>struct pollfd, 8 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate(SafeFdHandle fd, long length);

    // posix_fallocate returns the error number instead of setting errno.
    [LibraryImport(Lib, EntryPoint = "posix_fallocate")]
    private static partial int posix_fallocate(SafeFdHandle fd, long offset, long length);

    [LibraryImport(Lib, EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(SafeFdHandle fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(SafeFdHandle fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(SafeFdHandle fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    private static partial int fchmod(SafeFdHandle fd, uint mode);

    [LibraryImport(Lib, EntryPoint = "fchown", SetLastError = true)]
    private static partial int fchown(SafeFdHandle fd, uint owner, uint group);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(SafeFdHandle fd);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(SafeFdHandle fd, int operation);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int dirfd, byte[] path, int flags, uint mask, Statx* buf);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(SafeFdHandle fd, byte[] path, int flags, uint mask, Statx* buf);

    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int getrlimit(int resource, ulong* rlim);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint geteuid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    public static partial uint getegid();

    public static SafeFdHandle Open(string path, int flags, uint mode)
    {
        int fd = open(CString(path, "open"), flags, mode);
        int errno = Marshal.GetLastPInvokeError();
        return fd == -1 ? throw new NativeException("open", errno) : new SafeFdHandle(fd);
    }

    /// <summary>openat(2): a name relative to an open directory; the name must be one component.</summary>
    public static SafeFdHandle OpenAt(SafeFdHandle directory, string name, int flags, uint mode)
    {
        int fd = openat(directory, CString(name, "openat"), flags, mode);
        int errno = Marshal.GetLastPInvokeError();
        return fd == -1 ? throw new NativeException("openat", errno) : new SafeFdHandle(fd);
    }

    public static void Unlink(string path) => Check(unlink(CString(path, "unlink")), "unlink");

    /// <summary>unlinkat(2): removes a name in an open directory, whatever has happened to the directory's path since.</summary>
    public static void UnlinkAt(SafeFdHandle directory, string name) =>
        Check(unlinkat(directory, CString(name, "unlinkat"), 0), "unlinkat");

    /// <summary>
    /// Gives an unnamed file (O_TMPFILE) a name, failing with EEXIST if the name exists: the file
    /// appears at once complete, with its size and mode. linkat through /proc/self/fd needs no capability.
    /// </summary>
    public static void LinkDescriptor(SafeFdHandle fd, string path) =>
        Check(linkat(AT_FDCWD, CString($"/proc/self/fd/{fd.Fd}", "linkat"), AT_FDCWD, CString(path, "linkat"), AT_SYMLINK_FOLLOW), "linkat");

    public static void FTruncate(SafeFdHandle fd, long length) => Check(ftruncate(fd, length), "ftruncate");

    public static void PosixFAllocate(SafeFdHandle fd, long offset, long length)
    {
        int error = posix_fallocate(fd, offset, length);
        if (error != 0)
        {
            throw new NativeException("posix_fallocate", error);
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or end of file; returns the bytes read.</summary>
    public static int PRead(SafeFdHandle fd, Span<byte> buffer, long offset)
    {
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                nint n = pread(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                int errno = Marshal.GetLastPInvokeError();
                if (n == -1)
                {
                    if (errno == Errno.EINTR) continue;
                    throw new NativeException("pread", errno);
                }
                if (n == 0) break;
                done += (int)n;
            }
        }
        return done;
    }

    /// <summary>
    /// Waits up to <paramref name="milliseconds"/> for data (or end of input) on a descriptor opened
    /// with O_NONBLOCK, then reads what is there: the count, 0 at the end, or -1 when nothing came in
    /// time (so a caller can look for Ctrl+C and wait again; a FIFO without a writer waits here).
    /// </summary>
    public static int ReadAvailable(SafeFdHandle fd, Span<byte> buffer, int milliseconds)
    {
        var pfd = new PollFd { Fd = fd.Fd, Events = POLLIN };
        int ready = poll(&pfd, 1, milliseconds);
        int errno = Marshal.GetLastPInvokeError();
        if (ready == -1)
        {
            return errno == Errno.EINTR ? -1 : throw new NativeException("poll", errno);
        }
        if (ready == 0)
        {
            return -1;
        }
        fixed (byte* p = buffer)
        {
            nint n = read(fd, p, (nuint)buffer.Length);
            errno = Marshal.GetLastPInvokeError();
            if (n >= 0) return (int)n;
            return errno is Errno.EAGAIN or Errno.EINTR ? -1 : throw new NativeException("read", errno);
        }
    }

    /// <summary>Writes all of <paramref name="buffer"/>.</summary>
    public static void PWrite(SafeFdHandle fd, ReadOnlySpan<byte> buffer, long offset)
    {
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                nint n = pwrite(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                int errno = Marshal.GetLastPInvokeError();
                if (n == -1)
                {
                    if (errno == Errno.EINTR) continue;
                    throw new NativeException("pwrite", errno);
                }
                done += (int)n;
            }
        }
    }

    /// <summary>The current size, without a struct stat: lseek to the end.</summary>
    public static long GetSize(SafeFdHandle fd)
    {
        long size = lseek(fd, 0, SEEK_END);
        int errno = Marshal.GetLastPInvokeError();
        return size == -1 ? throw new NativeException("lseek", errno) : size;
    }

    public static void FChmod(SafeFdHandle fd, uint mode) => Check(fchmod(fd, mode), "fchmod");

    /// <summary>uint.MaxValue ((uid_t)-1) leaves that id unchanged.</summary>
    public static void FChown(SafeFdHandle fd, uint owner, uint group) => Check(fchown(fd, owner, group), "fchown");

    public static void FSync(SafeFdHandle fd) => Check(fsync(fd), "fsync");

    /// <summary>Returns false when LOCK_NB was given and the lock is held elsewhere.</summary>
    public static bool Flock(SafeFdHandle fd, int operation)
    {
        int rc = flock(fd, operation);
        int errno = Marshal.GetLastPInvokeError();
        if (rc == 0) return true;
        if (errno == Errno.EWOULDBLOCK || errno == Errno.EINTR) return false;
        throw new NativeException("flock", errno);
    }

    /// <summary>statx of a path, not following a final symlink. Returns false if it does not exist.</summary>
    public static bool TryStatx(string path, out Statx result)
    {
        Statx buf;
        int rc = statx(AT_FDCWD, CString(path, "statx"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &buf);
        int errno = Marshal.GetLastPInvokeError();
        result = buf;
        if (rc == 0) return true;
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR) return false;
        throw new NativeException("statx", errno);
    }

    /// <summary>statx of a path following symbolic links; false if nothing is there.</summary>
    public static bool TryStatxFollow(string path, out Statx result)
    {
        Statx buf;
        int rc = statx(AT_FDCWD, CString(path, "statx"), 0, STATX_BASIC_STATS, &buf);
        int errno = Marshal.GetLastPInvokeError();
        result = buf;
        if (rc == 0) return true;
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR) return false;
        throw new NativeException("statx", errno);
    }

    /// <summary>statx of a name in an open directory, not following a final symlink; false if it does not exist.</summary>
    public static bool TryStatxAt(SafeFdHandle directory, string name, out Statx result)
    {
        Statx buf;
        int rc = statx(directory, CString(name, "statx"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &buf);
        int errno = Marshal.GetLastPInvokeError();
        result = buf;
        if (rc == 0) return true;
        if (errno == Errno.ENOENT) return false;
        throw new NativeException("statx", errno);
    }

    /// <summary>statx of an open descriptor (AT_EMPTY_PATH).</summary>
    public static Statx FStatx(SafeFdHandle fd)
    {
        Statx buf;
        int rc = statx(fd, EmptyPath, AT_EMPTY_PATH, STATX_BASIC_STATS, &buf);
        int errno = Marshal.GetLastPInvokeError();
        return rc == 0 ? buf : throw new NativeException("statx", errno);
    }

    /// <summary>RLIMIT_FSIZE soft limit, or ulong.MaxValue (RLIM_INFINITY) when unlimited.</summary>
    public static ulong GetFileSizeLimit()
    {
        ulong* rlim = stackalloc ulong[2]; // struct rlimit { rlim_t cur, max; } 16 bytes
        Check(getrlimit(RLIMIT_FSIZE, rlim), "getrlimit");
        return rlim[0];
    }

    #endregion


    private static readonly byte[] EmptyPath = { 0 };

    /// <summary>
    /// A name or path as the NUL-terminated bytes libc takes: the exact bytes the string stands for
    /// (NameBytes: U+DC80–U+DCFF are the bytes of a name that is not UTF-8, never U+FFFD). C strings end
    /// at the first NUL, so a string holding one would silently name another object: refused here, under
    /// every call, whatever the layers above checked; so is a lone surrogate that stands for no byte.
    /// </summary>
    private static byte[] CString(string value, string function) =>
        value.Contains('\0') ? throw new NativeException(function, Errno.EINVAL, nulInArgument: true)
        : NameBytes.TryEncode(value, nulTerminated: true) ?? throw new ArgumentException($"{function}: {NameBytes.InvalidReason(value)}", nameof(value));

    private static void Check(int rc, string function)
    {
        if (rc == -1)
        {
            throw new NativeException(function, Marshal.GetLastPInvokeError());
        }
    }
}
