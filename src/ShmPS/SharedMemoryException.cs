using System;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// A ShmPS failure as PowerShell sees it. The core makes each failure as a .NET family exception
/// (<see cref="SharedMemoryIOException"/>, <see cref="SharedMemoryAccessDeniedException"/>,
/// <see cref="SharedMemoryRangeException"/>, <see cref="SharedMemoryClosedException"/>,
/// <see cref="SharedMemoryTimeoutException"/>, …); in PowerShell the module presents it as this
/// exception, with the family exception as its InnerException.
/// </summary>
/// <remarks>
/// Why: PowerShell wraps what a method throws in a MethodInvocationException unless it is a
/// MethodException, and a catch clause matches the thrown exception's class or its InnerException's,
/// by class only. Deriving from MethodException keeps the exception unwrapped, so that
/// <c>catch [ShmPS.SharedMemoryException]</c> matches it and <c>catch [System.IO.IOException]</c> (or any
/// other family) matches its InnerException, and <c>$_.FullyQualifiedErrorId</c> is the ErrorId.
/// </remarks>
public class SharedMemoryException : MethodException, ISharedMemoryError
{
    private ErrorRecord? _record;

    internal SharedMemoryException(Exception family) : base(family.Message, family)
    {
        var error = (ISharedMemoryError)family;
        ErrorId = error.ErrorId;
        Category = error.Category;
        Target = error.Target;
        RecommendedAction = error.RecommendedAction;
    }

    /// <summary>The stable ErrorId, such as SharedMemoryNotFound.</summary>
    public string ErrorId { get; }

    public SharedMemoryErrorCategory Category { get; }

    public object? Target { get; }

    public string? RecommendedAction { get; }

    /// <summary>The record PowerShell shows for a method's failure: FullyQualifiedErrorId is the ErrorId.</summary>
    public override ErrorRecord ErrorRecord => _record ??= ErrorRecords.Record(this, ErrorId, Category, Target, RecommendedAction);

    /// <summary>Installed when the module loads: every failure the core makes is presented this way.</summary>
    internal static Exception Present(Exception family) =>
        family is ISharedMemoryError and not SharedMemoryException ? new SharedMemoryException(family) : family;
}
