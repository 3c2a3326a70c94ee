using System;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// A failure that ShmPS detected itself (bad input, a limit, an object in the wrong state), carrying
/// everything an ErrorRecord needs. Native failures are <see cref="Native.NativeException"/>;
/// <see cref="ErrorHelper"/> turns either into an ErrorRecord.
/// </summary>
public sealed class SharedMemoryException : Exception
{
    internal SharedMemoryException(string errorId, ErrorCategory category, string message,
        object? target = null, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
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
}
