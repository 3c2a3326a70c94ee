namespace ShmPS;

/// <summary>Waits on a segment (its words are leased through the mapping seam, SharedMemory.Regions.cs).</summary>
public sealed partial class SystemVSharedMemory
{
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
