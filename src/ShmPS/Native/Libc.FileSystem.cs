using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>File systems: statvfs.</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs(string path, Statvfs* buf);

    /// <summary>statvfs(3): the capacity of the file system that holds <paramref name="path"/>, as df reports it.</summary>
    public static Statvfs StatVfs(string path)
    {
        Statvfs buf;
        Check(statvfs(CString(path, "statvfs"), &buf), "statvfs");
        return buf;
    }
}
