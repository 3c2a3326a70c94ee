using System;
using ShmPS.Native;

namespace ShmPS;

/// <summary>Words of the kinds that are files, for atomics and futex waits: the object's own mapping.</summary>
public abstract partial class DescriptorSharedMemory
{
    /// <summary>
    /// The word in the mapping the object keeps (MappingFor: mapped again if the object grew, writable
    /// when asked); kept until Close(), or for a cmdlet until it is done with the object.
    /// </summary>
    internal override WordLease LeaseWord(long offset, int width, bool writing)
    {
        for (int attempt = 0; ; attempt++)
        {
            SafeMappingHandle map = MappingFor(offset, width, writing)
                ?? throw ErrorHelper.OffsetOutOfRange(this, offset, width, LiveSize);
            bool added = false;
            try
            {
                map.DangerousAddRef(ref added);
                return new WordLease(map, map.DangerousGetHandle() + (nint)offset);
            }
            catch (ObjectDisposedException) when (RetryAfterRelease(attempt))
            {
                // Unmapped by Detach() or a cmdlet on another thread: map again (the rule every copy follows).
            }
        }
    }

    /// <summary>A fault on a word: past a shrunk end it is OffsetOutOfRange; within the size (shrunk and grown again) one more try.</summary>
    private protected override void OnWordFault(long offset, int width)
    {
        if (Fault(offset, width) is Exception outOfRange)
        {
            throw outOfRange;
        }
    }

    internal override string? WatchDirectory => System.IO.Path.GetDirectoryName(Path);
}
