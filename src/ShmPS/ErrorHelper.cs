using System;
using System.Collections.Generic;
using System.IO;
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
        SharedMemoryException e = Translate(exception, target);
        return Record(e, e.ErrorId, e.Category, e.Target ?? target, e.RecommendedAction);
    }

    /// <summary>
    /// Any failure as a SharedMemoryException with a ShmPS id: the one translation, used where a
    /// failure leaves ShmPS (a cmdlet's error, a method's exception). Flow control is rethrown.
    /// </summary>
    public static SharedMemoryException Translate(Exception exception, object? target) => exception switch
    {
        ProviderInvocationException { InnerException: Exception inner } => Translate(inner, target),
        System.Management.Automation.DriveNotFoundException or ProviderNotFoundException => new(ErrorIds.InvalidPath, ErrorCategory.InvalidArgument,
            $"{Subject(target)}{exception.Message}", target, "Give a file system path (a drive such as / or ~, or a relative path).", exception),
        ItemNotFoundException => new(ErrorIds.SharedMemoryNotFound, ErrorCategory.ObjectNotFound,
            $"{Subject(target)}{exception.Message}", target, "Check the path.", exception),
        WildcardPatternException or PSInvalidCastException => new(ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument,
            $"{Subject(target)}{exception.Message}", target, "Check the arguments.", exception),
        SharedMemoryException sme => sme,
        NativeException native => FromNative(native, target),
        PipelineStoppedException or OperationCanceledException or FlowControlException => throw exception,
        ObjectDisposedException => Closed(target),
        DirectoryNotFoundException => new(ErrorIds.DirectoryNotFound, ErrorCategory.ObjectNotFound,
            $"{Subject(target)}{exception.Message}", target, "Check the path; create the directory first if it should exist.", exception),
        FileNotFoundException => new(ErrorIds.SharedMemoryNotFound, ErrorCategory.ObjectNotFound,
            $"{Subject(target)}{exception.Message}", target, "Check the path.", exception),
        PathTooLongException => new(ErrorIds.InvalidPath, ErrorCategory.InvalidArgument,
            $"{Subject(target)}{exception.Message}", target, PathAction, exception),
        UnauthorizedAccessException => new(ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied,
            $"{Subject(target)}{exception.Message}", target, "Check the permissions of the file and its directories.", exception),
        // On Linux the runtime's IOException carries the errno in HResult.
        IOException io when io.HResult is > 0 and < 4096 => FromNative(new NativeException("I/O", io.HResult), target, io),
        ArgumentNullException or ArgumentOutOfRangeException or ArgumentException => new(ErrorIds.InvalidArgument,
            ErrorCategory.InvalidArgument, $"{Subject(target)}{exception.Message}", target, "Check the arguments.", exception),
        OutOfMemoryException or InsufficientMemoryException => new(ErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded,
            $"{Subject(target)}not enough memory: {exception.Message}", target, "Work in smaller parts (-Offset and -Count).", exception),
        _ => new(ErrorIds.SharedMemoryError, ErrorCategory.NotSpecified, $"{Subject(target)}{exception.Message}", target,
            "This is a failure ShmPS did not foresee; please report it with the command that caused it.", exception),
    };

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

    private const string PathAction = "Give a path without NUL characters, with components of at most 255 bytes and at most 4095 bytes in all.";

    /// <summary>A NativeException described in terms of the object it was about.</summary>
    public static SharedMemoryException FromNative(NativeException native, object? target, Exception? inner = null)
    {
        (string id, ErrorCategory category, string action) = native.Errno switch
        {
            _ when native.NulInArgument => (ErrorIds.InvalidPath, ErrorCategory.InvalidArgument,
                "Names and paths cannot contain NUL characters: the system would cut them there and act on another object."),
            Errno.ENOENT or Errno.EIDRM or Errno.ENOTDIR => (ErrorIds.SharedMemoryNotFound, ErrorCategory.ObjectNotFound,
                "Check the identity with Get-SharedMemory; the object may have been removed."),
            Errno.EEXIST => (ErrorIds.SharedMemoryExists, ErrorCategory.ResourceExists,
                "Choose another identity, or add -Force to open the existing object."),
            Errno.EACCES or Errno.EPERM => (ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied,
                "Check Mode, Owner and Group with Get-SharedMemory; the owner can grant access with Set-SharedMemoryPermission."),
            Errno.ENOSPC or Errno.ENOMEM or Errno.EDQUOT => (ErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded,
                "Free space by removing objects that are no longer needed (Get-SharedMemory | Remove-SharedMemory), or choose a smaller size. Get-SharedMemoryLimit shows the limits and what is in use."),
            // EFBIG is RLIMIT_FSIZE (SIGXFSZ ignored) or the file system's own maximum file size (ext4: 16 TiB
            // with 4 KiB blocks): without a limit set it can only be the latter.
            Errno.EFBIG when Libc.GetFileSizeLimit() != ulong.MaxValue => (ErrorIds.FileSizeLimitExceeded, ErrorCategory.LimitsExceeded,
                "Stay within the file size limit (ulimit -f, RLIMIT_FSIZE), or raise it; the file system's own maximum file size may also be the cause."),
            Errno.EFBIG => (ErrorIds.FileTooLarge, ErrorCategory.LimitsExceeded,
                "Choose a smaller size: the file system cannot hold a file this large (its maximum file size is not a ulimit and cannot be raised)."),
            Errno.EMFILE or Errno.ENFILE => (ErrorIds.TooManyOpenFiles, ErrorCategory.ResourceUnavailable,
                "Close objects kept open by methods (Close()), or raise the limit on open files (ulimit -n)."),
            Errno.EFAULT => (ErrorIds.MemoryFault, ErrorCategory.ResourceUnavailable,
                "The system could not provide the memory (for example a huge-page segment without a free huge page); nothing was copied past that point."),
            Errno.ELOOP => (ErrorIds.SymbolicLinkRefused, ErrorCategory.SecurityError,
                "A symbolic link stands at this name and ShmPS never follows one. Remove the link if it was not expected."),
            Errno.ENAMETOOLONG => (ErrorIds.InvalidPath, ErrorCategory.InvalidArgument, PathAction),
            Errno.EISDIR => (ErrorIds.NotARegularFile, ErrorCategory.InvalidType, "Give the path of a regular file."),
            Errno.EINVAL => (ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument,
                "Check the size and the other arguments against the kernel's limits."),
            Errno.EROFS => (ErrorIds.ReadOnlyFileSystem, ErrorCategory.PermissionDenied,
                "Choose a location on a writable file system."),
            _ => (ErrorIds.NativeError, ErrorCategory.NotSpecified, "See the errno for details."),
        };
        string reason = native.NulInArgument ? "the name or path contains a NUL character" : Errno.Describe(native.Errno);
        string message = $"{Subject(target)}{native.Function} failed: {reason}.";
        return new SharedMemoryException(id, category, message, target, action, inner ?? native);
    }

    /// <summary>"POSIX shared memory object '/x': ", or nothing without a target.</summary>
    private static string Subject(object? target)
    {
        string name = Describe(target);
        return name.Length == 0 ? "" : name + ": ";
    }

    private static string Describe(object? target) => target switch
    {
        SharedMemory shm => $"{shm.KindDescription} '{shm.DisplayName}'",
        null => "",
        string text => $"'{Printable(text)}'",
        _ => $"'{Printable(target.ToString() ?? "")}'",
    };

    private static ErrorRecord Record(Exception ex, string id, ErrorCategory category, object? target, string? action)
    {
        var record = new ErrorRecord(ex, id, category, target);
        if (target is string text)
        {
            // The error view shows TargetName (NormalView: "(NAME:String)"): a name another user chose, escaped.
            record.CategoryInfo.TargetName = Printable(text);
        }
        if (action is not null)
        {
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = action };
        }
        return record;
    }

    #region Managed failures

    public static SharedMemoryException Closed(object? target) =>
        new(ErrorIds.SharedMemoryClosed, ErrorCategory.InvalidOperation,
            $"{Subject(target)}this object was closed (Close() or Dispose()), so its methods cannot be used any more.", target,
            "Get a new object with Get-SharedMemory; cmdlets still accept the closed one as the identity.");

    public static SharedMemoryException ReadTooLarge(SharedMemory shm, long count, Exception? inner) =>
        new(ErrorIds.ReadTooLarge, ErrorCategory.LimitsExceeded,
            $"{Subject(shm)}{ByteSize.Describe(count)} do not fit in one array (or in memory).", shm,
            "Read in parts with -Offset and -Count, into an existing buffer, or into a file with -OutFile.", inner);

    /// <summary>C declarations that New-SharedMemoryLayout or -Layout cannot lay out exactly; the message names the line and the token.</summary>
    public static SharedMemoryException InvalidLayout(string message, string? token) =>
        new(ErrorIds.InvalidLayout, ErrorCategory.InvalidArgument,
            $"The C declarations cannot be laid out: {message}.", token,
            "Give structs, unions, enums and typedefs of fixed size, without bit-fields (about_ShmPS, Structured data, lists what is accepted).");

    public static SharedMemoryException InvalidPath(string path, string reason) =>
        new(ErrorIds.InvalidPath, ErrorCategory.InvalidArgument,
            $"'{Printable(path)}' is not a valid path: {reason}", path, PathAction);

    public static SharedMemoryException FileSizeLimitExceeded(string what, long end, long limit) =>
        new(ErrorIds.FileSizeLimitExceeded, ErrorCategory.LimitsExceeded,
            $"{what}: the file size limit (RLIMIT_FSIZE, ulimit -f) is {ByteSize.Describe(limit)}, and this would reach byte {end}.", what,
            "Stay below the limit, or raise it (ulimit -f) before starting PowerShell.");

    /// <summary>A row that another computer described (PSComputerName): its name would find this computer's object of that name.</summary>
    public static SharedMemoryException RemoteObject(string identity, string computer, string? hostId = null) =>
        !string.IsNullOrWhiteSpace(hostId) ? RemoteRow(identity, computer, hostId) : new(ErrorIds.RemoteObject, ErrorCategory.InvalidArgument,
            $"{(identity.Length == 0 ? "A row" : $"'{Printable(identity)}'")} describes an object on the computer '{Printable(computer)}', not on this one ({System.Environment.MachineName}): ShmPS acts only on objects of the computer it runs on, and nothing was done.",
            identity, $"Run the whole pipeline on that computer: Invoke-Command -HostName {Printable(computer)} {{ Get-SharedMemory ... | Remove-SharedMemory }}.");

    /// <summary>A row whose HostId is not this process's: read on another host, in another boot or in another namespace (a container).</summary>
    private static SharedMemoryException RemoteRow(string identity, string origin, string hostId) =>
        new(ErrorIds.RemoteObject, ErrorCategory.InvalidArgument,
            $"{(identity.Length == 0 ? "A row" : $"'{Printable(identity)}'")} describes an object read on {Printable(origin)} (HostId {Printable(hostId)}), not here (HostId {HostIdentity.Local}): its name would find another object here, so nothing was done.",
            identity, $"Run the whole pipeline where the row was made: Invoke-Command -HostName {Printable(origin)} {{ ... }}, or inside the container (docker exec, nsenter -t PID -i -m pwsh).");

    /// <summary>A row's name finds another file than the one the row was listed as (its FileId).</summary>
    public static SharedMemoryException NotListedObject(SharedMemory shm, string fileId) =>
        new(ErrorIds.SharedMemoryNotFound, ErrorCategory.ObjectNotFound,
            $"{shm.KindDescription} '{shm.DisplayName}' is file {shm.FileId}, not file {Printable(fileId)} that the row was listed as: the object was removed and its name given to another one, or the row's name lost bytes that are not UTF-8 on its way (a JSON or CSV file writes them as U+FFFD), so nothing was done.",
            shm, "Get the object again with Get-SharedMemory; for names that are not UTF-8, keep rows in memory or in CLIXML (Export-Clixml), which keeps every character.");

    /// <summary>-OutFile is the object's own file: emptying it would lose the data before it is read.</summary>
    public static SharedMemoryException OutFileIsSource(SharedMemory shm, string path) =>
        new(ErrorIds.OutFileIsSource, ErrorCategory.InvalidArgument,
            $"-OutFile '{path}' is the file of {shm.Subject} itself: writing it would empty it before it is read.",
            path, "Give another file for -OutFile.");

    /// <summary>A -Kind (or a row's Kind) that names no registered kind.</summary>
    public static SharedMemoryException UnknownKind(string text, IReadOnlyList<string> kinds) =>
        new(ErrorIds.UnknownKind, ErrorCategory.InvalidArgument,
            $"'{Printable(text)}' is not a kind of shared memory: the kinds are {string.Join(", ", kinds)}.", text,
            $"Give -Kind one of {string.Join(", ", kinds)}.");

    /// <summary>Parameters that describe different kinds, or an option the kind does not take.</summary>
    public static SharedMemoryException KindConflict(string message, object? target) =>
        new(ErrorIds.KindConflict, ErrorCategory.InvalidArgument, message, target);

    /// <summary>A kind that is named by a path was not given one.</summary>
    public static SharedMemoryException PathRequired(string message, object? target) =>
        new(ErrorIds.PathRequired, ErrorCategory.InvalidArgument, message, target);

    /// <summary>Several parameters each choose the same thing (the key of a segment).</summary>
    public static SharedMemoryException KeyConflict(string message, object? target) =>
        new(ErrorIds.KeyConflict, ErrorCategory.InvalidArgument, message, target);

    public static SharedMemoryException NotFound(string kind, string identity) =>
        new(ErrorIds.SharedMemoryNotFound, ErrorCategory.ObjectNotFound,
            $"No {kind} '{Printable(identity)}' exists.", identity,
            "List the existing objects with Get-SharedMemory.");

    public static SharedMemoryException Exists(string kind, string identity) =>
        new(ErrorIds.SharedMemoryExists, ErrorCategory.ResourceExists,
            $"{kind} '{Printable(identity)}' already exists.", identity,
            "Choose another identity, or add -Force to open the existing object.");

    public static SharedMemoryException InvalidName(string name, string reason) =>
        new(ErrorIds.InvalidSharedMemoryName, ErrorCategory.InvalidArgument,
            $"'{Printable(name)}' is not a valid POSIX shared memory name: {reason}", name,
            "Use one path component of 1 to 255 bytes, such as /mydata, without NUL, '.' or '..'.");

    public static SharedMemoryException InvalidSize(long size, string reason) =>
        new(ErrorIds.InvalidSize, ErrorCategory.InvalidArgument,
            $"Size {size} is not valid: {reason}", size,
            "Give a positive size such as 4096 or 1MB.");

    /// <summary>What was asked, in the user's terms: an offset past the end, a negative count, or a range too long.</summary>
    public static SharedMemoryException OffsetOutOfRange(SharedMemory shm, long offset, long count, long size) =>
        new(ErrorIds.OffsetOutOfRange, ErrorCategory.InvalidArgument,
            $"{shm.KindDescription} '{shm.DisplayName}' has {size} bytes: " + (
                offset < 0 ? $"offset {offset} is negative."
                : offset > size ? $"offset {offset} is past its end."
                : count < 0 ? $"count {count} is negative."
                : $"{count} bytes from offset {offset} would end at byte {(Int128)offset + count}, past its end."), // Int128: no overflow to a negative end
            shm, $"Use an offset from 0 to {size} and a count of at most {size} minus the offset.");

    public static SharedMemoryException InsufficientSpace(string what, long size, string limitName, long limit) =>
        new(ErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded,
            $"Cannot reserve {ByteSize.Describe(size)} for {what}: {limitName} is {ByteSize.Describe(limit)}.", what,
            "Free space, raise the limit, or choose a smaller size (-Sparse skips the reservation, at the risk of write errors later). Get-SharedMemoryLimit shows the limits and what is in use.");

    public static SharedMemoryException SymbolicLinkRefused(string kind, string path) =>
        new(ErrorIds.SymbolicLinkRefused, ErrorCategory.SecurityError,
            $"A symbolic link stands where the {kind} '{Printable(path)}' would be, and ShmPS never follows one.", path,
            "Remove the link if it was not expected (ls -l shows where it points), or use another name.");

    public static SharedMemoryException HardLinkRefused(string kind, string path, uint links, string directory) =>
        new(ErrorIds.HardLinkRefused, ErrorCategory.SecurityError,
            $"'{Printable(path)}' has {links} hard links and its directory '{Printable(directory)}' can be written by other users: it may be another owner's file linked there, so ShmPS does not write it, truncate it or change its mode or owner.", path,
            "Check the file's other names (find / -samefile PATH -xdev); add -Force if the links are expected, or use another path.");

    public static SharedMemoryException NotRegularFile(string kind, string path, string fileType) =>
        new(ErrorIds.NotARegularFile, ErrorCategory.InvalidType,
            $"'{Printable(path)}' is a {fileType}, not a regular file, so it cannot be a {kind}.", path,
            "Give the path of a regular file, or a path where none exists yet.");

    /// <summary>What stands where a regular file was expected: a refused link, or some other kind of file.</summary>
    public static SharedMemoryException NotRegular(string kind, string name, string path, in Statx st) => st.IsSymbolicLink
        ? SymbolicLinkRefused(kind, name)
        : NotRegularFile(kind, path, st.FileTypeDescription);

    public static SharedMemoryException ProcessNotFound(int pid, string? detail = null) =>
        new(ErrorIds.ProcessNotFound, ErrorCategory.ObjectNotFound,
            detail is null ? $"No process with id {pid} exists." : $"Process {pid} {detail}", pid,
            "Give the id of a running process (Get-Process; for a container, (docker inspect NAME | ConvertFrom-Json).State.Pid).");

    /// <summary>Another process's namespaces could not be entered or inspected: that needs root.</summary>
    public static SharedMemoryException NamespaceAccessDenied(int pid, NativeException native) =>
        new(ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied,
            $"Cannot see what process {pid} sees: {native.Function} failed: {Errno.Describe(native.Errno)}. Entering another process's IPC namespace needs CAP_SYS_ADMIN, and its root directory and namespaces need permission to inspect the process (ptrace).",
            pid, "Run the command as root (sudo), or inside the process's namespaces (nsenter -t PID -i -m pwsh).", native);

    /// <summary>An object listed from another process's namespaces, given to something that would change it.</summary>
    public static SharedMemoryException ForeignNamespace(SharedMemory shm, string operation) =>
        new(ErrorIds.ForeignNamespace, ErrorCategory.InvalidOperation,
            $"{shm.KindDescription} '{shm.DisplayName}' belongs to the namespace {shm.Namespace} of process {shm.NamespaceProcessId}: {operation} is refused there; ShmPS only lists, refreshes and reads objects of another namespace.",
            shm, $"Run the command inside that namespace, for example: nsenter -t {shm.NamespaceProcessId} -i -m pwsh -c \"...\" (or docker exec).");

    /// <summary>Shrinking below what other processes map would make them fault (SIGBUS) on their next access there.</summary>
    public static SharedMemoryException InUse(SharedMemory shm, long size, IReadOnlyList<SharedMemoryProcess> users)
    {
        long needed = 0;
        foreach (SharedMemoryProcess p in users)
        {
            needed = Math.Max(needed, Math.Min(p.MappedEnd, shm.Size));
        }
        return new(ErrorIds.SharedMemoryInUse, ErrorCategory.ResourceBusy,
            $"{Subject(shm)}other processes map it up to byte {needed}, so shrinking it to {ByteSize.Describe(size)} would make them fault (SIGBUS) when they touch the memory past the new end: {SharedMemory.Describe(users)}.",
            shm, $"Stop those processes or let them unmap it first, shrink to at least {needed} bytes, or add -Force to shrink anyway.");
    }

    /// <summary>A wait (Wait-SharedMemory) that did not end within its -Timeout.</summary>
    /// <summary>A memfd sealed against the change (fcntl F_ADD_SEALS): the kernel refuses it to every process (EPERM).</summary>
    public static SharedMemoryException Sealed(SharedMemory shm, string operation, SharedMemorySeals seals) =>
        new(ErrorIds.Sealed, ErrorCategory.InvalidOperation,
            $"{Subject(shm)}{operation} is refused: the region is sealed ({seals}), and seals are never removed, for any process.", shm,
            "Make a new region (New-SharedMemory -Anonymous) with the size and seals needed, and copy the data there.");

    /// <summary>A region with no name that this process does not hold: nothing can unlink it; it goes when its holders let go.</summary>
    public static SharedMemoryException AnonymousNotRemovable(SharedMemory shm) =>
        new(ErrorIds.AnonymousNotRemovable, ErrorCategory.InvalidOperation,
            $"{Subject(shm)}it has no name that could be removed, and this session does not hold it: it lives until every process that maps or holds it ({SharedMemory.Describe(shm.Processes)}) lets go.", shm,
            "Stop or ask the processes in its Processes property to release it; ShmPS removes only regions this session made with New-SharedMemory -Anonymous.");

    public static SharedMemoryException WaitTimeout(object target, string what, TimeSpan timeout) =>
        new(ErrorIds.WaitTimeout, ErrorCategory.OperationTimeout,
            $"{Subject(target)}gave up waiting for {what} after {timeout.TotalSeconds:0.###} s.", target,
            "Wait longer (-Timeout), or check that the process that should act is running.");

    /// <summary>A document that does not fit after its header: refused before anything is written, so the last one stays whole.</summary>
    public static SharedMemoryException DocumentTooLarge(SharedMemory shm, long length, long room) =>
        new(ErrorIds.DocumentTooLarge, ErrorCategory.LimitsExceeded,
            $"{Subject(shm)}a document of {length} bytes does not fit: {Math.Max(0, room)} bytes are left after its 16-byte header. The document already there was left whole.",
            shm, "Make the object larger (Resize-SharedMemory, or a new System V segment) or the document smaller.");

    /// <summary>A document whose sequence stayed odd (a write in progress) for too long.</summary>
    public static SharedMemoryException DocumentBusy(SharedMemory shm, long offset, string detail) =>
        new(ErrorIds.DocumentBusy, ErrorCategory.ResourceBusy,
            $"{Subject(shm)}the document at offset {offset} {detail}", shm,
            "Try again; if a writer died in the middle of a write, the next Write-SharedMemory -Document repairs it.");

    /// <summary>Bytes at an offset that are not a ShmPS document header.</summary>
    public static SharedMemoryException InvalidDocument(SharedMemory shm, long offset, string detail) =>
        new(ErrorIds.InvalidDocument, ErrorCategory.InvalidData,
            $"{Subject(shm)}there is no document at offset {offset}: {detail}", shm,
            "Check -Offset; write a document there first with Write-SharedMemory -Document (about_ShmPS describes the format).");

    /// <summary>Something that needs the guarded native routine, where it could not be loaded.</summary>
    public static SharedMemoryException GuardUnavailable(object target, string what) =>
        new(ErrorIds.GuardUnavailable, ErrorCategory.NotEnabled,
            $"{Subject(target)}{what} need the guarded native routine (libshmps_guard.so), which is not available: {Native.Guard.Status}.", target,
            "Use the module as built by build.ps1 with gcc installed, without SHMPS_DATA_PATH=syscall; or take the object's lock (Lock-SharedMemory) around Read and Write instead.");

    /// <summary>The text as ShmPS shows text from elsewhere (DisplayText.Escape), so that a message cannot hide what was given or act on the terminal.</summary>
    internal static string Printable(string s) => DisplayText.Escape(s);

    #endregion
}
