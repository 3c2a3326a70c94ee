using System;
using System.Collections.Generic;
using System.Threading;

namespace ShmPS;

/// <summary>
/// One scan of /proc, made when first needed and shared by every object of one listing, so that a
/// listing costs one pass over the processes however many objects it shows.
/// </summary>
internal sealed class ProcessSnapshot
{
    private ProcessIndex? _index;

    public ProcessIndex Index => LazyInitializer.EnsureInitialized(ref _index, () => ProcessIndex.Scan());

    public DateTime Taken { get; } = DateTime.UtcNow;
}

public abstract partial class SharedMemory
{
    private ProcessSnapshot? _snapshot;
    private SharedMemoryProcessList? _processes;

    /// <summary>
    /// The processes that map it (System V: are attached to it), hold it open or hold its lock, from /proc,
    /// read on first access (Get-SharedMemory -IncludeProcess reads them for a whole listing at once) and
    /// kept until Refresh(). This process counts too while its methods keep the object mapped.
    /// </summary>
    public SharedMemoryProcessList Processes => _processes ??= new(FindProcesses((_snapshot ??= new ProcessSnapshot()).Index));

    /// <summary>Reads Processes from a scan shared with other objects (a listing).</summary>
    internal void UseSnapshot(ProcessSnapshot snapshot)
    {
        _snapshot = snapshot;
        _processes = null;
    }

    /// <summary>Processes are read again on next access (after Refresh).</summary>
    private protected void ForgetProcesses()
    {
        _snapshot = null;
        _processes = null;
    }

    internal abstract List<SharedMemoryProcess> FindProcesses(ProcessIndex index);

    /// <summary>No process maps it, holds it open, is attached to it or locks it (and, System V, its creator and last user have exited).</summary>
    internal bool IsOrphaned(ProcessIndex index) => FindProcesses(index).Count == 0 && IsLeftOver(index);

    /// <summary>What else a kind requires of an object nobody uses to call it left over.</summary>
    private protected virtual bool IsLeftOver(ProcessIndex index) => true;

    /// <summary>Other processes (not this one) that map the object beyond <paramref name="size"/> bytes, from a scan made now.</summary>
    internal List<SharedMemoryProcess> OthersMappingBeyond(long size)
    {
        var found = new List<SharedMemoryProcess>();
        foreach (SharedMemoryProcess p in FindProcesses(ScanForThis()))
        {
            if (p.ProcessId != Environment.ProcessId && p.Mapped && Math.Min(p.MappedEnd, Size) > size)
            {
                found.Add(p);
            }
        }
        return found;
    }

    /// <summary>Other processes that still map, are attached to or hold open the object, from <paramref name="index"/>.</summary>
    internal List<SharedMemoryProcess> OthersUsing(ProcessIndex index) =>
        FindProcesses(index).FindAll(p => p.ProcessId != Environment.ProcessId && (p.Mapped || p.OpenDescriptors > 0));

    /// <summary>After removal, whether another process may still hold it (System V: only while attached).</summary>
    internal virtual bool MayStillBeUsed => true;

    /// <summary>Whether a scan accounts for all the kernel says about the object's users (System V: its attachments).</summary>
    internal virtual bool IsExplainedBy(ProcessIndex index) => true;

    /// <summary>A scan of /proc for this object alone.</summary>
    private protected virtual ProcessIndex ScanForThis() => ProcessIndex.Scan();

    /// <summary>"1234 (python3), 5678 (sleep)".</summary>
    internal static string Describe(IEnumerable<SharedMemoryProcess> processes) => string.Join(", ", processes);
}
