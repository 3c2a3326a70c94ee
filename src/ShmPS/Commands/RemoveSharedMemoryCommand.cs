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
        string action = $"Remove {shm.KindDescription}";
        bool go = shm.RemovalIsHighImpact
            ? ShouldProcessHighImpact(shm.Name, action + " and delete its file", Force)
            : ShouldProcess(shm.Name, action);
        if (go)
        {
            // Named as before the removal: a removed segment's key reads 0x00000000 afterwards.
            string subject = $"{shm.KindDescription} '{shm.Name}'" + (shm is SystemVSharedMemory segment ? $" (id {segment.Id})" : "");
            shm.Remove();
            if (shm.RemovalWarning is string unknown)
            {
                WriteWarning(unknown);
            }
            WarnIfStillUsed(shm, subject);
        }
    });

    // A scan of /proc costs far more than a removal: one made for an earlier removal, in this command or
    // another, serves while it is under a second old, no process has started since, and (System V) it
    // accounts for every attachment the kernel counts.
    private static ProcessIndex? s_recent;

    /// <summary>Other processes that still map or hold the object keep its memory until they let go: said, not hidden.</summary>
    private void WarnIfStillUsed(SharedMemory shm, string subject)
    {
        if (!shm.MayStillBeUsed || !WarningsAreSeen())
        {
            return;
        }
        ProcessIndex? index = s_recent;
        if (index is null || !index.IsRecent(TimeSpan.FromSeconds(1)) || !shm.IsExplainedBy(index))
        {
            s_recent = index = ProcessIndex.Scan();
        }
        List<SharedMemoryProcess> users = shm.OthersUsing(index);
        if (users.Count > 0)
        {
            WriteWarning($"{subject} is removed, but these processes still map or hold it and keep its memory until they unmap or close it: {SharedMemory.Describe(users)}.");
        }
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
