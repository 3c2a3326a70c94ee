using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>File systems: statvfs, and directories read as bytes (fdopendir, readdir).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint fdopendir(int fd);

    // The generated stub sets errno to 0 before the call: readdir's NULL is the end only while it stays 0.
    [LibraryImport(Lib, EntryPoint = "readdir", SetLastError = true)]
    private static partial byte* readdir(nint dir);

    [LibraryImport(Lib, EntryPoint = "closedir", SetLastError = true)]
    private static partial int closedir(nint dir);

    // struct dirent { ino_t d_ino; off_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[256]; }
    // on glibc and musl, x86_64 and aarch64 alike (checked by tests/native/layout.c).
    private const int DirentNameOffset = 19;

    /// <summary>
    /// The names in an open directory as their exact bytes ("." and ".." left out): .NET's directory
    /// enumeration decodes names as UTF-8 and puts U+FFFD for what is not, so two names could read as one.
    /// Reads a descriptor of its own (openat "."), so the caller's keeps its position.
    /// </summary>
    public static List<byte[]> ReadDirectory(SafeFdHandle directory)
    {
        SafeFdHandle own = OpenAt(directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        nint dir = fdopendir(own.Fd);
        int errno = Marshal.GetLastPInvokeError();
        if (dir == 0)
        {
            own.Dispose();
            throw new NativeException("fdopendir", errno);
        }
        own.SetHandleAsInvalid(); // closedir closes it
        var names = new List<byte[]>();
        try
        {
            while (true)
            {
                byte* entry = readdir(dir);
                errno = Marshal.GetLastPInvokeError();
                if (entry is null)
                {
                    return errno == 0 ? names : throw new NativeException("readdir", errno);
                }
                var name = new System.ReadOnlySpan<byte>(entry + DirentNameOffset, 256);
                name = name[..name.IndexOf((byte)0)];
                if (!(name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)))
                {
                    names.Add(name.ToArray());
                }
            }
        }
        finally
        {
            closedir(dir);
        }
    }

    [LibraryImport(Lib, EntryPoint = "statvfs", SetLastError = true)]
    private static partial int statvfs(byte[] path, Statvfs* buf);

    /// <summary>statvfs(3): the capacity of the file system that holds <paramref name="path"/>, as df reports it.</summary>
    public static Statvfs StatVfs(string path)
    {
        Statvfs buf;
        Check(statvfs(CString(path, "statvfs"), &buf), "statvfs");
        return buf;
    }
}
