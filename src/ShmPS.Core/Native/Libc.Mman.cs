using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>Memory mappings: mmap, munmap, mincore, madvise, mprotect, mlock (TLPI chapters 49 and 50).</summary>
internal static unsafe partial class Libc
{
    public const int PROT_NONE = 0x0;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x1;

    public const int MADV_NORMAL = 0;
    public const int MADV_RANDOM = 1;
    public const int MADV_SEQUENTIAL = 2;
    public const int MADV_WILLNEED = 3;
    public const int MADV_DONTNEED = 4;
    public const int MADV_REMOVE = 9;
    public const int MADV_POPULATE_READ = 22;
    public const int MADV_POPULATE_WRITE = 23;

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, SafeFdHandle fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    /// <summary>
    /// A shared mapping of <paramref name="length"/> bytes of a file from <paramref name="start"/> (a multiple
    /// of the page size); mmap fails with MAP_FAILED ((void*)-1), not NULL.
    /// </summary>
    public static SafeMappingHandle MapShared(SafeFdHandle fd, long start, long length, bool writable, bool forOneCommand = false)
    {
        nint address = mmap(0, (nuint)length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, start);
        int errno = Marshal.GetLastPInvokeError();
        if (address == -1)
        {
            throw new NativeException("mmap", errno);
        }
        return new SafeMappingHandle(address, start, length, writable) { ForOneCommand = forOneCommand };
    }

    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);

    [LibraryImport(Lib, EntryPoint = "mlock", SetLastError = true)]
    private static partial int mlock(nint address, nuint length);

    [LibraryImport(Lib, EntryPoint = "munlock", SetLastError = true)]
    private static partial int munlock(nint address, nuint length);

    /// <summary>mprotect of whole pages (<paramref name="address"/> page-aligned).</summary>
    public static void Protect(nint address, nuint length, int protection) => Check(mprotect(address, length, protection), "mprotect");

    /// <summary>mlock: the pages are faulted in and stay in RAM until munlock or munmap (RLIMIT_MEMLOCK bounds it without CAP_IPC_LOCK).</summary>
    public static void Lock(nint address, nuint length) => Check(mlock(address, length), "mlock");

    public static void Unlock(nint address, nuint length) => Check(munlock(address, length), "munlock");

    /// <summary>madvise of whole pages, its result checked (Populate and PopulateBuffer are hints and do not check).</summary>
    public static void Advise(nint address, nuint length, int advice, string function = "madvise") =>
        Check(madvise((byte*)address, length, advice), function);

    /// <summary>madvise that may be unknown to the kernel (MADV_POPULATE_*, Linux 5.14): false on EINVAL, so the caller can do it another way.</summary>
    public static bool TryAdvise(nint address, nuint length, int advice)
    {
        if (madvise((byte*)address, length, advice) == 0)
        {
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.EINVAL ? false : throw new NativeException("madvise", errno);
    }

    public static bool Unmap(nint address, nuint length) => munmap(address, length) == 0;

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    private static partial int madvise(byte* address, nuint length, int advice);

    /// <summary>
    /// Faults in the pages of a range of a shared mapping in one call (madvise MADV_POPULATE_READ, Linux
    /// 5.14+), for reads and writes alike: a read fault of a shared tmpfs or System V mapping maps the
    /// page writable, and on a POSIX object's mapping it maps 16 pages at a time (fault-around), where
    /// MADV_POPULATE_WRITE takes one fault per page (about 1.7× slower for 256 MiB; System V attachments
    /// have no fault-around, so there both take one fault per page). Only a hint: EINVAL (an older kernel) changes
    /// nothing, and a page the kernel cannot give (past a shrunk end: EFAULT, where a touch would raise
    /// SIGBUS; a full tmpfs) is left for the guarded copy to meet. <paramref name="address"/> need not be
    /// page-aligned.
    /// </summary>
    public static void Populate(byte* address, nuint length)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        nuint skew = (nuint)address % page;
        madvise(address - skew, length + skew, MADV_POPULATE_READ);
    }

    /// <summary>
    /// Gives the whole pages within a new buffer of this process their memory in one call (madvise
    /// MADV_POPULATE_WRITE, Linux 5.14+), before a large copy fills it: a fault per page during the copy
    /// costs about a third more, and a copy into pages already there can use non-temporal stores. Only
    /// a hint, as Populate; pages that are there already stay as they are.
    /// </summary>
    public static void PopulateBuffer(byte* address, nuint length)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        nuint start = ((nuint)address + page - 1) / page * page;
        nuint end = ((nuint)address + length) / page * page;
        if (end > start)
        {
            madvise((byte*)start, end - start, MADV_POPULATE_WRITE);
        }
    }

    [LibraryImport(Lib, EntryPoint = "mincore", SetLastError = true)]
    private static partial int mincore(nint address, nuint length, byte* vector);

    /// <summary>
    /// The pages of the first <paramref name="length"/> bytes of a file that are in memory (page cache or
    /// tmpfs), as fincore counts them: mincore(2) over a read-only shared mapping, a window at a time.
    /// The mapping is never touched, so nothing is read in, and a file shrunk meanwhile cannot fault
    /// (mincore reports pages past the end as absent). Only the file's data is looked at (SEEK_DATA and
    /// SEEK_HOLE), so a sparse file of a petabyte costs what its data costs; holes hold no page of the
    /// file (tmpfs maps the zero page for them), and where the file system cannot say, all is data.
    /// </summary>
    public static long ResidentPages(SafeFdHandle fd, long length)
    {
        long pageSize = Environment.SystemPageSize;
        long resident = 0;
        long counted = 0; // pages before this offset are counted already
        for (long offset = 0; offset < length;)
        {
            long data = lseek(fd, offset, SEEK_DATA);
            if (data == -1)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.ENXIO)
                {
                    break; // no data past offset: the rest is a hole, or the file was shrunk meanwhile
                }
                if (errno != Errno.EINVAL)
                {
                    throw new NativeException("lseek", errno);
                }
                data = offset; // no SEEK_DATA here: take the rest as data
            }
            long hole = lseek(fd, data, SEEK_HOLE); // -1: no SEEK_HOLE here, or shrunk meanwhile
            if (hole == -1 || hole > length)
            {
                hole = length;
            }
            long start = Math.Max(data / pageSize * pageSize, counted);
            long end = Math.Min((hole + pageSize - 1) / pageSize * pageSize, (length + pageSize - 1) / pageSize * pageSize);
            if (end > start)
            {
                resident += ResidentPagesIn(fd, start, end - start);
                counted = end;
            }
            offset = Math.Max(hole, data + 1);
        }
        return resident;
    }

    /// <summary>mincore over [start, start + length), page-aligned, a window at a time.</summary>
    private static long ResidentPagesIn(SafeFdHandle fd, long start, long length)
    {
        const int WindowPages = 16384; // per mapping: the vector mincore fills stays at 16 KiB whatever the file's size
        long pageSize = Environment.SystemPageSize;
        long window = WindowPages * pageSize;
        byte* vector = stackalloc byte[WindowPages];
        long resident = 0;
        for (long offset = start; offset < start + length; offset += window)
        {
            nuint span = (nuint)Math.Min(window, start + length - offset);
            nint address = mmap(0, span, PROT_READ, MAP_SHARED, fd, offset);
            int errno = Marshal.GetLastPInvokeError();
            if (address == -1)
            {
                throw new NativeException("mmap", errno);
            }
            try
            {
                Check(mincore(address, span, vector), "mincore");
                long pages = ((long)span + pageSize - 1) / pageSize;
                for (long i = 0; i < pages; i++)
                {
                    resident += vector[i] & 1; // the other bits are reserved
                }
            }
            finally
            {
                munmap(address, span);
            }
        }
        return resident;
    }
}
