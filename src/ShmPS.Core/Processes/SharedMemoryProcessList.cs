using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace ShmPS;

/// <summary>
/// The processes that use an object (SharedMemory.Processes). As text, where Export-Csv or a string
/// puts it, it reads as the processes themselves: "1234 (python3), 5678 (sleep)".
/// </summary>
public sealed class SharedMemoryProcessList : ReadOnlyCollection<SharedMemoryProcess>
{
    internal SharedMemoryProcessList(IList<SharedMemoryProcess> processes) : base(processes) { }

    public override string ToString() => SharedMemory.Describe(this);
}
