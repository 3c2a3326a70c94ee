using System;
using System.Diagnostics;
using System.Threading;
using ShmPS.Native;

namespace ShmPS.Coordination;

/// <summary>
/// A whole document (JSON, say) in an object, which readers never see half-written however often it is
/// rewritten: a seqlock. At the document's offset (4-byte aligned) a 16-byte header, little-endian:
/// <code>
///   +0  uint32 sequence   even when the document is whole, odd while a writer is in the middle
///   +4  uint32 length     bytes of the document
///   +8  uint32 magic      0x434F4453 ("SDOC" in memory)
///   +12 uint32 reserved   0
///   +16 the document's bytes
/// </code>
/// A writer makes the sequence odd with a compare-exchange from the even value it read (so writers
/// serialise through the sequence, on every kind and with other programs that follow the protocol),
/// writes length, magic and bytes, and makes it even again (+1). A reader reads the sequence, the
/// header and the bytes, and the sequence again; it retries while the sequence was odd or changed.
/// A writer that died in the middle leaves the sequence odd: after <see cref="TakeOver"/> without
/// change the next writer takes over (+2, still odd) and repairs it. The sequence word is the futex
/// word that -Wake wakes and Wait-SharedMemory -Document waits on.
/// </summary>
internal static class SharedDocument
{
    public const int HeaderSize = 16;
    public const uint Magic = 0x434F4453;

    /// <summary>How long a sequence may stay odd and unchanged before a writer takes over from a writer that died.</summary>
    internal static readonly TimeSpan TakeOver = TimeSpan.FromSeconds(2);

    /// <summary>How long a reader waits for a write in progress before it gives up (DocumentBusy).</summary>
    internal static readonly TimeSpan ReaderPatience = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(20);

    /// <summary>Writes the document; a document that does not fit is refused before anything changes.</summary>
    public static void Write(SharedMemory shm, long offset, ReadOnlySpan<byte> document, CancellationToken token)
    {
        shm.RefuseInForeignNamespace("writing");
        CheckOffset(offset);
        long size = shm.LiveSize;
        shm.CheckRange(offset, HeaderSize, size);
        long room = size - offset - HeaderSize;
        if (document.Length > room)
        {
            throw ErrorHelper.DocumentTooLarge(shm, document.Length, room);
        }
        RequireAtomics(shm);
        using WordLease header = shm.LeaseWord(offset, HeaderSize, writing: true);
        uint mine = Acquire(shm, offset, header.Address, token);
        shm.Atomic(AtomicOp.Exchange32, offset + 4, document.Length, 0);
        shm.Atomic(AtomicOp.Exchange32, offset + 8, unchecked((int)Magic), 0);
        shm.Atomic(AtomicOp.Exchange32, offset + 12, 0, 0);
        shm.Write(offset + HeaderSize, document);
        // Even again, if nobody took over meanwhile (this write stalled past TakeOver).
        uint found = (uint)shm.Atomic(AtomicOp.CompareExchange32, offset, unchecked((int)(mine + 1)), unchecked((int)mine));
        if (found != mine)
        {
            throw ErrorHelper.DocumentBusy(shm, offset,
                $"was taken over by another writer while this write stalled for more than {TakeOver.TotalSeconds:0} s; this write was not published.");
        }
    }

    /// <summary>Makes the sequence odd for this writer and returns that odd value.</summary>
    private static uint Acquire(SharedMemory shm, long offset, nint address, CancellationToken token)
    {
        uint stale = 0;
        var since = Stopwatch.StartNew();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            uint s = Load(shm, offset);
            if ((s & 1) == 0)
            {
                if ((uint)shm.Atomic(AtomicOp.CompareExchange32, offset, unchecked((int)(s + 1)), unchecked((int)s)) == s)
                {
                    return s + 1;
                }
                continue;
            }
            if (s != stale)
            {
                stale = s;
                since.Restart();
            }
            else if (since.Elapsed > TakeOver
                && (uint)shm.Atomic(AtomicOp.CompareExchange32, offset, unchecked((int)(s + 2)), unchecked((int)s)) == s)
            {
                return s + 2; // the writer of s died (or stalled): this one repairs the document
            }
            Libc.FutexWait(address, unchecked((int)s), Slice);
        }
    }

    /// <summary>The whole document: an empty one where none was ever written (a header of zeros).</summary>
    public static byte[] Read(SharedMemory shm, long offset, CancellationToken token)
    {
        CheckOffset(offset);
        shm.CheckRange(offset, HeaderSize, shm.LiveSize);
        RequireAtomics(shm);
        using WordLease header = shm.LeaseWord(offset, HeaderSize, writing: false);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            uint s1 = Load(shm, offset);
            if ((s1 & 1) != 0)
            {
                if (waited.Elapsed > ReaderPatience)
                {
                    throw ErrorHelper.DocumentBusy(shm, offset,
                        $"has been in the middle of a write for more than {ReaderPatience.TotalSeconds:0} s (its sequence {s1} stays odd): its writer may have died.");
                }
                Libc.FutexWait(header.Address, unchecked((int)s1), Slice);
                continue;
            }
            uint length = (uint)shm.Atomic(AtomicOp.Load32, offset + 4, 0, 0);
            uint magic = (uint)shm.Atomic(AtomicOp.Load32, offset + 8, 0, 0);
            long room = shm.LiveSize - offset - HeaderSize;
            bool valid = magic == Magic && length <= room;
            byte[] data = valid ? shm.ReadArray(offset + HeaderSize, (int)length) : Array.Empty<byte>();
            if (Load(shm, offset) != s1)
            {
                continue; // rewritten meanwhile
            }
            if (valid)
            {
                return data;
            }
            if (s1 == 0 && magic == 0 && length == 0)
            {
                return Array.Empty<byte>(); // never written
            }
            throw ErrorHelper.InvalidDocument(shm, offset, magic != Magic
                ? $"the header's magic number is 0x{magic:x8}, not 0x{Magic:x8}."
                : $"its length {length} goes past the end of the object ({room} bytes after the header).");
        }
    }

    /// <summary>The sequence word (a full fence first, so the copies before it are ordered before the load).</summary>
    public static uint Load(SharedMemory shm, long offset) => (uint)shm.Atomic(AtomicOp.Load32, offset, 0, 0);

    private static void CheckOffset(long offset)
    {
        if (offset % 4 != 0)
        {
            throw new ArgumentException($"Offset {offset} is not a multiple of 4: a document's header starts on a 4-byte boundary.", nameof(offset));
        }
    }

    private static void RequireAtomics(SharedMemory shm)
    {
        if (!Guard.HasAtomics)
        {
            throw ErrorHelper.GuardUnavailable(shm, "documents");
        }
    }
}
