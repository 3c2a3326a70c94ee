using System;
using System.IO;

namespace ShmPS;

/// <summary>
/// Where an object was read: the machine (/etc/machine-id), its boot (/proc/sys/kernel/random/boot_id)
/// and the IPC and mount namespaces, as one string (SharedMemory.HostId) that survives ConvertTo-Json,
/// Export-Csv and remoting. A row whose HostId is not this one names an object elsewhere (another
/// computer, an earlier boot, a container): its Name would find another object here, so it is refused.
/// </summary>
internal static class HostIdentity
{
    private static readonly Lazy<string> s_machine = new(() =>
        ReadId("/etc/machine-id") ?? ReadId("/var/lib/dbus/machine-id") ?? "no-machine-id");

    private static readonly Lazy<string> s_boot = new(() => ReadId("/proc/sys/kernel/random/boot_id") ?? "no-boot-id");

    private static readonly Lazy<string> s_local = new(() =>
        Of(NamespaceView.OwnIpcNamespace, NamespaceView.TryNamespaceInode(Environment.ProcessId, "mnt") ?? 0));

    /// <summary>This process's: machine/boot/ipc:[N]/mnt:[N].</summary>
    public static string Local => s_local.Value;

    /// <summary>The HostId of objects read in the given namespaces of this machine and boot.</summary>
    public static string Of(ulong ipcNamespace, ulong mountNamespace) =>
        $"{s_machine.Value}/{s_boot.Value}/ipc:[{ipcNamespace}]/mnt:[{mountNamespace}]";

    /// <summary>Whether a row's HostId is this process's.</summary>
    public static bool IsLocal(string hostId) => string.Equals(hostId.Trim(), Local, StringComparison.OrdinalIgnoreCase);

    private static string? ReadId(string path)
    {
        try
        {
            string id = File.ReadAllText(path).Trim();
            return id.Length == 0 ? null : id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
