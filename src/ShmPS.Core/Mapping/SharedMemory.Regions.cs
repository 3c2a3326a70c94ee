using System;
using ShmPS.Mapping;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The mapping seam. A kind hands out regions of its object in this process's memory (ProvideRegion: a
/// window of a file mapping, or a System V attachment), and everything that works on memory is written
/// here once, against SafeRegionHandle: the guarded copy, words for atomics and futex waits, and the
/// operations of TLPI chapter 50 (Prefetch, Advise, Protect, Pin). One retry rule (RetryAfterRelease)
/// covers every use of a region that another thread may release meanwhile.
/// </summary>
public abstract partial class SharedMemory
{
    #region The kind's part

    /// <summary>
    /// No window of a file mapping is larger than this (plus the few bytes of a word that straddles a
    /// boundary): an object of a petabyte is mapped a gigabyte at a time, where it is used.
    /// </summary>
    internal const long WindowBytes = 1L << 30;

    // Below this a cmdlet copies with a system call where the kind has one (see DescriptorSharedMemory);
    // from it on, a region made for the cmdlet populates the range it copies in one call first.
    private protected const int MapFromBytes = 256 << 10;

    /// <summary>
    /// A region that holds [offset, offset + count), checked against the object's live size (OffsetOutOfRange),
    /// writable when asked (or PermissionDenied), with the session's settings (ConfigureRegion) unless it is
    /// Transient; null when count is 0. Throws ObjectDisposedException if the region it meant to give was
    /// released meanwhile (the caller retries). <paramref name="keep"/>: for a word leased for a while (a
    /// wait), which a cmdlet keeps until it is done rather than making a region for each use.
    /// </summary>
    private protected abstract SafeRegionHandle? ProvideRegion(long offset, long count, bool writing, bool keep = false);

    /// <summary>Whether a copy of <paramref name="count"/> bytes goes through a region; false: the kind's system calls (ReadCore/WriteCore).</summary>
    private protected abstract bool CopiesThroughRegion(int count);

    /// <summary>
    /// An access to [offset, offset + count) faulted: the error that says why (OffsetOutOfRange after a
    /// shrink, MemoryFault), or null where the system-call path (or one more try) should make it.
    /// </summary>
    private protected abstract Exception? RegionFault(long offset, long count, bool writing);

    /// <summary>The region the object keeps now, if any (Unpin unlocks it).</summary>
    private protected virtual SafeRegionHandle? KeptRegion => null;

    /// <summary>Forgets a measured ResidentBytes, so that the next reading asks the kernel again.</summary>
    private protected virtual void ForgetResidency() { }

    /// <summary>Gives a range its memory without faulting it in, where the kind can (Prefetch then only maps it); nothing by default.</summary>
    private protected virtual void ReserveRange(long offset, long count) { }

    #endregion

    #region Regions

    /// <summary>
    /// Runs <paramref name="use"/> on the region holding [offset, offset + count) and the address of
    /// <paramref name="offset"/> in it, holding the region until it returns; a region released by another
    /// thread meanwhile is taken again (the one retry rule). <paramref name="empty"/> when count is 0.
    /// </summary>
    private protected T OnRegion<T>(long offset, long count, bool writing, Func<SafeRegionHandle, nint, T> use, T empty, bool keep = false)
    {
        for (int attempt = 0; ; attempt++)
        {
            SafeRegionHandle? region = null;
            bool added = false;
            try
            {
                region = ProvideRegion(offset, count, writing, keep);
                if (region is null)
                {
                    return empty;
                }
                region.DangerousAddRef(ref added);
                return use(region, region.AddressOf(offset));
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
                // Released by Close(), Detach() or a cmdlet's end on another thread: take a region again.
            }
            finally
            {
                if (added) region!.DangerousRelease();
                if (region is { Transient: true }) region.Dispose();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="use"/> on each part of [offset, offset + count) that lies in one window, in order
    /// (a System V attachment is one region, split all the same: it costs nothing).
    /// </summary>
    private protected void ForEachWindow(long offset, long count, bool writing, Action<SafeRegionHandle, nint, long, long> use)
    {
        CheckRange(offset, count, writing: false);
        for (long done = 0; done < count;)
        {
            long at = offset + done;
            long part = Math.Min(count - done, WindowBytes - at % WindowBytes);
            OnRegion(at, part, writing, (region, address) =>
            {
                use(region, address, at, part);
                return true;
            }, true);
            done += part;
        }
    }

    /// <summary>Applies what this session asked of its mapping (protections, advice, pinning) to a region it just made.</summary>
    private protected void ConfigureRegion(SafeRegionHandle region)
    {
        foreach ((long start, long end, MemoryProtection protection) in _protections.Overlapping(region.Start, region.End))
        {
            (nint address, nuint length) = Pages(region, start, end - start);
            Libc.Protect(address, length, ToProt(protection));
        }
        foreach ((long start, long end, MemoryAdvice advice) in _advice.Overlapping(region.Start, region.End))
        {
            (nint address, nuint length) = Pages(region, start, end - start);
            Libc.Advise(address, length, ToMadvise(advice));
        }
        if (_pinnedMapping)
        {
            LockRegion(region);
        }
    }

    /// <summary>The whole pages of a region that hold [offset, offset + count) (madvise, mprotect and mlock take whole pages).</summary>
    private static (nint Address, nuint Length) Pages(SafeRegionHandle region, long offset, long count)
    {
        long page = Environment.SystemPageSize;
        long start = Math.Max(region.Start, offset / page * page);
        long end = Math.Min(region.Start + (region.Length + page - 1) / page * page, (offset + count + page - 1) / page * page);
        return (region.AddressOf(start), (nuint)Math.Max(0, end - start));
    }

    #endregion

    #region The guarded copy

    /// <summary>Copies through regions where the kind does (false: the caller takes the system-call path).</summary>
    private protected unsafe bool TryReadMapped(long offset, Span<byte> buffer)
    {
        fixed (byte* to = buffer)
        {
            return CopyThroughRegions(offset, buffer.Length, (nint)to, writing: false);
        }
    }

    private protected unsafe bool TryWriteMapped(long offset, ReadOnlySpan<byte> data)
    {
        fixed (byte* from = data)
        {
            return CopyThroughRegions(offset, data.Length, (nint)from, writing: true);
        }
    }

    /// <summary>
    /// One copy between a pinned buffer and the object, a window at a time, with the guard: true when done,
    /// false when the system-call path should make it (no region wanted, or a fault within the object's
    /// size: a full tmpfs, a shrink and regrow meanwhile, whose pread/pwrite errno then says which).
    /// </summary>
    private unsafe bool CopyThroughRegions(long offset, int count, nint buffer, bool writing)
    {
        if (!CopiesThroughRegion(count))
        {
            return false;
        }
        ThrowIfProtected(offset, count, writing);
        if (offset < 0 || count == 0)
        {
            OnRegion(offset, count, writing, (_, _) => true, true); // checks the range, copies nothing
            return true;
        }
        for (long done = 0; done < count;)
        {
            long at = offset + done;
            int part = (int)Math.Min(count - done, WindowBytes - at % WindowBytes);
            nint mine = buffer + (nint)done;
            int signal = OnRegion(at, part, writing, (region, address) =>
            {
                if (region.ForOneCommand && InCommand && part >= MapFromBytes)
                {
                    Libc.Populate((byte*)address, (nuint)part);
                }
                return writing
                    ? CopyGuarded((byte*)address, (byte*)mine, part, fromRegion: false)
                    : CopyGuarded((byte*)mine, (byte*)address, part, fromRegion: true);
            }, 0);
            if (signal != 0)
            {
                ThrowIfProtected(at, part, writing, alsoInCommand: true); // protected by another thread meanwhile
                // Past a shrunk end: an error. Within the size: the system-call path.
                return RegionFault(at, part, writing) is Exception failure ? throw failure : false;
            }
            done += part;
        }
        return true;
    }

    /// <summary>
    /// The one copy between memory of this process and a region: the guarded copy (a fault is its signal,
    /// returned), or, where the guard is missing, through the kernel (process_vm_readv/writev: a fault is
    /// EFAULT), or where the kernel refuses that too, directly.
    /// </summary>
    private static unsafe int CopyGuarded(byte* to, byte* from, int count, bool fromRegion)
    {
        if (Guard.IsAvailable)
        {
            return Guard.Copy(to, from, (nuint)count);
        }
        if (!Libc.TryCopyThroughKernel(to, from, (nuint)count, fromRegion))
        {
            Buffer.MemoryCopy(from, to, count, count);
        }
        return 0;
    }

    #endregion

    #region Words

    /// <summary>
    /// The address of the <paramref name="width"/> bytes at <paramref name="offset"/> in a region this object
    /// keeps, checked against the object's size and held until the lease is disposed: unmapping waits for it.
    /// A write lease maps writable (or fails with PermissionDenied).
    /// </summary>
    internal WordLease LeaseWord(long offset, int width, bool writing)
    {
        ThrowIfProtected(offset, width, writing);
        WordLease lease = OnRegion(offset, width, writing, (region, address) =>
        {
            // A second reference, kept by the lease (OnRegion gives its own back); a region made for this
            // use alone is released when the lease lets go of it.
            bool added = false;
            region.DangerousAddRef(ref added);
            return new WordLease(region, address);
        }, default, keep: true);
        return lease.IsEmpty ? throw ErrorHelper.OffsetOutOfRange(this, offset, width, LiveSize) : lease;
    }

    /// <summary>An access to a leased word faulted: throws the error that says why, or returns when one more try with a new lease is worth it.</summary>
    private protected void OnWordFault(long offset, int width, bool writing)
    {
        ThrowIfProtected(offset, width, writing, alsoInCommand: true);
        if (RegionFault(offset, width, writing) is Exception failure)
        {
            throw failure;
        }
    }

    #endregion

    #region Chapter 50: prefetch, advise, protect, pin

    // What this session asked of its mapping, applied to every region made from now on (ConfigureRegion).
    private readonly RangeMap<MemoryProtection> _protections = new();
    private readonly RangeMap<MemoryAdvice> _advice = new();
    private volatile bool _pinnedMapping;

    /// <summary>Whether this session protected part of its mapping: cmdlets then copy without it (they are not affected).</summary>
    private protected bool HasProtections => !_protections.IsEmpty;

    /// <summary>
    /// Makes [offset, offset + count) resident: its pages are given memory now (madvise MADV_POPULATE_READ,
    /// Linux 5.14; a touch of each page on older kernels), so a sparse object's range is then all in RAM
    /// (fincore, ResidentBytes) and the first access to it takes no page fault.
    /// </summary>
    public void Prefetch(long offset, long count) => Checked(() =>
    {
        ThrowIfProtected(offset, count, writing: false);
        CheckRange(offset, count, writing: false);
        ReserveRange(offset, count);
        ForEachWindow(offset, count, writing: false, (region, _, at, part) =>
        {
            (nint address, nuint length) = Pages(region, at, part);
            if (length > 0 && !Libc.TryAdvise(address, length, Libc.MADV_POPULATE_READ))
            {
                TouchPages(region, at, part);
            }
        });
        ForgetResidency();
    });

    /// <summary>Reads one byte of every page of a part of a region with the guarded copy (a kernel without MADV_POPULATE).</summary>
    private unsafe void TouchPages(SafeRegionHandle region, long offset, long count)
    {
        long page = Environment.SystemPageSize;
        byte sink;
        for (long at = offset; at < offset + count; at = (at / page + 1) * page)
        {
            if (CopyGuarded(&sink, (byte*)region.AddressOf(at), 1, fromRegion: true) != 0)
            {
                throw RegionFault(at, 1, writing: false) ?? ErrorHelper.FromNative(new NativeException("prefetch", Errno.EFAULT), this);
            }
        }
    }

    /// <summary>
    /// Tells the kernel how this session will use [offset, offset + count) of its mapping (madvise):
    /// Normal, Random and Sequential stay with the mapping (VmFlags rr, sr in /proc/PID/smaps) until changed
    /// or Close(); WillNeed reads ahead now; DontNeed drops this process's page table entries of the range
    /// (the data stays: the memory is shared). Whole pages from the one that holds offset.
    /// </summary>
    public void Advise(MemoryAdvice advice, long offset, long count) => Checked(() =>
    {
        int madvise = ToMadvise(advice);
        CheckRange(offset, count, writing: false);
        if (advice is MemoryAdvice.Normal or MemoryAdvice.Random or MemoryAdvice.Sequential)
        {
            _advice.Set(offset, offset + count, advice == MemoryAdvice.Normal ? null : advice);
        }
        ForEachWindow(offset, count, writing: false, (region, _, at, part) =>
        {
            (nint address, nuint length) = Pages(region, at, part);
            Libc.Advise(address, length, madvise);
        });
    });

    /// <summary>
    /// Sets the protection of [offset, offset + count) in this session's mapping (mprotect, whole pages from
    /// the one that holds offset): ReadOnly refuses this session's writes there, None every access, with
    /// the error ProtectedRange (never a signal); ReadWrite undoes it. Until changed or Close(); cmdlets and
    /// other processes are not affected.
    /// </summary>
    public void Protect(MemoryProtection protection, long offset, long count) => Checked(() =>
    {
        int prot = ToProt(protection);
        CheckRange(offset, count, writing: false);
        if (protection != MemoryProtection.ReadOnly && count > 0)
        {
            RefuseInForeignNamespace("writing"); // another namespace's objects are mapped read-only
        }
        long page = Environment.SystemPageSize;
        long start = offset / page * page;
        long end = (offset + count + page - 1) / page * page;
        _protections.Set(start, end, protection == MemoryProtection.ReadWrite ? null : protection);
        // ReadWrite needs a writable region; the others take whatever region there is.
        ForEachWindow(offset, count, writing: protection == MemoryProtection.ReadWrite, (region, _, at, part) =>
        {
            (nint address, nuint length) = Pages(region, at, part);
            Libc.Protect(address, length, prot);
        });
    });

    /// <summary>
    /// Keeps the object in RAM. System V: the segment is locked (shmctl SHM_LOCK) until Unpin(), by anyone,
    /// or its removal; ipcs -m shows "locked". POSIX objects and files: this session's mapping is locked
    /// (mlock; the window at offset 0, the whole object up to 1 GiB, and every window mapped later) until
    /// Unpin() or Close(); VmLck in /proc/PID/status counts it. Past RLIMIT_MEMLOCK (ulimit -l) without
    /// CAP_IPC_LOCK: MemoryLockLimitExceeded.
    /// </summary>
    public void Pin() => Checked(() =>
    {
        RefuseInForeignNamespace("pinning");
        PinCore(true);
    });

    /// <summary>Undoes Pin(): SHM_UNLOCK of a System V segment (whoever pinned it), munlock of this session's mapping for the others.</summary>
    public void Unpin() => Checked(() =>
    {
        RefuseInForeignNamespace("unpinning");
        PinCore(false);
    });

    /// <summary>Pinned in RAM: a System V segment locked with SHM_LOCK (by anyone, as of the last refresh); for the other kinds, this session's mapping (Pin()).</summary>
    public virtual bool IsPinned => _pinnedMapping && !IsClosed;

    /// <summary>mlock of this session's mapping, and of every window it maps later, for the kinds whose lock is not the object's own.</summary>
    private protected virtual void PinCore(bool pin)
    {
        if (!pin)
        {
            // munlock of the window mapped now (each window mapped while pinned was locked; the others are unmapped).
            _pinnedMapping = false;
            SafeRegionHandle? kept = KeptRegion;
            bool added = false;
            try
            {
                kept?.DangerousAddRef(ref added);
                if (added)
                {
                    (nint address, nuint length) = Pages(kept!, kept!.Start, kept.Length);
                    Libc.Unlock(address, length);
                }
            }
            catch (ObjectDisposedException)
            {
                // Unmapped meanwhile: munmap ended its lock.
            }
            finally
            {
                if (added) kept!.DangerousRelease();
            }
            return;
        }
        long size = LiveSize;
        _pinnedMapping = true;
        try
        {
            AttachCore();
            if (size > 0)
            {
                OnRegion(0, Math.Min(size, WindowBytes), writing: false, (region, _) =>
                {
                    LockRegion(region);
                    return true;
                }, true);
            }
        }
        catch
        {
            _pinnedMapping = false;
            throw;
        }
        ForgetResidency();
    }

    private void LockRegion(SafeRegionHandle region)
    {
        (nint address, nuint length) = Pages(region, region.Start, region.Length);
        try
        {
            Libc.Lock(address, length);
        }
        catch (NativeException e) when (e.Errno is Errno.ENOMEM or Errno.EPERM or Errno.EAGAIN)
        {
            // EPERM: RLIMIT_MEMLOCK is 0; ENOMEM: the range would pass it (without CAP_IPC_LOCK).
            throw ErrorHelper.MemoryLockLimitExceeded(this, (long)length, e);
        }
    }

    /// <summary>Forgets what this session asked of its mapping (Close()).</summary>
    private protected void ForgetRegionSettings()
    {
        _protections.Clear();
        _advice.Clear();
        _pinnedMapping = false;
    }

    /// <summary>
    /// A method's access to a range this session protected: ProtectedRange before any byte moves. Cmdlets
    /// do not use the session's mapping, so they are not refused (unless the fault was on it after all).
    /// </summary>
    private void ThrowIfProtected(long offset, long count, bool writing, bool alsoInCommand = false)
    {
        if ((InCommand && !alsoInCommand) || count <= 0 || offset < 0 || _protections.IsEmpty)
        {
            return;
        }
        foreach ((long start, long end, MemoryProtection protection) in _protections.Overlapping(offset, offset + count))
        {
            if (protection == MemoryProtection.None || writing)
            {
                throw ErrorHelper.ProtectedRange(this, offset, count, start, end, protection, writing);
            }
        }
    }

    private static int ToProt(MemoryProtection protection) => protection switch
    {
        MemoryProtection.None => Libc.PROT_NONE,
        MemoryProtection.ReadOnly => Libc.PROT_READ,
        MemoryProtection.ReadWrite => Libc.PROT_READ | Libc.PROT_WRITE,
        _ => throw new ArgumentOutOfRangeException(nameof(protection), protection,
            "The protection must be None, ReadOnly or ReadWrite."),
    };

    private static int ToMadvise(MemoryAdvice advice) => advice switch
    {
        MemoryAdvice.Normal => Libc.MADV_NORMAL,
        MemoryAdvice.Random => Libc.MADV_RANDOM,
        MemoryAdvice.Sequential => Libc.MADV_SEQUENTIAL,
        MemoryAdvice.WillNeed => Libc.MADV_WILLNEED,
        MemoryAdvice.DontNeed => Libc.MADV_DONTNEED,
        _ => throw new ArgumentOutOfRangeException(nameof(advice), advice,
            "The advice must be Normal, Random, Sequential, WillNeed or DontNeed."),
    };

    /// <summary>A method's body: the object must be open, and every failure leaves as a ShmPS failure with an id (ErrorHelper.Translate).</summary>
    private void Checked(Action body)
    {
        try
        {
            ThrowIfClosed();
            body();
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    #endregion

    #region Clear

    /// <summary>
    /// Zeroes [offset, offset + count) and gives its memory back to the system (POSIX objects and files:
    /// fallocate PUNCH_HOLE|KEEP_SIZE; System V: madvise MADV_REMOVE on the attachment); every process
    /// that maps the object reads zeros there, and the size stays. Partial pages at the edges are zeroed by
    /// writing. Returns false where nothing could be freed (a file system that cannot punch holes): the
    /// range was zeroed by writing.
    /// </summary>
    public bool Clear(long offset, long count)
    {
        bool freed = false;
        Checked(() => freed = ClearCore(offset, count));
        return freed;
    }

    /// <summary>Clear for cmdlets and methods alike (untranslated errors).</summary>
    internal bool ClearCore(long offset, long count)
    {
        RefuseInForeignNamespace("clearing");
        ThrowIfProtected(offset, count, writing: true);
        CheckRange(offset, count, writing: true);
        long size = LiveSize;
        long page = Environment.SystemPageSize;
        long rangeEnd = offset + count;
        long start = (offset + page - 1) / page * page;
        // The last partial page goes too when the range reaches the end: nothing of the object lies past it.
        long end = rangeEnd == size ? (rangeEnd + page - 1) / page * page : rangeEnd / page * page;
        bool freed = true;
        if (end > start)
        {
            long whole = Math.Min(end, size) - start;
            freed = ReleaseRange(start, whole);
            if (!freed)
            {
                WriteZeros(start, whole);
            }
            WriteZeros(offset, start - offset);
            WriteZeros(end, rangeEnd - end);
        }
        else
        {
            WriteZeros(offset, count); // within one page: nothing whole to give back
        }
        ForgetResidency();
        return freed;
    }

    /// <summary>Gives the memory of whole pages back (the range reads as zeros after); false where the system cannot.</summary>
    private protected abstract bool ReleaseRange(long offset, long count);

    /// <summary>MADV_REMOVE over a region: the pages go back to the system, for every process that maps them.</summary>
    private protected bool RemovePages(long offset, long count)
    {
        bool removed = true;
        ForEachWindow(offset, count, writing: true, (region, _, at, part) =>
        {
            (nint address, nuint length) = Pages(region, at, part);
            removed &= Libc.TryAdvise(address, length, Libc.MADV_REMOVE);
        });
        return removed;
    }

    private void WriteZeros(long offset, long count)
    {
        if (count <= 0)
        {
            return;
        }
        byte[] zeros = new byte[(int)Math.Min(count, 1 << 20)];
        for (long done = 0; done < count;)
        {
            int part = (int)Math.Min(zeros.Length, count - done);
            Write(offset + done, zeros.AsSpan(0, part));
            done += part;
        }
    }

    #endregion
}

/// <summary>The protections Protect() sets on a range of the session's mapping (mprotect).</summary>
public enum MemoryProtection
{
    /// <summary>PROT_NONE: no access; reads and writes there are ProtectedRange errors.</summary>
    None,

    /// <summary>PROT_READ: reads work, writes are ProtectedRange errors.</summary>
    ReadOnly,

    /// <summary>PROT_READ|PROT_WRITE: as mapped (undoes the others).</summary>
    ReadWrite,
}

/// <summary>The advice Advise() gives the kernel about a range of the session's mapping (madvise).</summary>
public enum MemoryAdvice
{
    /// <summary>MADV_NORMAL: the default read-ahead.</summary>
    Normal,

    /// <summary>MADV_RANDOM: no read-ahead (VmFlags rr).</summary>
    Random,

    /// <summary>MADV_SEQUENTIAL: aggressive read-ahead, pages dropped behind (VmFlags sr).</summary>
    Sequential,

    /// <summary>MADV_WILLNEED: read ahead now.</summary>
    WillNeed,

    /// <summary>MADV_DONTNEED: drop this process's page table entries of the range (the shared data stays).</summary>
    DontNeed,
}
