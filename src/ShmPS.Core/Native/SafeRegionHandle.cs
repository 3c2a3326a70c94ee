using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>
/// A region of a shared memory object in this process's address space, whichever kind gave it: a window
/// of a file mapping (mmap MAP_SHARED, SafeMappingHandle) or a System V attachment (shmat,
/// SafeAttachmentHandle). The mapping seam (SharedMemory.Regions.cs) copies, leases words and applies
/// the memory operations (madvise, mprotect, mlock) through this one type; only the release differs.
/// </summary>
internal abstract class SafeRegionHandle : SafeBuffer
{
    protected SafeRegionHandle() : base(ownsHandle: true) { }

    protected SafeRegionHandle(IntPtr address, long start, long length, bool writable) : base(ownsHandle: true)
    {
        SetHandle(address);
        Initialize((ulong)length);
        Start = start;
        IsWritable = writable;
    }

    /// <summary>The offset in the object of the region's first byte (0 for an attachment, which holds the whole segment).</summary>
    public long Start { get; }

    public long Length => (long)ByteLength;

    /// <summary>The offset in the object just past the region.</summary>
    public long End => Start + Length;

    /// <summary>Mapped with PROT_WRITE (not SHM_RDONLY): writing through a read-only region would fault, so ShmPS never does.</summary>
    public bool IsWritable { get; }

    /// <summary>Made by a cmdlet for its transfer (released when it ends): a large copy populates its range first.</summary>
    public bool ForOneCommand { get; set; }

    /// <summary>Made for one operation (a cmdlet's copy beside a session's protected region): released right after it.</summary>
    public bool Transient { get; set; }

    /// <summary>Whether the region holds the bytes [offset, offset + count) of the object.</summary>
    public bool Covers(long offset, long count) =>
        !IsClosed && offset >= Start && offset <= End && count >= 0 && count <= End - offset;

    /// <summary>The address of byte <paramref name="offset"/> of the object (within the region; the caller holds a reference).</summary>
    public nint AddressOf(long offset) => handle + (nint)(offset - Start);
}
