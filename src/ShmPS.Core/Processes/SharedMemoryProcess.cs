namespace ShmPS;

/// <summary>
/// One process that uses a shared memory object: maps it (or is attached to it, System V), holds it
/// open, or holds its lock, as /proc showed it when the object's Processes were read.
/// </summary>
public sealed class SharedMemoryProcess
{
    internal SharedMemoryProcess(int processId, string processName, string userName, bool isPartial)
        => (ProcessId, ProcessName, UserName, IsPartial) = (processId, processName, userName, isPartial);

    public int ProcessId { get; }

    /// <summary>The command name (/proc/PID/comm); empty if the process has exited meanwhile.</summary>
    public string ProcessName { get; }

    /// <summary>The user the process runs as (its real uid, the owner of /proc/PID).</summary>
    public string UserName { get; }

    /// <summary>The object is mapped into the process's address space (mmap, or shmat for System V).</summary>
    public bool Mapped { get; internal set; }

    /// <summary>Bytes of the process's address space that map the object (every mapping of it added up).</summary>
    public long MappedBytes { get; internal set; }

    /// <summary>How many of the process's file descriptors refer to the object (POSIX objects and files).</summary>
    public int OpenDescriptors { get; internal set; }

    /// <summary>Attached to the System V segment (shmat): the segment's mappings in the process; false for the other kinds.</summary>
    public bool Attached { get; internal set; }

    /// <summary>Holds the object's lock: flock/fcntl locks (/proc/locks), or the System V lock's semaphore (semctl GETPID).</summary>
    public bool HoldsLock { get; internal set; }

    /// <summary>
    /// The process could not be inspected (another user's process, seen without root): only what the kernel
    /// shows everyone (a lock it holds, that it last used a System V segment) is known; it may map the object too.
    /// </summary>
    public bool IsPartial { get; }

    /// <summary>The end, in the object, of the furthest mapping (offset + length): shrinking below it takes memory the process maps.</summary>
    internal long MappedEnd { get; set; }

    public override string ToString() => $"{ProcessId} ({DisplayText.Escape(ProcessName)})";
}
