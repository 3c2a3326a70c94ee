using System;

namespace ShmPS;

/// <summary>
/// The seals of a memfd (fcntl F_ADD_SEALS): what nobody, its creator included, may do to it any more. A reader
/// that finds Shrink sealed cannot be made to fault (SIGBUS) by a writer truncating the region under it.
/// </summary>
[Flags]
public enum SharedMemorySeals
{
    None = 0,

    /// <summary>No further seal may be added (F_SEAL_SEAL).</summary>
    Seal = 0x1,

    /// <summary>The size may not shrink (F_SEAL_SHRINK).</summary>
    Shrink = 0x2,

    /// <summary>The size may not grow (F_SEAL_GROW).</summary>
    Grow = 0x4,

    /// <summary>The contents may not change (F_SEAL_WRITE): no write, no writable shared mapping.</summary>
    Write = 0x8,

    /// <summary>No new writable mapping or write; those that exist stay (F_SEAL_FUTURE_WRITE).</summary>
    FutureWrite = 0x10,
}
