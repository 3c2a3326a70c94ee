using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// The limits on shared memory and what is in use, in the caller's IPC and mount namespaces: System V
/// limits and usage, the file system of /dev/shm, huge pages and RLIMIT_FSIZE, as one object.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SharedMemoryLimit")]
[OutputType(typeof(SharedMemoryLimit))]
public sealed class GetSharedMemoryLimitCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        SharedMemoryLimit limit = SharedMemoryLimit.Read();
        foreach (string part in limit.Unavailable)
        {
            WriteWarning($"Not available: {part}");
        }
        WriteObject(limit);
    }
}
