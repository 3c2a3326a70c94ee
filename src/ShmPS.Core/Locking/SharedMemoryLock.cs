using System;
using System.Collections.Concurrent;
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

    public string Kind => SharedMemory.Kind.Name;

    public string Name => SharedMemory.Name;

    /// <summary>True for a shared (reader) lock, false for an exclusive one.</summary>
    public bool IsShared { get; }

    public DateTime AcquiredAt { get; }

    public bool IsHeld => Volatile.Read(ref _released) == 0;

    /// <summary>The kernel mechanism, so that other programs can take the same lock.</summary>
    public string Mechanism => _handle.Mechanism;

    public override string ToString() => $"{(IsShared ? "Shared" : "Exclusive")} lock on {DisplayText.Escape(Name)}";

    /// <summary>
    /// Waits for the lock up to <paramref name="timeout"/> (null: no limit), or until
    /// <paramref name="cancel"/> is signalled or <paramref name="stopping"/> says so (Ctrl+C), and returns
    /// it held. A stopped wait throws OperationCanceledException and holds nothing, even if the lock
    /// came free at the same moment.
    /// </summary>
    internal static SharedMemoryLock Acquire(SharedMemory shm, bool shared, TimeSpan? timeout, Guid runspace,
        CancellationToken cancel, Func<bool>? stopping = null)
    {
        LockHandle handle = shm.OpenLock(shared);
        bool acquired = false;
        try
        {
            if (s_held.ContainsKey((runspace, handle.Identity)))
            {
                throw ErrorHelper.LockAlreadyHeld(shm);
            }
            WaitFor(handle, shm, timeout, cancel, stopping);
            acquired = true;
            if (cancel.IsCancellationRequested || stopping?.Invoke() == true)
            {
                throw new OperationCanceledException(cancel);
            }
            var held = new SharedMemoryLock(shm, handle, shared, runspace);
            s_held[(runspace, handle.Identity)] = held;
            return held;
        }
        catch (Exception e)
        {
            if (acquired)
            {
                ReleaseQuietly(handle);
            }
            handle.Dispose();
            if (e is NativeException native)
            {
                throw ErrorHelper.FromNative(native, shm);
            }
            throw;
        }
    }

    /// <summary>
    /// SharedMemory.Lock(): the lock for a script's method call, in the calling runspace. There is no
    /// cancellation token, so the wait watches the pipeline that runs the call: when it is stopped
    /// (Ctrl+C, PowerShell.Stop()), the wait ends with PipelineStoppedException and takes nothing.
    /// </summary>
    internal static SharedMemoryLock AcquireForMethod(SharedMemory shm, bool shared, TimeSpan? timeout) =>
        AcquireForMethod(shm, shared, timeout, CancellationToken.None);

    /// <summary>As AcquireForMethod, and also ends (OperationCanceledException) when <paramref name="cancel"/> is signalled.</summary>
    internal static SharedMemoryLock AcquireForMethod(SharedMemory shm, bool shared, TimeSpan? timeout, CancellationToken cancel)
    {
        Func<bool>? stopping = HostHooks.StopProbe();
        try
        {
            return Acquire(shm, shared, timeout,
                HostHooks.CallerId(), cancel, stopping);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw HostHooks.Stopped();
        }
    }

    private static void WaitFor(LockHandle handle, SharedMemory shm, TimeSpan? timeout, CancellationToken cancel, Func<bool>? stopping)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan limit = timeout ?? TimeSpan.MaxValue;
        // Short waits first so that a free lock is taken at once and a released one soon after; between
        // waits (50 ms at most) a stop is noticed.
        TimeSpan slice = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (stopping?.Invoke() == true)
            {
                throw new OperationCanceledException();
            }
            TimeSpan remaining = limit - elapsed.Elapsed;
            TimeSpan wait = remaining < slice ? (remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero) : slice;
            if (handle.TryAcquire(wait))
            {
                return;
            }
            if (elapsed.Elapsed >= limit)
            {
                string why = handle.Waiting is { } waiting ? $" ({waiting})" : "";
                throw ErrorHelper.LockTimeout(shm, timeout, why);
            }
            if (slice < TimeSpan.FromMilliseconds(50))
            {
                slice *= 2;
            }
        }
    }

    private static void ReleaseQuietly(LockHandle handle)
    {
        try
        {
            handle.Release();
        }
        catch (Exception e) when (e is ISharedMemoryError or NativeException)
        {
            // the wait is failing already; that failure is the one to report
        }
    }

    /// <summary>The lock this session holds on an object, if any.</summary>
    internal static SharedMemoryLock? FindHeld(SharedMemory shm, Guid runspace)
    {
        foreach (var entry in s_held)
        {
            if (entry.Key.Runspace == runspace && entry.Value.SharedMemory.IsSameObject(shm))
            {
                return entry.Value;
            }
        }
        return null;
    }

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
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, SharedMemory);
        }
        finally
        {
            _handle.Dispose();
        }
    }

    public void Dispose() => Release();
}
