using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>setns(2): how a thread of ShmPS enters another process's IPC namespace.</summary>
internal static partial class Libc
{
    public const int CLONE_NEWIPC = 0x08000000;

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    private static partial int setns(SafeFdHandle fd, int nstype);

    /// <summary>
    /// Moves the calling thread (only it: an IPC namespace is per thread) into the namespace that
    /// <paramref name="fd"/> (/proc/PID/ns/ipc) names. Needs CAP_SYS_ADMIN; the thread must not be used
    /// for anything else afterwards.
    /// </summary>
    public static void SetNs(SafeFdHandle fd, int type) => Check(setns(fd, type), "setns");
}
