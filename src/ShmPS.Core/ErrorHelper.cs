using System;
using System.Collections.Generic;
using System.IO;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// The one place that makes ShmPS's failures: errno → ErrorId, category, message and recommended
/// action. Error ids are stable; tests assert them with Should -Throw -ErrorId. The module turns the
/// failures into ErrorRecords (ErrorRecords there).
/// </summary>
internal static class ErrorHelper
{
    /// <summary>
    /// Where a ShmPS failure is made: every factory below ends here, and SharedMemoryErrors picks the
    /// .NET family the failure belongs to.
    /// </summary>
    internal static Exception Make(string errorId, SharedMemoryErrorCategory category, string message,
        object? target = null, string? recommendedAction = null, Exception? inner = null) =>
        SharedMemoryErrors.Create(errorId, category, message, target, recommendedAction, inner);

    /// <summary>
    /// Any failure as a ShmPS failure with an id: used where a failure leaves the core (a method of an
    /// object). Flow control (cancellation) is rethrown; the module adds PowerShell's own exceptions.
    /// </summary>
    public static Exception Translate(Exception exception, object? target) => exception switch
    {
        ISharedMemoryError => exception,
        NativeException native => FromNative(native, target),
        OperationCanceledException => throw exception,
        ObjectDisposedException => Closed(target),
        DirectoryNotFoundException => Make(ErrorIds.DirectoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"{Subject(target)}{exception.Message}", target, "Check the path; create the directory first if it should exist.", exception),
        FileNotFoundException => Make(ErrorIds.SharedMemoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"{Subject(target)}{exception.Message}", target, "Check the path.", exception),
        PathTooLongException => Make(ErrorIds.InvalidPath, SharedMemoryErrorCategory.InvalidArgument,
            $"{Subject(target)}{exception.Message}", target, PathAction, exception),
        UnauthorizedAccessException => Make(ErrorIds.PermissionDenied, SharedMemoryErrorCategory.PermissionDenied,
            $"{Subject(target)}{exception.Message}", target, "Check the permissions of the file and its directories.", exception),
        // On Linux the runtime's IOException carries the errno in HResult.
        IOException io when io.HResult is > 0 and < 4096 => FromNative(new NativeException("I/O", io.HResult), target, io),
        ArgumentNullException or ArgumentOutOfRangeException or ArgumentException => Make(ErrorIds.InvalidArgument,
            SharedMemoryErrorCategory.InvalidArgument, $"{Subject(target)}{exception.Message}", target, "Check the arguments.", exception),
        OutOfMemoryException or InsufficientMemoryException => Make(ErrorIds.InsufficientSpace, SharedMemoryErrorCategory.LimitsExceeded,
            $"{Subject(target)}not enough memory: {exception.Message}", target, "Work in smaller parts (-Offset and -Count).", exception),
        _ => Make(ErrorIds.SharedMemoryError, SharedMemoryErrorCategory.NotSpecified, $"{Subject(target)}{exception.Message}", target,
            "This is a failure ShmPS did not foresee; please report it with the command that caused it.", exception),
    };

    /// <summary>"POSIX shared memory object '/x': ", or nothing without a target.</summary>
    internal static string Subject(object? target)
    {
        string name = Describe(target);
        return name.Length == 0 ? "" : name + ": ";
    }

    private const string PathAction = "Give a path without NUL characters, with components of at most 255 bytes and at most 4095 bytes in all.";

    /// <summary>A NativeException described in terms of the object it was about.</summary>
    public static Exception FromNative(NativeException native, object? target, Exception? inner = null)
    {
        (string id, SharedMemoryErrorCategory category, string action) = native.Errno switch
        {
            _ when native.NulInArgument => (ErrorIds.InvalidPath, SharedMemoryErrorCategory.InvalidArgument,
                "Names and paths cannot contain NUL characters: the system would cut them there and act on another object."),
            Errno.ENOENT or Errno.EIDRM or Errno.ENOTDIR => (ErrorIds.SharedMemoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
                "Check the identity with Get-SharedMemory; the object may have been removed."),
            Errno.EEXIST => (ErrorIds.SharedMemoryExists, SharedMemoryErrorCategory.ResourceExists,
                "Choose another identity, or add -Force to open the existing object."),
            Errno.EACCES or Errno.EPERM => (ErrorIds.PermissionDenied, SharedMemoryErrorCategory.PermissionDenied,
                "Check Mode, Owner and Group with Get-SharedMemory; the owner can grant access with Set-SharedMemoryPermission."),
            Errno.ENOSPC or Errno.ENOMEM or Errno.EDQUOT => (ErrorIds.InsufficientSpace, SharedMemoryErrorCategory.LimitsExceeded,
                "Free space by removing objects that are no longer needed (Get-SharedMemory | Remove-SharedMemory), or choose a smaller size. Get-SharedMemoryLimit shows the limits and what is in use."),
            // EFBIG is RLIMIT_FSIZE (SIGXFSZ ignored) or the file system's own maximum file size (ext4: 16 TiB
            // with 4 KiB blocks): without a limit set it can only be the latter.
            Errno.EFBIG when Libc.GetFileSizeLimit() != ulong.MaxValue => (ErrorIds.FileSizeLimitExceeded, SharedMemoryErrorCategory.LimitsExceeded,
                "Stay within the file size limit (ulimit -f, RLIMIT_FSIZE), or raise it; the file system's own maximum file size may also be the cause."),
            Errno.EFBIG => (ErrorIds.FileTooLarge, SharedMemoryErrorCategory.LimitsExceeded,
                "Choose a smaller size: the file system cannot hold a file this large (its maximum file size is not a ulimit and cannot be raised)."),
            Errno.EMFILE or Errno.ENFILE => (ErrorIds.TooManyOpenFiles, SharedMemoryErrorCategory.ResourceUnavailable,
                "Close objects kept open by methods (Close()), or raise the limit on open files (ulimit -n)."),
            Errno.EFAULT => (ErrorIds.MemoryFault, SharedMemoryErrorCategory.ResourceUnavailable,
                "The system could not provide the memory (for example a huge-page segment without a free huge page); nothing was copied past that point."),
            Errno.ELOOP => (ErrorIds.SymbolicLinkRefused, SharedMemoryErrorCategory.SecurityError,
                "A symbolic link stands at this name and ShmPS never follows one. Remove the link if it was not expected."),
            Errno.ENAMETOOLONG => (ErrorIds.InvalidPath, SharedMemoryErrorCategory.InvalidArgument, PathAction),
            Errno.EISDIR => (ErrorIds.NotARegularFile, SharedMemoryErrorCategory.InvalidType, "Give the path of a regular file."),
            Errno.EINVAL => (ErrorIds.InvalidArgument, SharedMemoryErrorCategory.InvalidArgument,
                "Check the size and the other arguments against the kernel's limits."),
            Errno.EROFS => (ErrorIds.ReadOnlyFileSystem, SharedMemoryErrorCategory.PermissionDenied,
                "Choose a location on a writable file system."),
            _ => (ErrorIds.NativeError, SharedMemoryErrorCategory.NotSpecified, "See the errno for details."),
        };
        string reason = native.NulInArgument ? "the name or path contains a NUL character" : Errno.Describe(native.Errno);
        string message = $"{Subject(target)}{native.Function} failed: {reason}.";
        return Make(id, category, message, target, action, inner ?? native);
    }

    private static string Describe(object? target) => target switch
    {
        SharedMemory shm => $"{shm.KindDescription} '{shm.DisplayName}'",
        null => "",
        string text => $"'{Printable(text)}'",
        _ => $"'{Printable(target.ToString() ?? "")}'",
    };

    #region Managed failures

    public static Exception Closed(object? target) =>
        Make(ErrorIds.SharedMemoryClosed, SharedMemoryErrorCategory.InvalidOperation,
            $"{Subject(target)}this object was closed (Close() or Dispose()), so its methods cannot be used any more.", target,
            "Get a new object with Get-SharedMemory; cmdlets still accept the closed one as the identity.");

    public static Exception ReadTooLarge(SharedMemory shm, long count, Exception? inner) =>
        Make(ErrorIds.ReadTooLarge, SharedMemoryErrorCategory.LimitsExceeded,
            $"{Subject(shm)}{ByteSize.Describe(count)} do not fit in one array (or in memory).", shm,
            "Read in parts with -Offset and -Count, into an existing buffer, or into a file with -OutFile.", inner);

    /// <summary>C declarations that New-SharedMemoryLayout or -Layout cannot lay out exactly; the message names the line and the token.</summary>
    public static Exception InvalidLayout(string message, string? token) =>
        Make(ErrorIds.InvalidLayout, SharedMemoryErrorCategory.InvalidArgument,
            $"The C declarations cannot be laid out: {message}.", token,
            "Give structs, unions, enums and typedefs of fixed size, without bit-fields (about_ShmPS, Structured data, lists what is accepted).");

    public static Exception InvalidPath(string path, string reason) =>
        Make(ErrorIds.InvalidPath, SharedMemoryErrorCategory.InvalidArgument,
            $"'{Printable(path)}' is not a valid path: {reason}", path, PathAction);

    public static Exception FileSizeLimitExceeded(string what, long end, long limit) =>
        Make(ErrorIds.FileSizeLimitExceeded, SharedMemoryErrorCategory.LimitsExceeded,
            $"{what}: the file size limit (RLIMIT_FSIZE, ulimit -f) is {ByteSize.Describe(limit)}, and this would reach byte {end}.", what,
            "Stay below the limit, or raise it (ulimit -f) before starting PowerShell.");

    /// <summary>A row that another computer described (PSComputerName): its name would find this computer's object of that name.</summary>
    public static Exception RemoteObject(string identity, string computer, string? hostId = null) =>
        !string.IsNullOrWhiteSpace(hostId) ? RemoteRow(identity, computer, hostId) : Make(ErrorIds.RemoteObject, SharedMemoryErrorCategory.InvalidArgument,
            $"{(identity.Length == 0 ? "A row" : $"'{Printable(identity)}'")} describes an object on the computer '{Printable(computer)}', not on this one ({System.Environment.MachineName}): ShmPS acts only on objects of the computer it runs on, and nothing was done.",
            identity, $"Run the whole pipeline on that computer: Invoke-Command -HostName {Printable(computer)} {{ Get-SharedMemory ... | Remove-SharedMemory }}.");

    /// <summary>A row whose HostId is not this process's: read on another host, in another boot or in another namespace (a container).</summary>
    private static Exception RemoteRow(string identity, string origin, string hostId) =>
        Make(ErrorIds.RemoteObject, SharedMemoryErrorCategory.InvalidArgument,
            $"{(identity.Length == 0 ? "A row" : $"'{Printable(identity)}'")} describes an object read on {Printable(origin)} (HostId {Printable(hostId)}), not here (HostId {HostIdentity.Local}): its name would find another object here, so nothing was done.",
            identity, $"Run the whole pipeline where the row was made: Invoke-Command -HostName {Printable(origin)} {{ ... }}, or inside the container (docker exec, nsenter -t PID -i -m pwsh).");

    /// <summary>A row's name finds another file than the one the row was listed as (its FileId).</summary>
    public static Exception NotListedObject(SharedMemory shm, string fileId) =>
        Make(ErrorIds.SharedMemoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"{shm.KindDescription} '{shm.DisplayName}' is file {shm.FileId}, not file {Printable(fileId)} that the row was listed as: the object was removed and its name given to another one, or the row's name lost bytes that are not UTF-8 on its way (a JSON or CSV file writes them as U+FFFD), so nothing was done.",
            shm, "Get the object again with Get-SharedMemory; for names that are not UTF-8, keep rows in memory or in CLIXML (Export-Clixml), which keeps every character.");

    /// <summary>A value given as a key that no key can be; <paramref name="message"/> says what keys are (the kind's own words).</summary>
    public static Exception InvalidKeyValue(string text, string message) =>
        Make(ErrorIds.InvalidKey, SharedMemoryErrorCategory.InvalidArgument, message, text);

    /// <summary>-OutFile is the object's own file: emptying it would lose the data before it is read.</summary>
    public static Exception OutFileIsSource(SharedMemory shm, string path) =>
        Make(ErrorIds.OutFileIsSource, SharedMemoryErrorCategory.InvalidArgument,
            $"-OutFile '{path}' is the file of {shm.Subject} itself: writing it would empty it before it is read.",
            path, "Give another file for -OutFile.");

    /// <summary>A -Kind (or a row's Kind) that names no registered kind.</summary>
    public static Exception UnknownKind(string text, IReadOnlyList<string> kinds) =>
        Make(ErrorIds.UnknownKind, SharedMemoryErrorCategory.InvalidArgument,
            $"'{Printable(text)}' is not a kind of shared memory: the kinds are {string.Join(", ", kinds)}.", text,
            $"Give -Kind one of {string.Join(", ", kinds)}.");

    /// <summary>Parameters that describe different kinds, or an option the kind does not take.</summary>
    public static Exception KindConflict(string message, object? target) =>
        Make(ErrorIds.KindConflict, SharedMemoryErrorCategory.InvalidArgument, message, target);

    /// <summary>A kind that is named by a path was not given one.</summary>
    public static Exception PathRequired(string message, object? target) =>
        Make(ErrorIds.PathRequired, SharedMemoryErrorCategory.InvalidArgument, message, target);

    /// <summary>Several parameters each choose the same thing (the key of a segment).</summary>
    public static Exception KeyConflict(string message, object? target) =>
        Make(ErrorIds.KeyConflict, SharedMemoryErrorCategory.InvalidArgument, message, target);

    public static Exception NotFound(string kind, string identity) =>
        Make(ErrorIds.SharedMemoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"No {kind} '{Printable(identity)}' exists.", identity,
            "List the existing objects with Get-SharedMemory.");

    public static Exception Exists(string kind, string identity) =>
        Make(ErrorIds.SharedMemoryExists, SharedMemoryErrorCategory.ResourceExists,
            $"{kind} '{Printable(identity)}' already exists.", identity,
            "Choose another identity, or add -Force to open the existing object.");

    public static Exception InvalidName(string name, string reason) =>
        Make(ErrorIds.InvalidSharedMemoryName, SharedMemoryErrorCategory.InvalidArgument,
            $"'{Printable(name)}' is not a valid POSIX shared memory name: {reason}", name,
            "Use one path component of 1 to 255 bytes, such as /mydata, without NUL, '.' or '..'.");

    public static Exception InvalidSize(long size, string reason) =>
        Make(ErrorIds.InvalidSize, SharedMemoryErrorCategory.InvalidArgument,
            $"Size {size} is not valid: {reason}", size,
            "Give a positive size such as 4096 or 1MB.");

    /// <summary>What was asked, in the user's terms: an offset past the end, a negative count, or a range too long.</summary>
    public static Exception OffsetOutOfRange(SharedMemory shm, long offset, long count, long size) =>
        Make(ErrorIds.OffsetOutOfRange, SharedMemoryErrorCategory.InvalidArgument,
            $"{shm.KindDescription} '{shm.DisplayName}' has {size} bytes: " + (
                offset < 0 ? $"offset {offset} is negative."
                : offset > size ? $"offset {offset} is past its end."
                : count < 0 ? $"count {count} is negative."
                : $"{count} bytes from offset {offset} would end at byte {(Int128)offset + count}, past its end."), // Int128: no overflow to a negative end
            shm, $"Use an offset from 0 to {size} and a count of at most {size} minus the offset.");

    /// <summary>A method's access to a range that Protect() made ReadOnly (a write) or None (any access): refused, never a signal.</summary>
    public static Exception ProtectedRange(SharedMemory shm, long offset, long count, long start, long end, MemoryProtection protection, bool writing) =>
        Make(ErrorIds.ProtectedRange, SharedMemoryErrorCategory.PermissionDenied,
            $"{Subject(shm)}{(writing ? "writing" : "reading")} {count} bytes at offset {offset} meets bytes {start} to {end - 1}, which this session protected as {protection} (Protect), so nothing was {(writing ? "written" : "read")}.",
            shm, $"Undo it with Protect('ReadWrite', {start}, {end - start}), or use another range; cmdlets and other processes are not affected by this session's protection.");

    /// <summary>mlock or SHM_LOCK past RLIMIT_MEMLOCK without CAP_IPC_LOCK.</summary>
    public static Exception MemoryLockLimitExceeded(SharedMemory shm, long bytes, NativeException native)
    {
        ulong limit = Libc.GetMemoryLockLimit();
        string limitText = limit == ulong.MaxValue ? "unlimited" : ByteSize.Describe((long)Math.Min(limit, long.MaxValue));
        return Make(ErrorIds.MemoryLockLimitExceeded, SharedMemoryErrorCategory.LimitsExceeded,
            $"{Subject(shm)}cannot pin {ByteSize.Describe(bytes)} in RAM: {native.Function} failed ({Errno.Describe(native.Errno)}), since it would pass the locked-memory limit (RLIMIT_MEMLOCK, ulimit -l), which is {limitText} for this process and counts what it has locked already.",
            shm, "Raise the limit before starting PowerShell (ulimit -l, or LimitMEMLOCK= in a systemd unit, memlock in /etc/security/limits.conf), run as a user with CAP_IPC_LOCK, or pin a smaller object.", native);
    }

    public static Exception InsufficientSpace(string what, long size, string limitName, long limit) =>
        Make(ErrorIds.InsufficientSpace, SharedMemoryErrorCategory.LimitsExceeded,
            $"Cannot reserve {ByteSize.Describe(size)} for {what}: {limitName} is {ByteSize.Describe(limit)}.", what,
            "Free space, raise the limit, or choose a smaller size (-Sparse skips the reservation, at the risk of write errors later). Get-SharedMemoryLimit shows the limits and what is in use.");

    public static Exception SymbolicLinkRefused(string kind, string path) =>
        Make(ErrorIds.SymbolicLinkRefused, SharedMemoryErrorCategory.SecurityError,
            $"A symbolic link stands where the {kind} '{Printable(path)}' would be, and ShmPS never follows one.", path,
            "Remove the link if it was not expected (ls -l shows where it points), or use another name.");

    public static Exception HardLinkRefused(string kind, string path, uint links, string directory) =>
        Make(ErrorIds.HardLinkRefused, SharedMemoryErrorCategory.SecurityError,
            $"'{Printable(path)}' has {links} hard links and its directory '{Printable(directory)}' can be written by other users: it may be another owner's file linked there, so ShmPS does not write it, truncate it or change its mode or owner.", path,
            "Check the file's other names (find / -samefile PATH -xdev); add -Force if the links are expected, or use another path.");

    public static Exception NotRegularFile(string kind, string path, string fileType) =>
        Make(ErrorIds.NotARegularFile, SharedMemoryErrorCategory.InvalidType,
            $"'{Printable(path)}' is a {fileType}, not a regular file, so it cannot be a {kind}.", path,
            "Give the path of a regular file, or a path where none exists yet.");

    /// <summary>What stands where a regular file was expected: a refused link, or some other kind of file.</summary>
    public static Exception NotRegular(string kind, string name, string path, in Statx st) => st.IsSymbolicLink
        ? SymbolicLinkRefused(kind, name)
        : NotRegularFile(kind, path, st.FileTypeDescription);

    public static Exception ProcessNotFound(int pid, string? detail = null) =>
        Make(ErrorIds.ProcessNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            detail is null ? $"No process with id {pid} exists." : $"Process {pid} {detail}", pid,
            "Give the id of a running process (Get-Process; for a container, (docker inspect NAME | ConvertFrom-Json).State.Pid).");

    /// <summary>Another process's namespaces could not be entered or inspected: that needs root.</summary>
    public static Exception NamespaceAccessDenied(int pid, NativeException native) =>
        Make(ErrorIds.PermissionDenied, SharedMemoryErrorCategory.PermissionDenied,
            $"Cannot see what process {pid} sees: {native.Function} failed: {Errno.Describe(native.Errno)}. Entering another process's IPC namespace needs CAP_SYS_ADMIN, and its root directory and namespaces need permission to inspect the process (ptrace).",
            pid, "Run the command as root (sudo), or inside the process's namespaces (nsenter -t PID -i -m pwsh).", native);

    /// <summary>An object listed from another process's namespaces, given to something that would change it.</summary>
    public static Exception ForeignNamespace(SharedMemory shm, string operation) =>
        Make(ErrorIds.ForeignNamespace, SharedMemoryErrorCategory.InvalidOperation,
            $"{shm.KindDescription} '{shm.DisplayName}' belongs to the namespace {shm.Namespace} of process {shm.NamespaceProcessId}: {operation} is refused there; ShmPS only lists, refreshes and reads objects of another namespace.",
            shm, $"Run the command inside that namespace, for example: nsenter -t {shm.NamespaceProcessId} -i -m pwsh -c \"...\" (or docker exec).");

    /// <summary>Shrinking below what other processes map would make them fault (SIGBUS) on their next access there.</summary>
    public static Exception InUse(SharedMemory shm, long size, IReadOnlyList<SharedMemoryProcess> users)
    {
        long needed = 0;
        foreach (SharedMemoryProcess p in users)
        {
            needed = Math.Max(needed, Math.Min(p.MappedEnd, shm.Size));
        }
        return Make(ErrorIds.SharedMemoryInUse, SharedMemoryErrorCategory.ResourceBusy,
            $"{Subject(shm)}other processes map it up to byte {needed}, so shrinking it to {ByteSize.Describe(size)} would make them fault (SIGBUS) when they touch the memory past the new end: {SharedMemory.Describe(users)}.",
            shm, $"Stop those processes or let them unmap it first, shrink to at least {needed} bytes, or add -Force to shrink anyway.");
    }

    /// <summary>A memfd sealed against the change (fcntl F_ADD_SEALS): the kernel refuses it to every process (EPERM).</summary>
    public static Exception Sealed(SharedMemory shm, string operation, SharedMemorySeals seals) =>
        Make(ErrorIds.Sealed, SharedMemoryErrorCategory.InvalidOperation,
            $"{Subject(shm)}{operation} is refused: the region is sealed ({seals}), and seals are never removed, for any process.", shm,
            "Make a new region (New-SharedMemory -Anonymous) with the size and seals needed, and copy the data there.");

    /// <summary>A region with no name that this process does not hold: nothing can unlink it; it goes when its holders let go.</summary>
    public static Exception AnonymousNotRemovable(SharedMemory shm) =>
        Make(ErrorIds.AnonymousNotRemovable, SharedMemoryErrorCategory.InvalidOperation,
            $"{Subject(shm)}it has no name that could be removed, and this session does not hold it: it lives until every process that maps or holds it ({SharedMemory.Describe(shm.Processes)}) lets go.", shm,
            "Stop or ask the processes in its Processes property to release it; ShmPS removes only regions this session made with New-SharedMemory -Anonymous.");

    /// <summary>A wait (Wait-SharedMemory) that did not end within its -Timeout.</summary>
    public static Exception WaitTimeout(object target, string what, TimeSpan timeout) =>
        Make(ErrorIds.WaitTimeout, SharedMemoryErrorCategory.OperationTimeout,
            $"{Subject(target)}gave up waiting for {what} after {timeout.TotalSeconds:0.###} s.", target,
            "Wait longer (-Timeout), or check that the process that should act is running.");

    /// <summary>A document that does not fit after its header: refused before anything is written, so the last one stays whole.</summary>
    public static Exception DocumentTooLarge(SharedMemory shm, long length, long room) =>
        Make(ErrorIds.DocumentTooLarge, SharedMemoryErrorCategory.LimitsExceeded,
            $"{Subject(shm)}a document of {length} bytes does not fit: {Math.Max(0, room)} bytes are left after its 16-byte header. The document already there was left whole.",
            shm, "Make the object larger (Resize-SharedMemory, or a new System V segment) or the document smaller.");

    /// <summary>A document whose sequence stayed odd (a write in progress) for too long.</summary>
    public static Exception DocumentBusy(SharedMemory shm, long offset, string detail) =>
        Make(ErrorIds.DocumentBusy, SharedMemoryErrorCategory.ResourceBusy,
            $"{Subject(shm)}the document at offset {offset} {detail}", shm,
            "Try again; if a writer died in the middle of a write, the next Write-SharedMemory -Document repairs it.");

    /// <summary>Bytes at an offset that are not a ShmPS document header.</summary>
    public static Exception InvalidDocument(SharedMemory shm, long offset, string detail) =>
        Make(ErrorIds.InvalidDocument, SharedMemoryErrorCategory.InvalidData,
            $"{Subject(shm)}there is no document at offset {offset}: {detail}", shm,
            "Check -Offset; write a document there first with Write-SharedMemory -Document (about_ShmPS describes the format).");

    /// <summary>Something that needs the guarded native routine, where it could not be loaded.</summary>
    public static Exception GuardUnavailable(object target, string what) =>
        Make(ErrorIds.GuardUnavailable, SharedMemoryErrorCategory.NotEnabled,
            $"{Subject(target)}{what} need the guarded native routine (libshmps_guard.so), which is not available: {Native.Guard.Status}.", target,
            "Use the module as built by build.ps1 with gcc installed, without SHMPS_DATA_PATH=syscall; or take the object's lock (Lock-SharedMemory) around Read and Write instead.");

    /// <summary>The text as ShmPS shows text from elsewhere (DisplayText.Escape), so that a message cannot hide what was given or act on the terminal.</summary>
    internal static string Printable(string s) => DisplayText.Escape(s);

    #endregion
}
