using System;
using System.IO;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// A failure of ShmPS, carrying everything an ErrorRecord needs. Its InnerException is the same failure
/// as the .NET exception a C# caller would catch (<see cref="SharedMemoryIOException"/>,
/// <see cref="SharedMemoryAccessDeniedException"/>, <see cref="SharedMemoryRangeException"/>,
/// <see cref="SharedMemoryClosedException"/>, <see cref="SharedMemoryTimeoutException"/>, …), each also
/// carrying the ErrorId (<see cref="ISharedMemoryError"/>).
/// </summary>
/// <remarks>
/// Why two exceptions: PowerShell wraps what a method throws in a MethodInvocationException unless it is
/// a MethodException, and a catch clause matches the thrown exception's class or its InnerException's,
/// by class only. Deriving from MethodException keeps the exception unwrapped, so that
/// <c>catch [ShmPS.SharedMemoryException]</c> matches it and <c>catch [System.IO.IOException]</c> (or any
/// other family) matches its InnerException, and <c>$_.FullyQualifiedErrorId</c> is the ErrorId.
/// In C#: <c>catch (SharedMemoryException e) when (e.InnerException is IOException)</c>.
/// </remarks>
public class SharedMemoryException : MethodException, ISharedMemoryError
{
    private ErrorRecord? _record;

    internal SharedMemoryException(string errorId, ErrorCategory category, string message,
        object? target = null, string? recommendedAction = null, Exception? inner = null)
        : base(message, Family(errorId, category, message, inner))
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    /// <summary>The stable ErrorId, such as SharedMemoryNotFound.</summary>
    public string ErrorId { get; }

    public ErrorCategory Category { get; }

    public object? Target { get; }

    public string? RecommendedAction { get; }

    /// <summary>The record PowerShell shows for a method's failure: FullyQualifiedErrorId is the ErrorId.</summary>
    public override ErrorRecord ErrorRecord => _record ??= new ErrorRecord(this, ErrorId, Category, Target)
    {
        ErrorDetails = RecommendedAction is null ? null : new ErrorDetails(Message) { RecommendedAction = RecommendedAction },
    };

    /// <summary>The .NET family of a failure: what a C# caller would catch.</summary>
    private static Exception Family(string id, ErrorCategory category, string message, Exception? cause) => (id, category) switch
    {
        (ErrorIds.SharedMemoryClosed, _) => new SharedMemoryClosedException(id, message, cause),
        (ErrorIds.OffsetOutOfRange or ErrorIds.InvalidSize or ErrorIds.ReadTooLarge, _) => new SharedMemoryRangeException(id, message, cause),
        (_, ErrorCategory.PermissionDenied) when id != ErrorIds.ReadOnlyFileSystem => new SharedMemoryAccessDeniedException(id, message, cause),
        (_, ErrorCategory.OperationTimeout) => new SharedMemoryTimeoutException(id, message, cause),
        (_, ErrorCategory.InvalidArgument) => new SharedMemoryArgumentException(id, message, cause),
        (_, ErrorCategory.InvalidOperation) => new SharedMemoryInvalidOperationException(id, message, cause),
        _ => new SharedMemoryIOException(id, message, cause),
    };
}

/// <summary>What every ShmPS exception carries: the stable ErrorId.</summary>
public interface ISharedMemoryError
{
    string ErrorId { get; }
}

/// <summary>I/O failures: not found, exists, no space, limits, refused links and file types, system errors.</summary>
public sealed class SharedMemoryIOException : IOException, ISharedMemoryError
{
    internal SharedMemoryIOException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}

/// <summary>PermissionDenied.</summary>
public sealed class SharedMemoryAccessDeniedException : UnauthorizedAccessException, ISharedMemoryError
{
    internal SharedMemoryAccessDeniedException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}

/// <summary>Offsets, counts and sizes out of range.</summary>
public sealed class SharedMemoryRangeException : ArgumentOutOfRangeException, ISharedMemoryError
{
    internal SharedMemoryRangeException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}

/// <summary>Other invalid arguments (names, paths, keys, modes, values).</summary>
public sealed class SharedMemoryArgumentException : ArgumentException, ISharedMemoryError
{
    internal SharedMemoryArgumentException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}

/// <summary>SharedMemoryClosed: the object's methods were used after Close() or Dispose().</summary>
public sealed class SharedMemoryClosedException : ObjectDisposedException, ISharedMemoryError
{
    internal SharedMemoryClosedException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}

/// <summary>Timeouts (LockTimeout).</summary>
public sealed class SharedMemoryTimeoutException : TimeoutException, ISharedMemoryError
{
    internal SharedMemoryTimeoutException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}

/// <summary>An action the object's state or kind does not allow (a System V resize, a foreign namespace, a held lock).</summary>
public sealed class SharedMemoryInvalidOperationException : InvalidOperationException, ISharedMemoryError
{
    internal SharedMemoryInvalidOperationException(string errorId, string message, Exception? inner) : base(message, inner) => ErrorId = errorId;

    public string ErrorId { get; }
}
