using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// A cross-process lock held on a shared memory object, from Lock-SharedMemory. Release it with
/// Unlock-SharedMemory or Dispose(); the kernel releases it if the holding process dies.
/// </summary>
public sealed class SharedMemoryLock : IDisposable
{
    // Locks held per runspace: re-locking an object within one session is refused instead of
    // deadlocking on itself; other runspaces of the process wait like other processes.
    private static readonly ConcurrentDictionary<(Guid Runspace, string Identity), SharedMemoryLock> s_held = new();

    private readonly LockHandle _handle;
    private readonly Guid _runspace;
    private int _released;

    private SharedMemoryLock(SharedMemory shm, LockHandle handle, bool shared, Guid runspace)
    {
        SharedMemory = shm;
        _handle = handle;
        IsShared = shared;
        _runspace = runspace;
        AcquiredAt = DateTime.Now;
    }

    /// <summary>The locked object.</summary>
    public SharedMemory SharedMemory { get; }

    public SharedMemoryKind Kind => SharedMemory.Kind;

    public string Name => SharedMemory.Name;

    /// <summary>True for a shared (reader) lock, false for an exclusive one.</summary>
    public bool IsShared { get; }

    public DateTime AcquiredAt { get; }

    public bool IsHeld => Volatile.Read(ref _released) == 0;

    /// <summary>The kernel mechanism, so that other programs can take the same lock.</summary>
    public string Mechanism => _handle.Mechanism;

    public override string ToString() => $"{(IsShared ? "Shared" : "Exclusive")} lock on {Name}";

    /// <summary>
    /// Waits for the lock up to <paramref name="timeout"/> (null: no limit), or until
    /// <paramref name="cancel"/> is signalled (Ctrl+C), and returns it held.
    /// </summary>
    internal static SharedMemoryLock Acquire(SharedMemory shm, bool shared, TimeSpan? timeout, Guid runspace,
        CancellationToken cancel)
    {
        LockHandle handle = shm.OpenLock(shared);
        try
        {
            if (s_held.ContainsKey((runspace, handle.Identity)))
            {
                throw new SharedMemoryException("LockAlreadyHeld", ErrorCategory.ResourceBusy,
                    $"This session already holds a lock on {shm.KindDescription} '{shm.Name}'; locks are not reentrant.",
                    shm, "Release the lock you hold (Unlock-SharedMemory) before locking again, or use the lock you have.");
            }
            WaitFor(handle, shm, timeout, cancel);
            var held = new SharedMemoryLock(shm, handle, shared, runspace);
            s_held[(runspace, handle.Identity)] = held;
            return held;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>SharedMemory.Lock(): the lock for a script's method call, in the calling runspace.</summary>
    internal static SharedMemoryLock AcquireForMethod(SharedMemory shm, bool shared, TimeSpan? timeout) =>
        Acquire(shm, shared, timeout,
            System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty,
            CancellationToken.None);

    private static void WaitFor(LockHandle handle, SharedMemory shm, TimeSpan? timeout, CancellationToken cancel)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan limit = timeout ?? TimeSpan.MaxValue;
        // Short waits first so that a free lock is taken at once and a released one soon after.
        TimeSpan slice = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            TimeSpan remaining = limit - elapsed.Elapsed;
            TimeSpan wait = remaining < slice ? (remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero) : slice;
            if (handle.TryAcquire(handle.WaitsInKernel ? wait : TimeSpan.Zero))
            {
                return;
            }
            if (!handle.WaitsInKernel && wait > TimeSpan.Zero)
            {
                cancel.WaitHandle.WaitOne(wait);
            }
            cancel.ThrowIfCancellationRequested();
            if (elapsed.Elapsed >= limit)
            {
                throw new SharedMemoryException("LockTimeout", ErrorCategory.OperationTimeout,
                    $"Timed out after {timeout} waiting for the lock on {shm.KindDescription} '{shm.Name}'; nothing is held.",
                    shm, "Try again later, give a longer -Timeout, or find the holder (for POSIX and File objects: fuser or lsof on the file).");
            }
            if (slice < TimeSpan.FromMilliseconds(50))
            {
                slice *= 2;
            }
        }
    }

    /// <summary>The lock this session holds on an object, if any.</summary>
    internal static SharedMemoryLock? FindHeld(SharedMemory shm, Guid runspace)
    {
        foreach (var entry in s_held)
        {
            if (entry.Key.Runspace == runspace && SameObject(entry.Value.SharedMemory, shm))
            {
                return entry.Value;
            }
        }
        return null;
    }

    private static bool SameObject(SharedMemory a, SharedMemory b) =>
        a.Kind == b.Kind && (a is SystemVSharedMemory sa && b is SystemVSharedMemory sb ? sa.Id == sb.Id : a.Name == b.Name);

    /// <summary>Releases the lock; releasing twice does nothing.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        s_held.TryRemove((_runspace, _handle.Identity), out _);
        try
        {
            _handle.Release();
        }
        finally
        {
            _handle.Dispose();
        }
    }

    public void Dispose() => Release();
}
