using System;
using System.Collections.Generic;
using System.Management.Automation;
using ShmPS.Native;

namespace ShmPS.Commands;

/// <summary>
/// The identity parameter sets that every cmdlet acting on an existing object shares, with the same
/// names everywhere: -Name (POSIX) or -InputObject from the pipeline. Resolves them to objects and runs
/// the cmdlet's action on each, turning failures into non-terminating errors.
/// </summary>
public abstract class SharedMemoryCommandBase : PSCmdlet
{
    protected const string NameSet = "Name";
    protected const string InputObjectSet = "InputObject";

    /// <summary>POSIX object name, with or without the leading '/'. Wildcards select existing objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNull]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Objects from New-SharedMemory or Get-SharedMemory.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SharedMemory[] InputObject { get; set; } = Array.Empty<SharedMemory>();

    /// <summary>Runs <paramref name="action"/> on every object the identity parameters name.</summary>
    protected void ForEachTarget(Action<SharedMemory> action)
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (SharedMemory shm in InputObject)
            {
                Invoke(shm, action);
            }
            return;
        }
        foreach (string name in Name)
        {
            foreach (SharedMemory shm in SharedMemoryFinder.ResolveName(name, WriteError))
            {
                // Objects found by name are this command's own: release their descriptors when done.
                using (shm)
                {
                    Invoke(shm, action);
                }
            }
        }
    }

    private void Invoke(SharedMemory shm, Action<SharedMemory> action)
    {
        try
        {
            action(shm);
        }
        catch (Exception e) when (e is SharedMemoryException or NativeException)
        {
            WriteError(ErrorHelper.ToErrorRecord(e, shm));
        }
    }

    /// <summary>
    /// ShouldProcess for an action whose impact is High while the cmdlet's is lower (shrinking,
    /// deleting a file): asks as PowerShell would for ConfirmImpact High unless -Force, -Confirm:$false
    /// or $ConfirmPreference = 'None'.
    /// </summary>
    protected bool ShouldProcessHighImpact(string target, string action, bool force)
    {
        if (!ShouldProcess(target, action))
        {
            return false;
        }
        if (force || MyInvocation.BoundParameters.ContainsKey("Confirm") || MyInvocation.BoundParameters.ContainsKey("WhatIf"))
        {
            return true; // -Confirm already asked in ShouldProcess; -Confirm:$false means do not ask
        }
        object? preference = SessionState.PSVariable.GetValue("ConfirmPreference");
        if (preference is ConfirmImpact impact && impact == ConfirmImpact.None)
        {
            return true;
        }
        return ShouldContinue($"{action} on {target}? This cannot be undone.", "Confirm");
    }
}
