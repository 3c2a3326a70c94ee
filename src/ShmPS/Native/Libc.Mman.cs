using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>Memory mappings: mmap, munmap.</summary>
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
}
