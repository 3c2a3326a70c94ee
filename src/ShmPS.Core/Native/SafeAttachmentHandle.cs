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

    /// <summary>Copies from the segment; SafeBuffer's own ReadSpan moves one element per call, which is slow.</summary>
    public unsafe void CopyTo(long offset, Span<byte> destination)
    {
        fixed (byte* to = destination)
        {
            Copy(offset, to, destination.Length, fromAttachment: true);
        }
    }

    /// <summary>Copies into the segment; refused on a read-only attachment, where a write would fault.</summary>
    public unsafe void CopyFrom(long offset, ReadOnlySpan<byte> source)
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException("A read-only attachment cannot be written to.");
        }
        fixed (byte* from = source)
        {
            Copy(offset, from, source.Length, fromAttachment: false);
        }
    }

    /// <summary>
    /// One bounds-checked copy between a pinned buffer and the attachment, made so that a page fault is
    /// an error (EFAULT), not a signal: with the guarded copy, or where it is not available through the
    /// kernel (process_vm_readv/writev), or, where the kernel refuses that too, directly.
    /// </summary>
    private unsafe void Copy(long offset, byte* buffer, int count, bool fromAttachment)
    {
        CheckBounds(offset, count);
        byte* pointer = null;
        AcquirePointer(ref pointer);
        try
        {
            byte* at = pointer + offset;
            byte* to = fromAttachment ? buffer : at;
            byte* from = fromAttachment ? at : buffer;
            if (Guard.IsAvailable)
            {
                if (Guard.Copy(to, from, (nuint)count) != 0)
                {
                    throw new NativeException(fromAttachment ? "load from attachment" : "store to attachment", Errno.EFAULT);
                }
            }
            else if (!Libc.TryCopyThroughKernel(to, from, (nuint)count, fromAttachment))
            {
                Buffer.MemoryCopy(from, to, count, count);
            }
        }
        finally
        {
            ReleasePointer();
        }
    }

    /// <summary>Faults in the pages of a range in one call (Libc.Populate), which is much cheaper than a fault per page during the copy.</summary>
    public unsafe void Prefault(long offset, int count)
    {
        CheckBounds(offset, count);
        byte* pointer = null;
        AcquirePointer(ref pointer);
        try
        {
            Libc.Populate(pointer + offset, (nuint)count);
        }
        finally
        {
            ReleasePointer();
        }
    }

    private void CheckBounds(long offset, int count)
    {
        if (offset < 0 || count < 0 || (ulong)offset + (ulong)count > ByteLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"{offset}+{count} is outside the {ByteLength}-byte attachment.");
        }
    }

    protected override bool ReleaseHandle() => Libc.ShmDetach(handle);
}
