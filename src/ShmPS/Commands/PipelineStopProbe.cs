using System;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace ShmPS;

/// <summary>
/// Tells a method call (SharedMemory.Lock) that the pipeline running it is being stopped: a method has
/// no StopProcessing and no cancellation token. The pipeline is the runspace's currently running one,
/// found through the engine's internal RunspaceBase.GetCurrentlyRunningPipeline(); its public
/// PipelineStateInfo.State becomes Stopping on Ctrl+C or PowerShell.Stop(). (The Pipeline class is not
/// in the reference assemblies the module compiles against, so its members are read by reflection too.)
/// If a PowerShell version lacks any of these, the probe is null and the wait cannot be stopped.
/// </summary>
internal static class PipelineStopProbe
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    public static Func<bool>? ForCallingThread()
    {
        try
        {
            Runspace? runspace = Runspace.DefaultRunspace;
            MethodInfo? current = runspace?.GetType().GetMethod("GetCurrentlyRunningPipeline", Instance, null, Type.EmptyTypes, null);
            object? pipeline = current?.Invoke(runspace, null);
            PropertyInfo? stateInfo = pipeline?.GetType().GetProperty("PipelineStateInfo", Instance);
            PropertyInfo? state = stateInfo?.PropertyType.GetProperty("State", Instance);
            if (pipeline is null || stateInfo is null || state is null || state.PropertyType != typeof(PipelineState))
            {
                return null;
            }
            return () =>
            {
                try
                {
                    return stateInfo.GetValue(pipeline) is { } info
                        && state.GetValue(info) is PipelineState.Stopping or PipelineState.Stopped;
                }
                catch (TargetInvocationException)
                {
                    return false;
                }
            };
        }
        catch (Exception e) when (e is TargetInvocationException or MemberAccessException or InvalidOperationException or AmbiguousMatchException)
        {
            return null;
        }
    }
}
