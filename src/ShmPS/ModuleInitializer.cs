using System;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace ShmPS;

/// <summary>Refuses to load where ShmPS cannot work, with one clear error instead of a failure later.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                $"ShmPS manages Linux shared memory (shm_open, shmget, mmap) and runs only on Linux; this is {RuntimeInformation.OSDescription}.");
        }
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            throw new PlatformNotSupportedException(
                $"ShmPS supports Linux on x64 and arm64; this process is {RuntimeInformation.ProcessArchitecture}.");
        }
    }
}
