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

    #region Kinds, locks and values

    public static Exception SystemVResizeNotSupported(SharedMemory shm, long id) =>
        Make(ErrorIds.SystemVResizeNotSupported, SharedMemoryErrorCategory.InvalidOperation,
            $"{shm.KindDescription} '{shm.DisplayName}' (id {id}) cannot be resized: System V segments have the size they were created with.",
            shm, "Create a new segment of the size you need (New-SharedMemory -Kind SystemV), copy the data, and remove this one; or use a POSIX object, which can be resized.");

    public static Exception InvalidKey(string text) =>
        Make(ErrorIds.InvalidKey, SharedMemoryErrorCategory.InvalidArgument,
            $"'{Printable(text)}' is not a System V key.", text, "Give a key such as 0x0000abcd or a 32-bit number.");

    public static Exception PrivateKey(int key) =>
        Make(ErrorIds.InvalidKey, SharedMemoryErrorCategory.InvalidArgument,
            "Key 0 is IPC_PRIVATE: private segments (and segments marked for removal) have no key to find them by.",
            key, "Use -Id to name a private segment.");

    public static Exception InvalidProjectId(int projectId) =>
        Make(ErrorIds.InvalidProjectId, SharedMemoryErrorCategory.InvalidArgument,
            $"Project id {projectId} has 0 in its low 8 bits; ftok uses only those bits and they must not be 0.",
            projectId, "Give a project id from 1 to 255.");

    public static Exception SegmentLimitReached(string key, NativeException e) =>
        Make(ErrorIds.InsufficientSpace, SharedMemoryErrorCategory.LimitsExceeded,
            "Cannot create a System V segment: the system-wide limit on segments (kernel.shmmni) or on pages (kernel.shmall) is reached.",
            key, "Remove segments that are no longer needed (Get-SharedMemory -Kind SystemV), or raise kernel.shmmni/shmall with sysctl (Get-SharedMemoryLimit shows both and what is in use).", e);

    /// <summary>Huge pages asked for and refused; <paramref name="available"/> says what the system has (/proc/meminfo).</summary>
    public static Exception HugePagesUnavailable(long size, NativeException e, string available) =>
        Make(ErrorIds.HugePagesUnavailable, SharedMemoryErrorCategory.ResourceUnavailable,
            $"Cannot create a segment of {ByteSize.Describe(size)} in huge pages ({Errno.Describe(e.Errno)}): the system has {available}.",
            size, "Reserve huge pages (sysctl vm.nr_hugepages=N), make the size a multiple of the huge page size, and check vm.hugetlb_shm_group; or omit -HugePages. Get-SharedMemoryLimit shows the huge pages.", e);

    public static Exception DirectoryNotFound(string directory) =>
        Make(ErrorIds.DirectoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"The directory '{Printable(directory)}' does not exist.", directory,
            "Create the directory first (New-Item -ItemType Directory), or choose a path in an existing one.");

    /// <summary>A file-backed object whose path now leads to another file.</summary>
    public static Exception Replaced(SharedMemory shm, string path) =>
        Make(ErrorIds.SharedMemoryNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"{shm.KindDescription} '{shm.DisplayName}' is no longer at {Printable(path)}: another file stands there now (removed and created again, or a directory on the path was replaced).",
            shm, "Get the object again with Get-SharedMemory if the new one is meant.");

    public static Exception UnknownAccount(bool user, string name)
    {
        string what = user ? "user" : "group";
        return Make(user ? ErrorIds.UnknownUser : ErrorIds.UnknownGroup, SharedMemoryErrorCategory.ObjectNotFound,
            $"There is no {what} named '{Printable(name)}'.", name,
            $"Give an existing {what} name or a numeric id (see getent {(user ? "passwd" : "group")}).");
    }

    public static Exception SpecialModeBits(System.IO.UnixFileMode mode, string octal, bool beyond07777) =>
        Make(ErrorIds.InvalidMode, SharedMemoryErrorCategory.InvalidArgument,
            $"Mode {octal}{(beyond07777 ? " (with bits outside 07777)" : "")} has setuid, setgid or sticky bits, which ShmPS does not set.",
            mode, "Give only read, write and execute bits, such as 0640 or 'rw-r-----'.");

    public static Exception InvalidMode(string text, string acceptedForms) =>
        Make(ErrorIds.InvalidMode, SharedMemoryErrorCategory.InvalidArgument,
            $"'{Printable(text)}' is not a valid mode: give it {acceptedForms}.", text,
            "Give a mode such as 0640, 'rw-r-----' or 'u=rw,g=r'.");

    public static Exception LockAlreadyHeld(SharedMemory shm) =>
        Make(ErrorIds.LockAlreadyHeld, SharedMemoryErrorCategory.ResourceBusy,
            $"This session already holds a lock on {shm.KindDescription} '{shm.DisplayName}'; locks are not reentrant.",
            shm, "Release the lock you hold (Unlock-SharedMemory) before locking again, or use the lock you have.");

    public static Exception LockNotHeld(SharedMemory shm) =>
        Make(ErrorIds.LockNotHeld, SharedMemoryErrorCategory.InvalidOperation,
            $"This session holds no lock on {shm.KindDescription} '{shm.DisplayName}'.", shm,
            "Only locks taken with Lock-SharedMemory in this session can be released here.");

    /// <param name="why">What the lock's holder is doing, in parentheses, or nothing.</param>
    public static Exception LockTimeout(SharedMemory shm, TimeSpan? timeout, string why) =>
        Make(ErrorIds.LockTimeout, SharedMemoryErrorCategory.OperationTimeout,
            $"Timed out after {timeout} waiting for the lock on {shm.KindDescription} '{shm.DisplayName}'{why}; nothing is held.",
            shm, "Try again later, give a longer -Timeout, or find the holder (for POSIX and File objects: fuser or lsof on the file; for System V segments: ipcs -s -i SEMID shows the last process to change the semaphores).");

    public static Exception LockAccessDenied(SharedMemory shm, NativeException e) =>
        Make(ErrorIds.PermissionDenied, SharedMemoryErrorCategory.PermissionDenied,
            $"{shm.KindDescription} '{shm.DisplayName}': you may not use it (shmctl(IPC_STAT) failed: {Errno.Describe(e.Errno)}), so you may not take or create its lock.",
            shm, "Only users with access to the segment can lock it; its owner can grant access with Set-SharedMemoryPermission.", e);

    public static Exception LockWithoutKey(SharedMemory shm, long id) =>
        Make(ErrorIds.LockNotSupported, SharedMemoryErrorCategory.InvalidOperation,
            $"{shm.KindDescription} id {id} has no key (private, or marked for removal), so no other process could find its lock.",
            shm, "Create the segment with a key (New-SharedMemory -Key) to lock it across processes.");

    public static Exception LockSetUnrecognised(SharedMemory shm, string key, string reason) =>
        Make(ErrorIds.LockConflict, SharedMemoryErrorCategory.ResourceExists,
            $"The semaphore set with key {key}, the lock of {shm.KindDescription} '{shm.DisplayName}', is not one ShmPS recognises: {reason}. ShmPS leaves it unchanged.",
            shm, $"Use another key for the segment, or if the set is stale remove it (ipcrm -S {key}).");

    public static Exception LockSetRefused(SharedMemory shm, string key, NativeException e) =>
        Make(ErrorIds.PermissionDenied, SharedMemoryErrorCategory.PermissionDenied,
            $"{shm.KindDescription} '{shm.DisplayName}': its lock, the semaphore set with key {key}, does not let you in ({e.Function} failed: {Errno.Describe(e.Errno)}). Taking the lock needs write permission on the segment, whose owner, group and mode the set follows.",
            shm, $"Ask the segment's owner for write access (Set-SharedMemoryPermission), or if the set is stale and owned by someone else, have it removed (ipcrm -S {key}).", e);

    public static Exception LockSetReplaced(SharedMemory shm, string key, NativeException e) =>
        Make(ErrorIds.LockConflict, SharedMemoryErrorCategory.ResourceBusy,
            $"{shm.KindDescription} '{shm.DisplayName}': its lock, the semaphore set with key {key}, was removed and made again while this waited ({e.Function} failed: {Errno.Describe(e.Errno)}).",
            shm, "Try again; if it keeps happening, find the program that removes the set (ipcs -s).", e);

    /// <summary>A value that cannot become bytes (Write-SharedMemory -Value, the methods).</summary>
    public static Exception InvalidValue(string message) =>
        Make(ErrorIds.InvalidValue, SharedMemoryErrorCategory.InvalidArgument, message, null, "Give bytes, a string, a number, or a collection of them.");

    /// <summary>A value that did not convert (a cast, an overflow): the conversion's own message; a ShmPS failure stays as it is.</summary>
    public static Exception InvalidValue(Exception cause, object? value) => cause is ISharedMemoryError
        ? cause
        : Make(ErrorIds.InvalidValue, SharedMemoryErrorCategory.InvalidArgument, cause.Message, value, "Give a value of the type asked for (-As).", cause);

    /// <summary>A record that does not fit its layout (Write-SharedMemory -Layout).</summary>
    public static Exception InvalidRecord(string message) =>
        Make(ErrorIds.InvalidValue, SharedMemoryErrorCategory.InvalidArgument, "Nothing was written: " + message, null,
            "Give a hashtable or object whose keys are fields of the layout, with values that fit their C types.");

    public static Exception LayoutNotDefined(string wanted, object? name, IEnumerable<string> defined) =>
        Make(ErrorIds.InvalidLayout, SharedMemoryErrorCategory.ObjectNotFound,
            $"The declarations define no struct, union or typedef named '{Printable(wanted)}'; they define {string.Join(", ", defined)}.",
            name, "Give -Name one of the names the declarations define, or leave it out for the last one.");

    public static Exception InvalidShareableList(SharedMemory shm, long offset, string why) =>
        Make(ErrorIds.InvalidShareableList, SharedMemoryErrorCategory.InvalidData,
            $"{shm.KindDescription} '{shm.DisplayName}' holds no ShareableList at offset {offset}: {why}.", shm,
            "Read at the offset where Python's ShareableList starts (0 for a list Python created), or read the bytes without -As.");

    public static Exception InvalidListItem(string message) =>
        Make(ErrorIds.InvalidValue, SharedMemoryErrorCategory.InvalidArgument, $"Nothing was written: {message}.", null,
            "Give -Value an array of integers, floats, strings, byte arrays, bools and $null.");

    #endregion

    #region Cmdlet usage

    /// <summary>Parameters that do not go together, or one that is missing: said before anything is done.</summary>
    public static Exception Usage(string errorId, string message, object? target = null) =>
        Make(errorId, SharedMemoryErrorCategory.InvalidArgument, message, target);

    public static Exception InputFileNotFound(string path) =>
        Make(ErrorIds.InputFileNotFound, SharedMemoryErrorCategory.ObjectNotFound,
            $"The input file '{Printable(path)}' does not exist.", path, "Check the path given to -InputFile.");

    /// <summary>A change that needs a confirmation the session cannot ask for (a non-interactive host).</summary>
    public static Exception ConfirmationRequired(string action, string target, Exception cause) =>
        Make(ErrorIds.ConfirmationRequired, SharedMemoryErrorCategory.InvalidOperation,
            $"{action} on {target} needs confirmation, and this session cannot prompt.", target,
            "Add -Force (or -Confirm:$false) to go ahead without a prompt.", cause);
    #endregion
}
