using System;

namespace ShmPS.Native;

/// <summary>A window of a shared mapping of a file (mmap MAP_SHARED): munmap on release.</summary>
internal sealed class SafeMappingHandle : SafeRegionHandle
{
    public SafeMappingHandle() { }

    internal SafeMappingHandle(IntPtr address, long start, long length, bool writable) : base(address, start, length, writable) { }

    protected override bool ReleaseHandle() => Libc.Unmap(handle, (nuint)ByteLength);
}
