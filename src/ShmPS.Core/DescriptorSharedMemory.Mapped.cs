using System;
using ShmPS.Native;

namespace ShmPS;

/// <summary>The regions of the kinds that are files: windows of a shared mapping (the mapping seam, SharedMemory.Regions.cs).</summary>
public abstract partial class DescriptorSharedMemory
{
    #region Regions

    // With the guarded copy (Native.Guard), data moves through a MAP_SHARED mapping that the object keeps
    // until Close(): memory speed, and a page that another process truncated away comes back from the
    // copy as SIGBUS, which becomes OffsetOutOfRange, never a dead PowerShell. The mapping is a window
    // of at most WindowBytes (1 GiB) around what is used, so an object of any size (a sparse petabyte)
    // can be used by methods; an object up to 1 GiB is one window, mapped whole.
    // A cmdlet maps only for large transfers and unmaps when done; it populates the range it copies in
    // one call first (Libc.Populate), since faulting the pages in one at a time doubles the time of a
    // one-shot write. Below MapFromBytes a cmdlet uses pread/pwrite: cheaper than mapping, populating and
    // unmapping for one copy (for 64 KiB: 6 µs pwrite against 19 µs, 26 µs pread against 38 µs, on tmpfs).
    // From about 512 KiB on, pread is the slower (a 1 MiB read: 460 µs against 180 µs); pwrite stays up
    // to 1.25× faster than the populated mapping up to 16 MiB and even at 256 MiB, but past a shrunk end
    // pwrite would grow the object again, where a mapping cannot: large writes take the mapping for that.
    // A session that protected part of its mapping (Protect) leaves cmdlets to pread/pwrite: they are not
    // affected by it.
    private protected override bool CopiesThroughRegion(int count) =>
        Guard.IsAvailable && (!InCommand || ((count >= MapFromBytes || _map is not null) && !HasProtections));

    /// <summary>
    /// The kept window if it covers the range (no system call), else a new window around it of the object's
    /// live size (it may have grown), or OffsetOutOfRange with that size. Null when the range is empty.
    /// A write never grows the object (a mapping cannot).
    /// </summary>
    private protected override SafeRegionHandle? ProvideRegion(long offset, long count, bool writing, bool keep = false)
    {
        SafeMappingHandle? map = _map;
        if (map is not null && map.Covers(offset, count) && (!writing || map.IsWritable))
        {
            return count == 0 ? null : map;
        }
        lock (_sync)
        {
            SafeFdHandle fd = Descriptor(writing);
            long size = Libc.GetSize(fd);
            CheckRange(offset, count, size);
            if (count == 0 || size == 0)
            {
                return null;
            }
            long start = offset / WindowBytes * WindowBytes;
            long end = Math.Min(size, Math.Max(start + WindowBytes, offset + count));
            map = MapWindow(fd, start, end - start);
            _map?.Dispose();
            _map = map;
            return map;
        }
    }

    /// <summary>Maps a window (writable if the descriptor is) with what the session asked of its mapping.</summary>
    private SafeMappingHandle MapWindow(SafeFdHandle fd, long start, long length)
    {
        SafeMappingHandle map = Libc.MapShared(fd, start, length, writable: _writable, forOneCommand: InCommand);
        try
        {
            ConfigureRegion(map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
        return map;
    }

    /// <summary>
    /// A fault during a copy: the object shrank under the mapping (OffsetOutOfRange), or null when the
    /// range is within the size (a page of a sparse object the full file system could not supply, or a
    /// shrink and regrow meanwhile): the caller then makes the copy with pread/pwrite, whose errno says
    /// which (ENOSPC is InsufficientSpace), and tmpfs reads a hole as zeros without allocating.
    /// </summary>
    private protected override Exception? RegionFault(long offset, long count, bool writing)
    {
        ReleaseMapping();
        long size = LiveSize;
        return offset > size || count > size - offset ? ErrorHelper.OffsetOutOfRange(this, offset, count, size) : null;
    }

    /// <summary>fallocate(PUNCH_HOLE|KEEP_SIZE) on the descriptor: every mapping of the range reads zeros, the memory is free.</summary>
    private protected override bool ReleaseRange(long offset, long count) =>
        OnDescriptor(writable: true, fd => Libc.TryPunchHole(fd, offset, count));

    private protected override void ForgetResidency() => _residentMeasured = false;

    private protected override SafeRegionHandle? KeptRegion => _map;

    /// <summary>Whether the file's memory is RAM (tmpfs), so that Prefetch reserves a range with one fallocate rather than a fault per page.</summary>
    private protected virtual bool InMemoryFileSystem => false;

    /// <summary>
    /// On tmpfs, fallocate KEEP_SIZE gives a range its pages in one call (a quarter of the time of faulting
    /// them in one at a time); a file on disk is not given blocks: Prefetch reads it into the page cache.
    /// </summary>
    private protected override void ReserveRange(long offset, long count)
    {
        if (InMemoryFileSystem && count > 0)
        {
            AttachCore(); // the descriptor read-write where permitted (fallocate needs it; a read-only one faults the pages in)
            OnDescriptor(writable: _writable, fd => Libc.TryReserve(fd, offset, count));
        }
    }

    #endregion
}
