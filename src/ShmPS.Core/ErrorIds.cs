namespace ShmPS;

/// <summary>
/// Every ErrorId ShmPS writes. They are stable: scripts and tests match them, and the help's error
/// table (about_ShmPS) lists each one. Code decides by exception type or errno, never by comparing ids.
/// </summary>
public static class ErrorIds
{
    // The object
    public const string SharedMemoryNotFound = nameof(SharedMemoryNotFound);
    public const string SharedMemoryExists = nameof(SharedMemoryExists);
    public const string SharedMemoryClosed = nameof(SharedMemoryClosed);
    public const string NotARegularFile = nameof(NotARegularFile);
    public const string SymbolicLinkRefused = nameof(SymbolicLinkRefused);
    public const string HardLinkRefused = nameof(HardLinkRefused);
    public const string DirectoryNotFound = nameof(DirectoryNotFound);
    public const string SystemVResizeNotSupported = nameof(SystemVResizeNotSupported);
    public const string HugePagesUnavailable = nameof(HugePagesUnavailable);
    public const string SharedMemoryInUse = nameof(SharedMemoryInUse);
    public const string Sealed = nameof(Sealed);
    public const string AnonymousNotRemovable = nameof(AnonymousNotRemovable);

    // What the user gave
    public const string InvalidSharedMemoryName = nameof(InvalidSharedMemoryName);
    public const string InvalidPath = nameof(InvalidPath);
    public const string InvalidKey = nameof(InvalidKey);
    public const string InvalidProjectId = nameof(InvalidProjectId);
    public const string InvalidSize = nameof(InvalidSize);
    public const string InvalidMode = nameof(InvalidMode);
    public const string InvalidValue = nameof(InvalidValue);
    public const string InvalidArgument = nameof(InvalidArgument);
    public const string OffsetOutOfRange = nameof(OffsetOutOfRange);
    public const string ProtectedRange = nameof(ProtectedRange);
    public const string ReadTooLarge = nameof(ReadTooLarge);
    public const string UnknownUser = nameof(UnknownUser);
    public const string UnknownGroup = nameof(UnknownGroup);
    public const string IdentityRequired = nameof(IdentityRequired);
    public const string KindConflict = nameof(KindConflict);
    public const string UnknownKind = nameof(UnknownKind);
    public const string KeyConflict = nameof(KeyConflict);
    public const string PathRequired = nameof(PathRequired);
    public const string NothingToChange = nameof(NothingToChange);
    public const string ValueOrInputFileRequired = nameof(ValueOrInputFileRequired);
    public const string InputFileNotFound = nameof(InputFileNotFound);
    public const string OutFileConflict = nameof(OutFileConflict);
    public const string OutFileIsSource = nameof(OutFileIsSource);
    public const string EncodingAndAsConflict = nameof(EncodingAndAsConflict);
    public const string InvalidLayout = nameof(InvalidLayout);
    public const string LayoutConflict = nameof(LayoutConflict);
    public const string InvalidShareableList = nameof(InvalidShareableList);
    public const string ConfirmationRequired = nameof(ConfirmationRequired);
    public const string RemoteObject = nameof(RemoteObject);

    // The system
    public const string PermissionDenied = nameof(PermissionDenied);
    public const string InsufficientSpace = nameof(InsufficientSpace);
    public const string FileSizeLimitExceeded = nameof(FileSizeLimitExceeded);
    public const string FileTooLarge = nameof(FileTooLarge);
    public const string TooManyOpenFiles = nameof(TooManyOpenFiles);
    public const string ReadOnlyFileSystem = nameof(ReadOnlyFileSystem);
    public const string MemoryFault = nameof(MemoryFault);
    public const string MemoryLockLimitExceeded = nameof(MemoryLockLimitExceeded);
    public const string NativeError = nameof(NativeError);

    // Other processes' namespaces (Get-SharedMemory -ProcessId)
    public const string ProcessNotFound = nameof(ProcessNotFound);
    public const string ForeignNamespace = nameof(ForeignNamespace);

    // Locks
    public const string LockTimeout = nameof(LockTimeout);
    public const string LockConflict = nameof(LockConflict);
    public const string LockNotSupported = nameof(LockNotSupported);
    public const string LockAlreadyHeld = nameof(LockAlreadyHeld);
    public const string LockNotHeld = nameof(LockNotHeld);

    // Waits, atomics and documents
    public const string WaitTimeout = nameof(WaitTimeout);
    public const string DocumentTooLarge = nameof(DocumentTooLarge);
    public const string DocumentBusy = nameof(DocumentBusy);
    public const string InvalidDocument = nameof(InvalidDocument);
    public const string GuardUnavailable = nameof(GuardUnavailable);

    /// <summary>A failure ShmPS did not foresee: reported rather than lost, and a bug to fix.</summary>
    public const string SharedMemoryError = nameof(SharedMemoryError);
}
