using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>
/// The fault-guarded copy of libshmps_guard.so (src/native/shmps_guard.c), shipped as
/// runtimes/&lt;rid&gt;/native/ in the module: a memcpy whose SIGBUS or SIGSEGV inside the copied ranges
/// (a mapping whose object another process shrank) comes back as the signal number instead of killing
/// the process; every other fault goes on to the runtime's handler as before. Loaded once, on first use;
/// a missing or broken library leaves <see cref="IsAvailable"/> false and the reason in <see cref="Status"/>,
/// and callers copy without a mapping instead (pread/pwrite). Nothing here throws while loading.
/// </summary>
/// <example>
/// <code>
/// fixed (byte* buffer = array)
/// {
///     int signal = Guard.Copy(buffer + index, mapping + offset, (nuint)count);
///     if (signal != 0) { /* the object shrank under the mapping: report it, do not retry */ }
/// }
/// </code>
/// </example>
internal static unsafe partial class Guard
{
    public const string LibraryName = "libshmps_guard.so";

    // SuppressGCTransition holds off a GC suspension for the length of one call: only copies up to this
    // size are made that way. Larger ones are one call with a GC transition (the callers pin their
    // buffers, so a collection may run meanwhile): one memcpy of the whole range lets the C library use
    // non-temporal stores for it, about a quarter less CPU for 256 MiB than 1 MiB at a time.
    private const nuint ChunkSize = 1024 * 1024;

    // int shmps_guarded_copy(void *dst, const void *src, size_t n); short and never blocks, so no GC transition.
    private static readonly delegate* unmanaged[SuppressGCTransition]<void*, void*, nuint, int> s_copy;

    // The same function, called with a GC transition, for copies larger than ChunkSize.
    private static readonly delegate* unmanaged<void*, void*, nuint, int> s_copyLarge;

    /// <summary>The loaded library (for its other exports, see Guard.Atomics.cs), or zero.</summary>
    private static IntPtr s_library;

    /// <summary>True when the library loaded and its handlers are installed.</summary>
    public static bool IsAvailable => s_copy != null;

    /// <summary>The copy path in use, e.g. "guarded copy (libshmps_guard.so, linux-x64)", or why the guard is not available.</summary>
    public static string Status { get; }

    static Guard()
    {
        try
        {
            Status = Load(out s_copy);
            s_copyLarge = (delegate* unmanaged<void*, void*, nuint, int>)s_copy;
        }
        catch (Exception e)
        {
            s_copy = null;
            s_copyLarge = null;
            Status = $"no guarded copy: {e.Message}";
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> bytes from <paramref name="source"/> to <paramref name="destination"/>,
    /// one of them usually a managed buffer pinned with <c>fixed</c> and the other an address in a mapping.
    /// Returns 0, or the signal (7 SIGBUS, 11 SIGSEGV) that hit either range; the destination may then be
    /// partly written. A managed buffer must be pinned (fixed), not merely reachable: during a copy of more
    /// than 1 MiB a collection may run. Throws <see cref="InvalidOperationException"/> when <see cref="IsAvailable"/> is false.
    /// </summary>
    public static int Copy(void* destination, void* source, nuint count)
    {
        var copy = s_copy;
        if (copy == null)
        {
            throw new InvalidOperationException(Status);
        }
        return count > ChunkSize ? s_copyLarge(destination, source, count) : copy(destination, source, count);
    }

    private static string Load(out delegate* unmanaged[SuppressGCTransition]<void*, void*, nuint, int> copy)
    {
        copy = null;
        // The system-call path on request: for a comparison, or where a signal handler must not be installed.
        if (Environment.GetEnvironmentVariable("SHMPS_DATA_PATH") is "syscall")
        {
            return "no guarded copy: SHMPS_DATA_PATH=syscall asks for the system-call path";
        }
        string? rid = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "linux-x64",
            Architecture.Arm64 => "linux-arm64",
            _ => null,
        };
        if (rid == null)
        {
            return $"no guarded copy: ShmPS has no {LibraryName} for {RuntimeInformation.ProcessArchitecture}";
        }
        // The module base holds bin/ShmPS.dll and runtimes/<rid>/native/.
        string? bin = Path.GetDirectoryName(typeof(Guard).Assembly.Location);
        string? moduleBase = bin == null ? null : Path.GetDirectoryName(bin);
        if (string.IsNullOrEmpty(moduleBase))
        {
            return $"no guarded copy: the module's folder is unknown (ShmPS.dll was not loaded from a file)";
        }
        string path = Path.Combine(moduleBase, "runtimes", rid, "native", LibraryName);
        if (!File.Exists(path))
        {
            return $"no guarded copy: {path} is missing";
        }

        // NativeLibrary.TryLoad discards dlerror's text; Load puts it in the exception, as its last line.
        IntPtr handle;
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            string reason = e.Message.Trim().Split('\n')[^1].Trim();
            return $"no guarded copy: loading {path} failed: {reason}";
        }
        // The library is never unloaded: once init ran, the process's signal handlers point into it.
        if (!NativeLibrary.TryGetExport(handle, "shmps_guard_init", out IntPtr init)
            || !NativeLibrary.TryGetExport(handle, "shmps_guarded_copy", out IntPtr guardedCopy))
        {
            return $"no guarded copy: {path} lacks shmps_guard_init or shmps_guarded_copy";
        }
        // int shmps_guard_init(void): installs the SIGBUS/SIGSEGV handlers once; 0 or an errno.
        int error = ((delegate* unmanaged<int>)init)();
        if (error != 0)
        {
            return $"no guarded copy: shmps_guard_init failed: {Marshal.GetPInvokeErrorMessage(error)} ({error})";
        }
        copy = (delegate* unmanaged[SuppressGCTransition]<void*, void*, nuint, int>)guardedCopy;
        s_library = handle;
        return $"guarded copy ({LibraryName}, {rid})";
    }
}
