using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using ShmPS.Coordination;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// Coordination without busy loops: atomic operations and futex wake-ups on words of the object, and
/// whole documents (a seqlock). All go through the word's address in a mapping this object keeps (the
/// seam every kind provides: LeaseWord), and every access is guarded, so a shrink beneath a word is an
/// error, never a signal.
/// </summary>
public abstract partial class SharedMemory
{
    #region The mapping seam

    /// <summary>
    /// The address of the <paramref name="width"/> bytes at <paramref name="offset"/> in a mapping (or
    /// attachment) that this object keeps, checked against the object's size and held until the lease is
    /// disposed: unmapping waits for it. A write lease maps writable (or fails with PermissionDenied).
    /// </summary>
    internal abstract WordLease LeaseWord(long offset, int width, bool writing);

    /// <summary>
    /// An access to a leased word faulted: throws the error that says why (OffsetOutOfRange after a
    /// shrink), or returns when it is worth one more try with a new lease (shrunk and grown again).
    /// </summary>
    private protected virtual void OnWordFault(long offset, int width) =>
        throw new NativeException("atomic operation", Errno.EFAULT);

    /// <summary>The directory whose changes (inotify) may mean this object was removed or replaced; null: poll.</summary>
    internal virtual string? WatchDirectory => null;

    /// <summary>Throws SharedMemoryNotFound if the object is gone (removed, marked for removal, or replaced); refreshes it otherwise.</summary>
    internal virtual void ThrowIfGone() => RefreshCore();

    /// <summary>A value read through the guarded copy (or system calls), also on a closed object (for cmdlets), untranslated errors.</summary>
    internal T ReadValueUnchecked<T>(long offset) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[Marshal.SizeOf<T>()];
        ReadExact(offset, buffer);
        return MemoryMarshal.Read<T>(buffer);
    }

    #endregion

    #region Atomics

    /// <summary>Adds <paramref name="delta"/> to the 32-bit integer at <paramref name="offset"/> (4-byte aligned), atomically; returns the new value.</summary>
    public int AddInt32(long offset, int delta) => (int)AtomicChecked(AtomicOp.Add32, offset, delta, 0);

    /// <summary>Adds <paramref name="delta"/> to the 64-bit integer at <paramref name="offset"/> (8-byte aligned), atomically; returns the new value.</summary>
    public long AddInt64(long offset, long delta) => AtomicChecked(AtomicOp.Add64, offset, delta, 0);

    /// <summary>Stores <paramref name="value"/> if the 32-bit integer at <paramref name="offset"/> equals <paramref name="comparand"/>; returns the value found (equal to comparand when it was stored).</summary>
    public int CompareExchangeInt32(long offset, int value, int comparand) => (int)AtomicChecked(AtomicOp.CompareExchange32, offset, value, comparand);

    /// <summary>Stores <paramref name="value"/> if the 64-bit integer at <paramref name="offset"/> equals <paramref name="comparand"/>; returns the value found.</summary>
    public long CompareExchangeInt64(long offset, long value, long comparand) => AtomicChecked(AtomicOp.CompareExchange64, offset, value, comparand);

    /// <summary>Stores <paramref name="value"/> at <paramref name="offset"/> atomically; returns the value it replaced.</summary>
    public int ExchangeInt32(long offset, int value) => (int)AtomicChecked(AtomicOp.Exchange32, offset, value, 0);

    /// <summary>Stores <paramref name="value"/> at <paramref name="offset"/> atomically; returns the value it replaced.</summary>
    public long ExchangeInt64(long offset, long value) => AtomicChecked(AtomicOp.Exchange64, offset, value, 0);

    private long AtomicChecked(AtomicOp op, long offset, long operand, long comparand)
    {
        try
        {
            ThrowIfClosed();
            return Atomic(op, offset, operand, comparand);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>One guarded atomic operation; misaligned offsets are argument errors, never a torn operation.</summary>
    internal unsafe long Atomic(AtomicOp op, long offset, long operand, long comparand)
    {
        int width = ((int)op & 1) == 1 ? 8 : 4;
        if (offset % width != 0)
        {
            throw new ArgumentException(
                $"Offset {offset} is not a multiple of {width}: atomic operations work on naturally aligned words only.", nameof(offset));
        }
        bool writing = op is not (AtomicOp.Load32 or AtomicOp.Load64);
        if (writing)
        {
            RefuseInForeignNamespace("writing");
        }
        if (!Guard.HasAtomics)
        {
            throw ErrorHelper.GuardUnavailable(this, "atomic operations");
        }
        for (int attempt = 0; ; attempt++)
        {
            using (WordLease word = LeaseWord(offset, width, writing))
            {
                if (Guard.Atomic(op, (void*)word.Address, operand, comparand, out long result) == 0)
                {
                    return result;
                }
            }
            if (attempt > 0)
            {
                throw new NativeException("atomic operation", Errno.EFAULT);
            }
            OnWordFault(offset, width);
        }
    }

    #endregion

    #region Wake-ups

    /// <summary>
    /// Wakes every process waiting on the 4-byte word that holds the byte at <paramref name="offset"/>
    /// (futex FUTEX_WAKE: Wait-SharedMemory, or a C program in FUTEX_WAIT on that word); returns how many woke.
    /// </summary>
    public int Wake(long offset)
    {
        try
        {
            ThrowIfClosed();
            return WakeCore(offset);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>FUTEX_WAKE of all waiters on the aligned word holding byte <paramref name="offset"/>.</summary>
    internal int WakeCore(long offset)
    {
        CheckRange(offset, 1, LiveSize);
        long word = offset & ~3L;
        using WordLease lease = LeaseWord(word, 4, writing: false);
        return Libc.FutexWake(lease.Address, int.MaxValue);
    }

    #endregion

    #region Documents

    /// <summary>Writes a whole document (the UTF-8 bytes of <paramref name="text"/>) at <paramref name="offset"/>; readers never see half of it (see about_ShmPS, "Documents").</summary>
    public void WriteDocument(long offset, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteDocument(offset, Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Writes a whole document of bytes at <paramref name="offset"/>.</summary>
    public void WriteDocument(long offset, byte[] document)
    {
        ArgumentNullException.ThrowIfNull(document);
        try
        {
            ThrowIfClosed();
            SharedDocument.Write(this, offset, document, CancellationToken.None);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>The whole document at <paramref name="offset"/> as text (UTF-8); empty if none was ever written.</summary>
    public string ReadDocument(long offset) => Encoding.UTF8.GetString(ReadDocumentBytes(offset));

    /// <summary>The whole document at <paramref name="offset"/> as bytes.</summary>
    public byte[] ReadDocumentBytes(long offset)
    {
        try
        {
            ThrowIfClosed();
            return SharedDocument.Read(this, offset, CancellationToken.None);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    #endregion

    #region Lock overloads

    /// <summary>Takes the exclusive lock, waiting as long as it takes (Ctrl+C ends the wait). Same as Lock-SharedMemory -InputObject $obj.</summary>
    public SharedMemoryLock Lock() => Lock(false, null, CancellationToken.None);

    /// <summary>Takes the exclusive lock, waiting at most <paramref name="timeout"/>: $obj.Lock([timespan]'0:0:5').</summary>
    public SharedMemoryLock Lock(TimeSpan timeout) => Lock(false, timeout, CancellationToken.None);

    /// <summary>Takes a shared (reader) lock, waiting as long as it takes.</summary>
    public SharedMemoryLock LockShared() => Lock(true, null, CancellationToken.None);

    /// <summary>Takes a shared (reader) lock, waiting at most <paramref name="timeout"/>.</summary>
    public SharedMemoryLock LockShared(TimeSpan timeout) => Lock(true, timeout, CancellationToken.None);

    #endregion
}

/// <summary>A word's address in a mapping kept by an object, which stays mapped until this is disposed.</summary>
internal readonly struct WordLease : IDisposable
{
    private readonly SafeHandle _mapping;

    public WordLease(SafeHandle mapping, nint address) => (_mapping, Address) = (mapping, address);

    public nint Address { get; }

    public void Dispose() => _mapping?.DangerousRelease();
}
