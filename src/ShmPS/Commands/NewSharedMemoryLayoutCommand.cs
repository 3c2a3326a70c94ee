using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Lays out C declarations as gcc does on Linux LP64, for Read-/Write-SharedMemory -Layout.</summary>
[Cmdlet(VerbsCommon.New, "SharedMemoryLayout")]
[OutputType(typeof(SharedMemoryLayout))]
public sealed class NewSharedMemoryLayoutCommand : PSCmdlet
{
    /// <summary>C declarations: structs, unions, enums, typedefs. Lines piped (Get-Content) are joined into one text.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string[] Definition { get; set; } = Array.Empty<string>();

    /// <summary>The struct, union or typedef to lay out (by default the last one the declarations define).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    private readonly List<string> _lines = new();

    protected override void ProcessRecord() => _lines.AddRange(Definition);

    protected override void EndProcessing()
    {
        string text = string.Join("\n", _lines);
        try
        {
            WriteObject(CDeclarationParser.Parse(text, Name));
        }
        catch (SharedMemoryException e)
        {
            ThrowTerminatingError(ErrorRecords.ToErrorRecord(e, e.Target));
        }
    }
}
