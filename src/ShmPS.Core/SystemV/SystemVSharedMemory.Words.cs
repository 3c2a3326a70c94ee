using System;
using ShmPS.Native;

namespace ShmPS;

/// <summary>Words of a segment, for atomics and futex waits: the attachment the object keeps.</summary>
public sealed partial class SystemVSharedMemory
{
    /// <summary>The word in the kept attachment (attached now if need be; a segment cannot shrink while attached).</summary>
    internal override WordLease LeaseWord(long offset, int width, bool writing)
    {
        CheckRange(offset, width, Size);
        for (int attempt = 0; ; attempt++)
        {
            AttachCore();
            SafeAttachmentHandle? kept = _kept;
            if (kept is null)
            {
                if (RetryAfterRelease(attempt))
                {
                    continue; // detached by another thread meanwhile: attach again (the rule every copy follows)
                }
                throw ErrorHelper.Closed(this);
            }
            if (writing && kept.IsReadOnly)
            {
                throw ErrorHelper.FromNative(new NativeException("shmat", Errno.EACCES), this);
            }
            bool added = false;
            try
            {
                kept.DangerousAddRef(ref added);
                return new WordLease(kept, kept.DangerousGetHandle() + (nint)offset);
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
            }
        }
    }

    /// <summary>Removed (or marked for removal, its key gone) counts as gone for a wait: nobody can find it by key any more.</summary>
    internal override void ThrowIfGone()
    {
        RefreshCore();
        if (IsMarkedForDeletion)
        {
            throw Gone();
        }
    }
}
