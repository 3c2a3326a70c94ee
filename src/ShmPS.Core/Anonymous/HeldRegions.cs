using System.Collections.Concurrent;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The memfds New-SharedMemory -Anonymous made, held open by this process (the session) until
/// Remove-SharedMemory closes them: a region with no name exists only while someone holds it.
/// </summary>
internal static class HeldRegions
{
    private static readonly ConcurrentDictionary<FileKey, SafeFdHandle> s_held = new();

    public static void Hold(FileKey file, SafeFdHandle fd) => s_held[file] = fd;

    public static bool IsHeld(FileKey file) => s_held.ContainsKey(file);

    /// <summary>Closes this process's descriptor of the region; false if it holds none.</summary>
    public static bool Release(FileKey file)
    {
        if (!s_held.TryRemove(file, out SafeFdHandle? fd))
        {
            return false;
        }
        fd.Dispose();
        return true;
    }
}
