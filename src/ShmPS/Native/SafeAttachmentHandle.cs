using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>A System V attachment (shmat) as a SafeBuffer: bounds-checked access, shmdt on release.</summary>
internal sealed class SafeAttachmentHandle : SafeBuffer
{
    public SafeAttachmentHandle() : base(ownsHandle: true) { }

    internal SafeAttachmentHandle(IntPtr address, bool readOnly) : base(ownsHandle: true)
    {
        SetHandle(address);
        IsReadOnly = readOnly;
    }

    /// <summary>Attached with SHM_RDONLY: writing through it would fault, so ShmPS never does.</summary>
    public bool IsReadOnly { get; }

    protected override bool ReleaseHandle() => Libc.ShmDetach(handle);
}
