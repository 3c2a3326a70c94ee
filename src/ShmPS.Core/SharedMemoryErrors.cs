using System;
using System.IO;

namespace ShmPS;

/// <summary>
/// What kind of failure an error is. The names and values are those of PowerShell's ErrorCategory, so
/// that the module maps one onto the other by value (tests/Layers.Tests.ps1 checks they agree).
/// </summary>
public enum SharedMemoryErrorCategory
{
    NotSpecified = 0,
    OpenError = 1,
    CloseError = 2,
    DeviceError = 3,
    DeadlockDetected = 4,
    InvalidArgument = 5,
    InvalidData = 6,
    InvalidOperation = 7,
    InvalidResult = 8,
    InvalidType = 9,
    MetadataError = 10,
    NotImplemented = 11,
    NotInstalled = 12,
    ObjectNotFound = 13,
    OperationStopped = 14,
    OperationTimeout = 15,
    SyntaxError = 16,
    ParserError = 17,
    PermissionDenied = 18,
    ResourceBusy = 19,
    ResourceExists = 20,
    ResourceUnavailable = 21,
    ReadError = 22,
    WriteError = 23,
    FromStdErr = 24,
    SecurityError = 25,
    ProtocolError = 26,
    ConnectionError = 27,
    AuthenticationError = 28,
    LimitsExceeded = 29,
    QuotaExceeded = 30,
    NotEnabled = 31,
}

/// <summary>
/// What every ShmPS failure carries: the stable ErrorId (such as SharedMemoryNotFound), its category,
/// the object or value it was about, and what to do. A C# caller catches the .NET family it belongs to
/// and reads these: <c>catch (IOException e) when (e is ISharedMemoryError { ErrorId: "SharedMemoryNotFound" })</c>.
/// </summary>
public interface ISharedMemoryError
{
    string ErrorId { get; }

    SharedMemoryErrorCategory Category { get; }

    object? Target { get; }

    string? RecommendedAction { get; }
}

/// <summary>
/// Where every ShmPS failure becomes an exception (ErrorHelper's factories end here). The exception is
/// one of the families below, chosen by id and category; a host may present it in its own form
/// (the PowerShell module wraps it so that a method's failure keeps its ErrorId, see
/// SharedMemoryException there), which is why code that catches ShmPS's failures tests for
/// <see cref="ISharedMemoryError"/>, never for a class.
/// </summary>
public static class SharedMemoryErrors
{
    /// <summary>How the host presents a failure; null: the family exception itself.</summary>
    internal static Func<Exception, Exception>? Present { get; set; }

    internal static Exception Create(string errorId, SharedMemoryErrorCategory category, string message,
        object? target, string? recommendedAction, Exception? cause)
    {
        var info = new ErrorInfo(errorId, category, target, recommendedAction);
        Exception family = (errorId, category) switch
        {
            (ErrorIds.SharedMemoryClosed, _) => new SharedMemoryClosedException(info, message, cause),
            (ErrorIds.OffsetOutOfRange or ErrorIds.InvalidSize or ErrorIds.ReadTooLarge, _) => new SharedMemoryRangeException(info, message, cause),
            (_, SharedMemoryErrorCategory.PermissionDenied) when errorId != ErrorIds.ReadOnlyFileSystem => new SharedMemoryAccessDeniedException(info, message, cause),
            (_, SharedMemoryErrorCategory.OperationTimeout) => new SharedMemoryTimeoutException(info, message, cause),
            (_, SharedMemoryErrorCategory.InvalidArgument) => new SharedMemoryArgumentException(info, message, cause),
            (_, SharedMemoryErrorCategory.InvalidOperation) => new SharedMemoryInvalidOperationException(info, message, cause),
            _ => new SharedMemoryIOException(info, message, cause),
        };
        return Present?.Invoke(family) ?? family;
    }

    /// <summary>The id of a ShmPS failure, or null for any other exception.</summary>
    public static string? IdOf(Exception e) => (e as ISharedMemoryError)?.ErrorId;
}

/// <summary>The fields every family exception carries.</summary>
internal sealed record ErrorInfo(string ErrorId, SharedMemoryErrorCategory Category, object? Target, string? RecommendedAction);

/// <summary>I/O failures: not found, exists, no space, limits, refused links and file types, system errors.</summary>
public sealed class SharedMemoryIOException : IOException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryIOException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}

/// <summary>PermissionDenied.</summary>
public sealed class SharedMemoryAccessDeniedException : UnauthorizedAccessException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryAccessDeniedException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}

/// <summary>Offsets, counts and sizes out of range.</summary>
public sealed class SharedMemoryRangeException : ArgumentOutOfRangeException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryRangeException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}

/// <summary>Other invalid arguments (names, paths, keys, modes, values).</summary>
public sealed class SharedMemoryArgumentException : ArgumentException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryArgumentException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}

/// <summary>SharedMemoryClosed: the object's methods were used after Close() or Dispose().</summary>
public sealed class SharedMemoryClosedException : ObjectDisposedException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryClosedException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}

/// <summary>Timeouts (LockTimeout, WaitTimeout).</summary>
public sealed class SharedMemoryTimeoutException : TimeoutException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryTimeoutException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}

/// <summary>An action the object's state or kind does not allow (a System V resize, a foreign namespace, a held lock).</summary>
public sealed class SharedMemoryInvalidOperationException : InvalidOperationException, ISharedMemoryError
{
    private readonly ErrorInfo _info;

    internal SharedMemoryInvalidOperationException(ErrorInfo info, string message, Exception? inner) : base(message, inner) => _info = info;

    public string ErrorId => _info.ErrorId;
    public SharedMemoryErrorCategory Category => _info.Category;
    public object? Target => _info.Target;
    public string? RecommendedAction => _info.RecommendedAction;
}
