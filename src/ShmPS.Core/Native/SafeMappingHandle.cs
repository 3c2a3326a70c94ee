using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>A shared mapping of a file (mmap MAP_SHARED) as a SafeBuffer: munmap on release.</summary>
internal sealed class SafeMappingHandle : SafeBuffer
{
    public SafeMappingHandle() : base(ownsHandle: true) { }

    internal SafeMappingHandle(IntPtr address, long length, bool writable) : base(ownsHandle: true)
    {
        SetHandle(address);
        Initialize((ulong)length);
        IsWritable = writable;
    }

    /// <summary>Mapped with PROT_WRITE: writing through a read-only mapping would fault, so ShmPS never does.</summary>
    public bool IsWritable { get; }

    public long Length => (long)ByteLength;

    /// <summary>Made by a cmdlet for its transfer (unmapped when it ends): a large copy populates its range first.</summary>
    public bool ForOneCommand { get; init; }

    protected override bool ReleaseHandle() => Libc.Unmap(handle, (nuint)ByteLength);
}
