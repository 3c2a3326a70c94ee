using System;
using System.Management.Automation;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The one place that turns failures into ErrorRecords: errno → ErrorId, ErrorCategory, message and
/// recommended action. Error ids are stable; tests assert them with Should -Throw -ErrorId.
/// </summary>
internal static class ErrorHelper
{
    public static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        if (exception is SharedMemoryException sme)
        {
            return Record(sme, sme.ErrorId, sme.Category, sme.Target ?? target, sme.RecommendedAction);
        }
        if (exception is NativeException native)
        {
            // Re-wrap so the message names the object and the errno.
            SharedMemoryException wrapped = FromNative(native, target);
            return Record(wrapped, wrapped.ErrorId, wrapped.Category, target, wrapped.RecommendedAction);
        }
        if (exception is PipelineStoppedException)
        {
            throw exception;
        }
        return Record(exception, "SharedMemoryError", ErrorCategory.NotSpecified, target, null);
    }

    /// <summary>A NativeException described in terms of the object it was about.</summary>
    public static SharedMemoryException FromNative(NativeException native, object? target)
    {
        (string id, ErrorCategory category, string action) = native.Errno switch
        {
            Errno.ENOENT or Errno.EIDRM => ("SharedMemoryNotFound", ErrorCategory.ObjectNotFound,
                "Check the identity with Get-SharedMemory; the object may have been removed."),
            Errno.EEXIST => ("SharedMemoryExists", ErrorCategory.ResourceExists,
                "Choose another identity, or add -Force to open the existing object."),
            Errno.EACCES or Errno.EPERM => ("PermissionDenied", ErrorCategory.PermissionDenied,
                "Check Mode, Owner and Group with Get-SharedMemory; the owner can grant access with Set-SharedMemoryPermission."),
            Errno.ENOSPC or Errno.ENOMEM or Errno.EFBIG or Errno.EDQUOT => ("InsufficientSpace", ErrorCategory.LimitsExceeded,
                "Free space by removing objects that are no longer needed (Get-SharedMemory | Remove-SharedMemory), or choose a smaller size."),
            Errno.ELOOP => ("SymbolicLinkRefused", ErrorCategory.SecurityError,
                "A symbolic link stands at this name and ShmPS never follows one. Remove the link if it was not expected."),
            Errno.ENAMETOOLONG => ("InvalidSharedMemoryName", ErrorCategory.InvalidArgument,
                "Use a name of at most 255 bytes."),
            Errno.EINVAL => ("InvalidArgument", ErrorCategory.InvalidArgument,
                "Check the size and the other arguments against the kernel's limits."),
            Errno.EROFS => ("ReadOnlyFileSystem", ErrorCategory.PermissionDenied,
                "Choose a location on a writable file system."),
            _ => ("NativeError", ErrorCategory.NotSpecified, "See the errno for details."),
        };
        string name = Describe(target);
        string message = name.Length == 0
            ? $"{native.Function} failed: {Errno.Describe(native.Errno)}."
            : $"{name}: {native.Function} failed: {Errno.Describe(native.Errno)}.";
        return new SharedMemoryException(id, category, message, target, action, native);
    }

    private static string Describe(object? target) => target switch
    {
        SharedMemory shm => $"{shm.KindDescription} '{shm.Name}'",
        null => "",
        _ => $"'{target}'",
    };

    private static ErrorRecord Record(Exception ex, string id, ErrorCategory category, object? target, string? action)
    {
        var record = new ErrorRecord(ex, id, category, target);
        if (action is not null)
        {
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = action };
        }
        return record;
    }

    #region Managed failures

    public static SharedMemoryException NotFound(string kind, string identity) =>
        new("SharedMemoryNotFound", ErrorCategory.ObjectNotFound,
            $"No {kind} '{identity}' exists.", identity,
            "List the existing objects with Get-SharedMemory.");

    public static SharedMemoryException Exists(string kind, string identity) =>
        new("SharedMemoryExists", ErrorCategory.ResourceExists,
            $"{kind} '{identity}' already exists.", identity,
            "Choose another identity, or add -Force to open the existing object.");

    public static SharedMemoryException InvalidName(string name, string reason) =>
        new("InvalidSharedMemoryName", ErrorCategory.InvalidArgument,
            $"'{Printable(name)}' is not a valid POSIX shared memory name: {reason}", name,
            "Use one path component of 1 to 255 bytes, such as /mydata, without NUL, '.' or '..'.");

    public static SharedMemoryException InvalidSize(long size, string reason) =>
        new("InvalidSize", ErrorCategory.InvalidArgument,
            $"Size {size} is not valid: {reason}", size,
            "Give a positive size such as 4096 or 1MB.");

    public static SharedMemoryException OffsetOutOfRange(SharedMemory shm, long offset, long count, long size) =>
        new("OffsetOutOfRange", ErrorCategory.InvalidArgument,
            $"{shm.KindDescription} '{shm.Name}': offset {offset} and count {count} do not fit in its {size} bytes.",
            shm, $"Use an offset from 0 to {size} and a count of at most {size} minus the offset.");

    public static SharedMemoryException InsufficientSpace(string what, long size, string limitName, long limit) =>
        new("InsufficientSpace", ErrorCategory.LimitsExceeded,
            $"Cannot reserve {size} bytes for {what}: {limitName} is {limit} bytes.", what,
            "Free space, raise the limit, or choose a smaller size (-Sparse skips the reservation, at the risk of write errors later).");

    public static SharedMemoryException SymbolicLinkRefused(string kind, string path) =>
        new("SymbolicLinkRefused", ErrorCategory.SecurityError,
            $"A symbolic link stands where the {kind} '{path}' would be, and ShmPS never follows one.", path,
            "Remove the link if it was not expected (ls -l shows where it points), or use another name.");

    public static SharedMemoryException NotRegularFile(string kind, string path, string fileType) =>
        new("NotARegularFile", ErrorCategory.InvalidType,
            $"'{path}' is a {fileType}, not a regular file, so it cannot be a {kind}.", path,
            "Give the path of a regular file, or a path where none exists yet.");

    /// <summary>What stands where a regular file was expected: a refused link, or some other kind of file.</summary>
    public static SharedMemoryException NotRegular(string kind, string name, string path, in Statx st) => st.IsSymbolicLink
        ? SymbolicLinkRefused(kind, name)
        : NotRegularFile(kind, path, st.FileTypeDescription);

    private static string Printable(string s) => s.Replace("\0", "\\0");

    #endregion
}
