namespace ShmPS;

/// <summary>Objects listed from another process's namespaces (Get-SharedMemory -ProcessId).</summary>
public abstract partial class SharedMemory
{
    /// <summary>The process whose view this object was listed from; null for the caller's own objects.</summary>
    internal NamespaceView? View { get; private protected set; }

    /// <summary>
    /// The namespace the object belongs to when it is not the caller's: ipc:[N] for a System V segment
    /// of another IPC namespace, mnt:[N] for a POSIX object in another process's /dev/shm; null otherwise.
    /// </summary>
    public string? Namespace => View is null ? null : SharedMemoryBackends.For(Kind).NamespaceOf(View);

    /// <summary>
    /// Where the object was read: machine, boot, IPC and mount namespace (HostIdentity), the namespaces of
    /// the process it was listed through for an object of another namespace. A row (ConvertTo-Json,
    /// Export-Csv, remoting) whose HostId is not this process's is refused (RemoteObject).
    /// </summary>
    public string HostId => View is null ? HostIdentity.Local : HostIdentity.Of(View.IpcNamespace, View.MountNamespace);

    /// <summary>The process through which the object was listed (Get-SharedMemory -ProcessId); null for the caller's own.</summary>
    public int? NamespaceProcessId => View?.ProcessId;

    /// <summary>
    /// Refuses to change an object of another namespace: ShmPS lists, refreshes and reads there, and
    /// anything else would have to run inside it. <paramref name="operation"/> says what was refused.
    /// </summary>
    internal void RefuseInForeignNamespace(string operation)
    {
        if (View is not null)
        {
            throw ErrorHelper.ForeignNamespace(this, operation);
        }
    }
}
