using System;

namespace ShmPS.Native;

/// <summary>
/// A System V attachment (shmat): the whole segment, since shmat cannot attach a part of one (SHMMAX bounds
/// a segment's size anyway); shmdt on release.
/// </summary>
internal sealed class SafeAttachmentHandle : SafeRegionHandle
{
    public SafeAttachmentHandle() { }

    internal SafeAttachmentHandle(IntPtr address, long length, bool readOnly) : base(address, 0, length, !readOnly) { }

    public bool IsReadOnly => !IsWritable;

    protected override bool ReleaseHandle() => Libc.ShmDetach(handle);
}
