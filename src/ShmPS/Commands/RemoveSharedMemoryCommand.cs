using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>
/// Removes shared memory objects: shm_unlink (POSIX), IPC_RMID (System V: marked until the last
/// detach) or deleting the file (File, confirmed as ConfirmImpact High).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SharedMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(void))]
public sealed class RemoveSharedMemoryCommand : SharedMemoryCommandBase
{
    /// <summary>Delete files without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => ForEachTarget(shm =>
    {
        shm.EnsureRemovable(); // refused before anyone is asked to confirm
        // Who still uses it is said before anything happens: in the -WhatIf line and the -Confirm prompt.
        List<SharedMemoryProcess> users = OthersUsing(shm);
        string usedBy = users.Count == 0 ? ""
            : users.Count == 1 ? $" while {users[0]} still maps or holds it (its memory stays until that process lets go)"
            : $" while {SharedMemory.Describe(users)} still map or hold it (its memory stays until those processes let go)";
        string action = $"Remove {shm.KindDescription}";
        bool go = shm.RemovalIsHighImpact
            ? ShouldProcessHighImpact(Target(shm), action + " and delete its file" + usedBy, Force)
            : ShouldProcess(Target(shm), action + usedBy);
        if (go)
        {
            // Named as before the removal: a removed segment's key reads 0x00000000 afterwards.
            string subject = shm.Subject;
            shm.Remove();
            if (shm.RemovalWarning is string unknown)
            {
                WriteWarning(unknown);
            }
            if (users.Count > 0 && WarningsAreSeen())
            {
                WriteWarning($"{subject} is removed, but these processes still map or hold it and keep its memory until they unmap or close it: {SharedMemory.Describe(users)}.");
            }
        }
    });

    // A scan of /proc costs far more than a removal: one made for an earlier removal, in this command or
    // another, serves while it is under a second old, no process has started since, and (System V) it
    // accounts for every attachment the kernel counts.
    private static ProcessIndex? s_recent;

    /// <summary>
    /// Other processes that map or hold the object, looked up only where someone will read them: a -WhatIf
    /// line, a confirmation prompt, or the warning after the removal.
    /// </summary>
    private List<SharedMemoryProcess> OthersUsing(SharedMemory shm)
    {
        if (!shm.MayStillBeUsed || !(WarningsAreSeen() || ShouldProcessMayShow(shm.RemovalIsHighImpact)))
        {
            return new List<SharedMemoryProcess>();
        }
        ProcessIndex? index = s_recent;
        if (index is null || !index.IsRecent(TimeSpan.FromSeconds(1)) || !shm.IsExplainedBy(index))
        {
            s_recent = index = ProcessIndex.Scan();
        }
        return shm.OthersUsing(index);
    }

    /// <summary>Whether ShouldProcess will show its text: -WhatIf, -Confirm, or a preference that asks at this impact.</summary>
    private bool ShouldProcessMayShow(bool highImpact)
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? whatIf))
        {
            if (whatIf is SwitchParameter { IsPresent: true }) return true;
        }
        else if (LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference")))
        {
            return true;
        }
        if (MyInvocation.BoundParameters.TryGetValue("Confirm", out object? confirm))
        {
            return confirm is SwitchParameter { IsPresent: true };
        }
        if (highImpact && !Force)
        {
            return true;
        }
        object? preference = SessionState.PSVariable.GetValue("ConfirmPreference");
        return LanguagePrimitives.TryConvertTo(preference, out ConfirmImpact impact)
            && impact != ConfirmImpact.None && impact <= ConfirmImpact.Medium;
    }

    /// <summary>False where a warning would go nowhere (-WarningAction Ignore, or SilentlyContinue without -WarningVariable).</summary>
    private bool WarningsAreSeen()
    {
        object? preference = MyInvocation.BoundParameters.TryGetValue("WarningAction", out object? bound)
            ? bound
            : SessionState.PSVariable.GetValue("WarningPreference");
        if (!LanguagePrimitives.TryConvertTo(preference, out ActionPreference action))
        {
            return true;
        }
        return action switch
        {
            ActionPreference.Ignore => false,
            ActionPreference.SilentlyContinue => MyInvocation.BoundParameters.ContainsKey("WarningVariable"),
            _ => true,
        };
    }
}
