using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>What -Layout of Read-/Write-SharedMemory takes: a New-SharedMemoryLayout result, or C declarations as text.</summary>
internal static class LayoutArgument
{
    public static SharedMemoryLayout? Resolve(PSCmdlet cmdlet, object value, bool conflicting)
    {
        if (conflicting)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.LayoutConflict,
                "-Layout reads and writes records: it does not take -As or -OutFile (-InputFile).", value));
        }
        object inner = value is PSObject pso ? pso.BaseObject : value;
        switch (inner)
        {
            case SharedMemoryLayout layout:
                return layout;
            case string or string[] or object[]:
                string text = inner is string s ? s : string.Join("\n", LanguagePrimitives.ConvertTo<string[]>(inner));
                try
                {
                    return CDeclarationParser.Parse(text);
                }
                catch (SharedMemoryException e)
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.ToErrorRecord(e, e.Target));
                    return null;
                }
            default:
                cmdlet.ThrowTerminatingError(ErrorRecords.ToErrorRecord(ErrorHelper.InvalidLayout(
                    $"-Layout takes what New-SharedMemoryLayout returns or C declarations, not a {inner.GetType().Name}", null), value));
                return null;
        }
    }
}
