using System.Collections.Generic;

namespace ShmPS;

/// <summary>Who uses a segment: its attachments in /proc/PID/maps, and its lock's holders.</summary>
public sealed partial class SystemVSharedMemory
{
    /// <summary>
    /// Attached processes (their /SYSV mappings, inode = shmid), the lock's holders where the kernel shows
    /// them, and, while the kernel counts attachments that the inspected processes do not explain, the
    /// creator and last user if they live and could not be inspected (partial: they may be the ones attached).
    /// </summary>
    internal override List<SharedMemoryProcess> FindProcesses(ProcessIndex index)
    {
        List<SharedMemoryProcess> found = index.ForSegment(IpcNamespace, Id);
        foreach (int holder in InNamespace(() => SystemVSemaphoreLock.Holders(Key)))
        {
            if (index.IsAlive(holder))
            {
                index.EntryIn(found, holder).HoldsLock = true;
            }
        }
        if (_attachCount > found.FindAll(p => p.Attached).Count)
        {
            foreach (int pid in new[] { LastProcessId, CreatorProcessId })
            {
                if (index.IsAlive(pid) && !index.IsInspected(pid))
                {
                    index.EntryIn(found, pid);
                }
            }
        }
        return found;
    }

    internal override bool MayStillBeUsed => _attachCount > 0;

    internal override bool IsExplainedBy(ProcessIndex index) => index.ForSegment(IpcNamespace, Id).Count >= _attachCount;

    /// <summary>The IPC namespace the segment's id belongs to: the listed process's, or this process's own.</summary>
    private ulong IpcNamespace => View?.IpcNamespace ?? NamespaceView.OwnIpcNamespace;

    /// <summary>A segment is left over only once no process is attached and its creator and last user have exited.</summary>
    private protected override bool IsLeftOver(ProcessIndex index) =>
        _attachCount == 0 && !index.IsAlive(CreatorProcessId) && !index.IsAlive(LastProcessId);
}
