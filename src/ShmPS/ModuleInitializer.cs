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
        IgnoreFileSizeSignal();
        ConnectCore();
    }

    /// <summary>
    /// The core's questions to its host (HostHooks, SharedMemoryErrors.Present), answered in PowerShell's
    /// terms: values arrive as PSObjects and convert by PowerShell's rules, a method's caller is its
    /// runspace and is stopped with its pipeline, and a failure keeps its ErrorId (SharedMemoryException).
    /// </summary>
    private static void ConnectCore()
    {
        HostHooks.Unwrap = value => value is PSObject pso ? pso.BaseObject : value;
        HostHooks.Convert = (value, type) => LanguagePrimitives.ConvertTo(value, type, System.Globalization.CultureInfo.InvariantCulture);
        HostHooks.CallerId = () => System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
        HostHooks.StopProbe = PipelineStopProbe.ForCallingThread;
        HostHooks.Stopped = () => new PipelineStoppedException();
        SharedMemoryErrors.Present = SharedMemoryException.Present;
    }

    private const int SIGXFSZ = 25; // the same on x86_64 and aarch64 (asm-generic/signal.h)

    private static PosixSignalRegistration? s_fileSizeSignal;

    /// <summary>
    /// A write or resize past RLIMIT_FSIZE (ulimit -f) raises SIGXFSZ, whose default action kills the
    /// process. With a handler registered, the system call fails with EFBIG instead, which ShmPS reports
    /// as FileSizeLimitExceeded. ShmPS also refuses such writes before making them; this is the net
    /// under every other path (another module's writes included), and it changes nothing else.
    /// </summary>
    private static void IgnoreFileSizeSignal()
    {
        s_fileSizeSignal ??= PosixSignalRegistration.Create((PosixSignal)SIGXFSZ, context => context.Cancel = true);
    }
}
