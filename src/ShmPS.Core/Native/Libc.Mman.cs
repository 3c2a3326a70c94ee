using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>Memory mappings: mmap, munmap, mincore.</summary>
internal static unsafe partial class Libc
{
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x1;

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, SafeFdHandle fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    /// <summary>A shared mapping of the first <paramref name="length"/> bytes of a file; mmap fails with MAP_FAILED ((void*)-1), not NULL.</summary>
    public static SafeMappingHandle MapShared(SafeFdHandle fd, long length, bool writable, bool forOneCommand = false)
    {
        nint address = mmap(0, (nuint)length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
        int errno = Marshal.GetLastPInvokeError();
        if (address == -1)
        {
            throw new NativeException("mmap", errno);
        }
        return new SafeMappingHandle(address, length, writable) { ForOneCommand = forOneCommand };
    }

    public static bool Unmap(nint address, nuint length) => munmap(address, length) == 0;

    private const int MADV_POPULATE_READ = 22;
    private const int MADV_POPULATE_WRITE = 23;

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
