namespace ShmPS;

/// <summary>Waits on the kinds that are files (their words are leased through the mapping seam, SharedMemory.Regions.cs).</summary>
public abstract partial class DescriptorSharedMemory
{
    internal override string? WatchDirectory => System.IO.Path.GetDirectoryName(Path);
}
