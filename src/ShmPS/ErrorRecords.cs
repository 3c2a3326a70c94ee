using System;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// The one translation of failures into ErrorRecords, where they leave ShmPS as a cmdlet's error. The
/// core makes the failures (ErrorHelper there); this adds PowerShell's own exceptions that the cmdlets'
/// calls raise (path resolution, wildcards, conversions) and maps the category.
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        SharedMemoryException e = Translate(exception, target);
        return Record(e, e.ErrorId, e.Category, e.Target ?? target, e.RecommendedAction);
    }

    /// <summary>Any failure as a SharedMemoryException with a ShmPS id. Flow control is rethrown.</summary>
    public static SharedMemoryException Translate(Exception exception, object? target) => exception switch
    {
        SharedMemoryException sme => sme,
        ProviderInvocationException { InnerException: Exception inner } => Translate(inner, target),
        System.Management.Automation.DriveNotFoundException or ProviderNotFoundException => Made(ErrorIds.InvalidPath, SharedMemoryErrorCategory.InvalidArgument,
            exception, target, "Give a file system path (a drive such as / or ~, or a relative path)."),
        ItemNotFoundException => Made(ErrorIds.SharedMemoryNotFound, SharedMemoryErrorCategory.ObjectNotFound, exception, target, "Check the path."),
        WildcardPatternException or PSInvalidCastException => Made(ErrorIds.InvalidArgument, SharedMemoryErrorCategory.InvalidArgument,
            exception, target, "Check the arguments."),
        PipelineStoppedException or FlowControlException => throw exception,
        _ => Presented(ErrorHelper.Translate(exception, target)),
    };

    /// <summary>A cmdlet's parameters that do not go together, or one that is missing (ErrorHelper.Usage).</summary>
    public static ErrorRecord Usage(string errorId, string message, object? target = null) =>
        ToErrorRecord(ErrorHelper.Usage(errorId, message, target), target);

    /// <summary>A cmdlet that acts on objects was given none.</summary>
    public static ErrorRecord IdentityRequired() => Usage(ErrorIds.IdentityRequired,
        "Name the shared memory object: -Name, -LiteralName, -Key, -Id, -Path, -LiteralPath or -InputObject (from the pipeline).");

    /// <summary>
    /// Failures a cmdlet turns into its own error records: everything except flow control (Ctrl+C,
    /// break, -ErrorAction Stop) and errors of the user's own script blocks, which pass through as they
    /// are. PowerShell's own exceptions that ShmPS's calls raise (path resolution, wildcards) are translated.
    /// </summary>
    public static bool IsTranslatable(Exception e) => e switch
    {
        OperationCanceledException => false,
        SharedMemoryException => true, // a MethodException (see there), so before RuntimeException
        ProviderInvocationException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or ItemNotFoundException
            or WildcardPatternException or PSInvalidCastException => true,
        RuntimeException => false,
        _ => true,
    };

    /// <summary>The record for a failure; the category is PowerShell's of the same name and value.</summary>
    internal static ErrorRecord Record(Exception ex, string id, SharedMemoryErrorCategory category, object? target, string? action)
    {
        var record = new ErrorRecord(ex, id, (ErrorCategory)(int)category, target);
        if (target is string text)
        {
            // The error view shows TargetName (NormalView: "(NAME:String)"): a name another user chose, escaped.
            record.CategoryInfo.TargetName = ErrorHelper.Printable(text);
        }
        if (action is not null)
        {
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = action };
        }
        return record;
    }

    private static SharedMemoryException Made(string id, SharedMemoryErrorCategory category, Exception exception, object? target, string action) =>
        Presented(ErrorHelper.Make(id, category, $"{ErrorHelper.Subject(target)}{exception.Message}", target, action, exception));

    private static SharedMemoryException Presented(Exception e) =>
        e as SharedMemoryException ?? new SharedMemoryException(e);
}
