using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ShmPS.Native;

namespace ShmPS.Commands;

/// <summary>
/// The base of every cmdlet that acts on existing objects: the shared identity sets plus -Name (POSIX,
/// or any kind's Name with -Kind). Resolves them to objects and runs the cmdlet's action on each,
/// turning failures into non-terminating errors.
/// </summary>
public abstract class SharedMemoryCommandBase : SharedMemoryIdentityCommandBase
{

    /// <summary>POSIX object name, with or without the leading '/'. Wildcards select existing objects.</summary>
    /// <remarks>
    /// Not mandatory: -Id also belongs to this set (see Id), and PowerShell resolves a bare -Id to the
    /// default set, which must then not demand a name.
    /// </remarks>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [SharedMemoryNameTransformation]
    [ArgumentCompleter(typeof(SharedMemoryNameCompleter))]
    [SupportsWildcards]
    [AllowEmptyString]
    [ValidateNotNull]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>
    /// How to read -Name (and -Id): Posix (default, the first kind), File (a literal path) or SystemV (a key
    /// such as 0x0000abcd). Bound from the Kind property, so objects from ConvertFrom-Json or Import-Csv
    /// find their object again.
    /// </summary>
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(KindCompleter))]
    public SharedMemoryKind? Kind { get; set; }

    /// <summary>The kind -Name is read as: -Kind, else the first registered.</summary>
    private protected SharedMemoryKind[] NameKinds => new[] { Kind ?? SharedMemoryBackends.Default };

    /// <summary>The kinds -Kind chose, or null without it.</summary>
    private protected SharedMemoryKind[]? ChosenKinds => Kind is null ? null : new[] { Kind };

    /// <summary>Runs <paramref name="action"/> on every object the identity parameters name.</summary>
    protected void ForEachTarget(Action<SharedMemory> action)
    {
        if (ParameterSetName == InputObjectSet)
        {
            ForEachObject(InputObject, action);
            return;
        }
        if (RefuseRemoteRow(Name))
        {
            return;
        }
        var finder = new SharedMemoryFinder(this);
        if (ParameterSetName == NameSet && Name.Length == 0 && Id.Length == 0)
        {
            ThrowTerminatingError(ErrorRecords.IdentityRequired());
        }
        IEnumerable<SharedMemory> found = KeepListed(finder.Resolve(Identities(Name, NameKinds, ChosenKinds)));
        foreach (SharedMemory shm in finder.Guarded(found, null))
        {
            // Objects found here are this command's own: release their descriptors when done (they stay
            // usable, since -PassThru hands them on).
            using (shm.BeginCommand())
            {
                Invoke(shm, action);
            }
        }
    }

    /// <summary>-Force of a cmdlet that modifies files: a file with several hard links in a directory others can write to is modified anyway.</summary>
    private protected virtual bool ForceHardLinks => false;

    /// <summary>Whether the cmdlet also works on objects of another process's namespaces (it only reads); others refuse them before asking anything.</summary>
    private protected virtual bool ActsInOtherNamespaces => false;

    /// <summary>
    /// Runs <paramref name="action"/> on objects given as themselves (from the pipeline): a live object is
    /// this process's, whatever computer name was added to it (its HostId says where it was read, and an
    /// object of another namespace is refused by the action as ForeignNamespace).
    /// </summary>
    protected void ForEachObject(IReadOnlyList<SharedMemory> objects, Action<SharedMemory> action)
    {
        foreach (SharedMemory shm in objects)
        {
            // The object is the caller's: what this cmdlet opens on it is released when done.
            using (shm.BeginCommand())
            {
                Invoke(shm, action);
            }
        }
    }

    private void Invoke(SharedMemory shm, Action<SharedMemory> action)
    {
        try
        {
            if (!ActsInOtherNamespaces)
            {
                shm.RefuseInForeignNamespace(MyInvocation.MyCommand.Name);
            }
            using (SharedMemory.AllowHardLinks(ForceHardLinks))
            {
                action(shm);
            }
        }
        catch (Exception e) when (ErrorRecords.IsTranslatable(e))
        {
            // Every failure on one object is that object's error record, with a ShmPS id.
            WriteError(ErrorRecords.ToErrorRecord(e, shm));
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
        // A $ConfirmPreference assigned in a function or script scope is a plain string: convert it.
        object? preference = SessionState.PSVariable.GetValue("ConfirmPreference");
        if (LanguagePrimitives.TryConvertTo(preference, out ConfirmImpact impact) && impact == ConfirmImpact.None)
        {
            return true;
        }
        try
        {
            return ShouldContinue($"{action} on {target}? This cannot be undone.", "Confirm");
        }
        catch (PSInvalidOperationException e)
        {
            // A non-interactive host cannot ask.
            throw ErrorHelper.ConfirmationRequired(action, target, e);
        }
    }
}
