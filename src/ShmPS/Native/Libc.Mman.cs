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
    public static SafeMappingHandle MapShared(SafeFdHandle fd, long length, bool writable)
    {
        nint address = mmap(0, (nuint)length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
        int errno = Marshal.GetLastPInvokeError();
        if (address == -1)
        {
            throw new NativeException("mmap", errno);
        }
        return new SafeMappingHandle(address, length, writable);
    }

    public static bool Unmap(nint address, nuint length) => munmap(address, length) == 0;

    [LibraryImport(Lib, EntryPoint = "mincore", SetLastError = true)]
    private static partial int mincore(nint address, nuint length, byte* vector);

    /// <summary>
    /// The pages of the first <paramref name="length"/> bytes of a file that are in memory (page cache or
    /// tmpfs), as fincore counts them: mincore(2) over a read-only shared mapping, a window at a time.
    /// The mapping is never touched, so nothing is read in, and a file shrunk meanwhile cannot fault
    /// (mincore reports pages past the end as absent).
    /// </summary>
    public static long ResidentPages(SafeFdHandle fd, long length)
    {
        const int WindowPages = 16384; // per mapping: the vector mincore fills stays at 16 KiB whatever the file's size
        long pageSize = Environment.SystemPageSize;
        long window = WindowPages * pageSize;
        byte* vector = stackalloc byte[WindowPages];
        long resident = 0;
        for (long offset = 0; offset < length; offset += window)
        {
            nuint span = (nuint)Math.Min(window, length - offset);
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
