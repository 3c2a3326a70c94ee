using System;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>The mapped data path of the kinds that are files (with the guarded copy, Native.Guard).</summary>
public abstract partial class DescriptorSharedMemory
{
    #region Mapped data path

    // With the guarded copy (Native.Guard), data moves through a MAP_SHARED mapping that the object keeps
    // until Close(): memory speed, and a page that another process truncated away comes back from the
    // copy as SIGBUS, which becomes OffsetOutOfRange, never a dead PowerShell. A cmdlet maps only for
    // large transfers and unmaps when done; it populates the range it copies in one call first
    // (Libc.Populate), since faulting the pages in one at a time doubles the time of a one-shot write.
    // Below MapFromBytes a cmdlet uses pread/pwrite: cheaper than mapping, populating and unmapping for
    // one copy (for 64 KiB: 6 µs pwrite against 19 µs, 26 µs pread against 38 µs, on tmpfs). From about
    // 512 KiB on, pread is the slower (a 1 MiB read: 460 µs against 180 µs); pwrite stays up to 1.25×
    // faster than the populated mapping up to 16 MiB and even at 256 MiB, but past a shrunk end pwrite
    // would grow the object again, where a mapping cannot: large writes take the mapping for that.
    private const int MapFromBytes = 256 << 10;

    private bool UsesMapping(int count) => Guard.IsAvailable && (!InCommand || count >= MapFromBytes || _map is not null);

    private protected override unsafe bool TryReadMapped(long offset, Span<byte> buffer)
    {
        fixed (byte* to = buffer)
        {
            return CopyMapped(offset, buffer.Length, to, writing: false);
        }
    }

    private protected override unsafe bool TryWriteMapped(long offset, ReadOnlySpan<byte> data)
    {
        fixed (byte* from = data)
        {
            return CopyMapped(offset, data.Length, from, writing: true);
        }
    }

    /// <summary>
    /// One copy between a pinned buffer and the mapping, with the guard: true when done, false when the
    /// system-call path should make it (no mapping wanted, or a fault within the object's size: a full
    /// tmpfs, a shrink and regrow meanwhile, whose pread/pwrite errno then says which).
    /// </summary>
    private unsafe bool CopyMapped(long offset, int count, byte* buffer, bool writing)
    {
        if (!UsesMapping(count))
        {
            return false;
        }
        for (int attempt = 0; ; attempt++)
        {
            SafeMappingHandle? map = MappingFor(offset, count, writing);
            if (map is null)
            {
                return true; // nothing to copy
            }
            bool added = false;
            try
            {
                map.DangerousAddRef(ref added);
                byte* at = (byte*)map.DangerousGetHandle() + offset;
                if (map.ForOneCommand && InCommand && count >= MapFromBytes)
                {
                    Libc.Populate(at, (nuint)count);
                }
                int signal = writing ? Guard.Copy(at, buffer, (nuint)count) : Guard.Copy(buffer, at, (nuint)count);
                if (signal == 0)
                {
                    return true;
                }
                // Past a shrunk end: an error. Within the size: the system-call path.
                return Fault(offset, count) is Exception outOfRange ? throw outOfRange : false;
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
                // Unmapped by Close() or a cmdlet on another thread: map again.
            }
            finally
            {
                if (added) map.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The kept mapping if it covers the range (no system call), else a new one of the object's live size
    /// (it grew), or OffsetOutOfRange with that size. Null when the range is empty: nothing to map.
    /// A write never grows the object (a mapping cannot).
    /// </summary>
    private SafeMappingHandle? MappingFor(long offset, int count, bool writing)
    {
        SafeMappingHandle? map = _map;
        if (map is not null && !map.IsClosed && offset >= 0 && offset <= map.Length && count <= map.Length - offset
            && (!writing || map.IsWritable))
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
            map = Libc.MapShared(fd, size, writable: _writable, forOneCommand: InCommand);
            _map?.Dispose();
            _map = map;
            return map;
        }
    }

    /// <summary>
    /// A fault during a copy: the object shrank under the mapping (OffsetOutOfRange), or null when the
    /// range is within the size (a page of a sparse object the full file system could not supply, or a
    /// shrink and regrow meanwhile): the caller then makes the copy with pread/pwrite, whose errno says
    /// which (ENOSPC is InsufficientSpace), and tmpfs reads a hole as zeros without allocating.
    /// </summary>
    private Exception? Fault(long offset, long count)
    {
        ReleaseMapping();
        long size = LiveSize;
        return offset > size || count > size - offset ? ErrorHelper.OffsetOutOfRange(this, offset, count, size) : null;
    }

    #endregion
}
