using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace ShmPS;

/// <summary>
/// One shared memory object of any kind. Subclasses wrap their kind's backend; every data access is
/// bounds-checked against the object's live size, so no call can fault whatever another process does.
/// Offsets are offsets into the region, never addresses.
/// </summary>
public abstract partial class SharedMemory : IDisposable
{
    private protected SharedMemory(string name) => Name = name;

    /// <summary>The kind; PowerShell shows it as text (Posix), see SharedMemoryView.cs in the module.</summary>
    internal abstract SharedMemoryKind Kind { get; }

    /// <summary>The identity as a user would type it: /foo, 0x0000abcd, or a path.</summary>
    public string Name { get; private protected set; }

    /// <summary>Size in bytes, exact (not rounded to pages), as of the last refresh.</summary>
    public long Size { get; private protected set; }

    /// <summary>The permission bits; PowerShell shows them as octal text (0640), see SharedMemoryView.cs in the module.</summary>
    internal UnixFileMode Mode { get; private protected set; }

    /// <summary>The mode as ls shows it: rw-r-----.</summary>
    public string Permissions => UnixMode.ToSymbolic(Mode);

    public string Owner { get; private protected set; } = "";

    public uint OwnerId { get; private protected set; }

    public string Group { get; private protected set; } = "";

    public uint GroupId { get; private protected set; }

    public DateTime ChangeTime { get; private protected set; }

    /// <summary>
    /// How many processes have it mapped: System V the kernel's count of attachments (shm_nattch), the other
    /// kinds the processes whose mappings /proc shows (read with Processes, on first access).
    /// </summary>
    public virtual int? AttachCount => null;

    /// <summary>
    /// The file the object is (device and inode, "major:minor:inode") for the kinds that are files; null for
    /// System V. A row (ConvertFrom-Json, Import-Csv) that carries it acts only on that file, whatever its
    /// name finds now.
    /// </summary>
    public virtual string? FileId => null;

    /// <summary>Bytes of the object in RAM now; null where the caller cannot tell.</summary>
    public abstract long? ResidentBytes { get; }

    /// <summary>"POSIX shared memory object", used in messages.</summary>
    internal string KindDescription => SharedMemoryBackends.For(Kind).Description;

    /// <summary>
    /// The object as a message names it: "POSIX shared memory object '/foo'"; a kind adds what tells it apart
    /// (a segment its id, since its key reads 0x00000000 once it is removed).
    /// </summary>
    internal virtual string Subject => $"{KindDescription} '{DisplayName}'";

    /// <summary>
    /// The text that names this object in an identity form (completion offers it), or null where that form
    /// does not name it: its Name for -Name, and what the kind declares for its own forms (a key, an id, a path).
    /// </summary>
    internal virtual string? IdentityText(SharedMemoryIdentityForm form) =>
        form == SharedMemoryIdentityForm.Name ? Name : null;

    /// <summary>What the Id column and property show; null where the kind gives its objects no number.</summary>
    internal virtual object? ViewId => null;

    /// <summary>The columns ipcs -m shows (Format-Table -View Ipcs), as this object fills them: null where ipcs has nothing for it.</summary>
    internal virtual (string? Key, string? Id, string? Status, bool NamedByKey) IpcsColumns => (null, null, null, false);

    /// <summary>The properties Format-List shows of this object besides Kind, Name, Size, Permissions, Owner, Group, ChangeTime and ResidentBytes.</summary>
    internal virtual IReadOnlyCollection<string> ListProperties => Array.Empty<string>();

    /// <summary>Whether the object's data is this file (device and inode): -OutFile may not be it.</summary>
    internal virtual bool IsFile(uint devMajor, uint devMinor, ulong inode) => false;

    /// <summary>Whether two objects are the same kernel object by identity (System V compares ids, others names).</summary>
    internal virtual bool IsSameObject(SharedMemory other) => other.Kind == Kind && other.Name == Name;

    /// <summary>Name as ShmPS shows it in messages and text: escaped (DisplayText), since another user may have chosen it.</summary>
    internal string DisplayName => DisplayText.Escape(Name);

    /// <summary>The name, escaped as ShmPS shows it (DisplayText); the Name property keeps the raw value.</summary>
    public override string ToString() => DisplayName;

    /// <summary>
    /// Takes the object's cross-process lock (exclusive, or shared), waiting at most
    /// <paramref name="timeout"/> (null: no limit). Dispose the result to release it.
    /// </summary>
    public SharedMemoryLock Lock(bool shared = false, TimeSpan? timeout = null) =>
        Lock(shared, timeout, CancellationToken.None);

    /// <summary>As Lock(shared, timeout), and ends with OperationCanceledException when <paramref name="cancellationToken"/> is signalled.</summary>
    public SharedMemoryLock Lock(bool shared, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        try
        {
            return SharedMemoryLock.AcquireForMethod(this, shared, timeout, cancellationToken);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>A seekable stream over the object, bounded by its size now (see SharedMemoryStream): read-write, or read-only for an object of another namespace.</summary>
    public SharedMemoryStream OpenStream() => OpenStream(View is null ? FileAccess.ReadWrite : FileAccess.Read);

    /// <summary>A seekable stream over the object for <paramref name="access"/>; disposing it leaves the object open.</summary>
    public SharedMemoryStream OpenStream(FileAccess access)
    {
        if (access is not (FileAccess.Read or FileAccess.Write or FileAccess.ReadWrite))
        {
            throw new ArgumentOutOfRangeException(nameof(access));
        }
        try
        {
            ThrowIfClosed();
            if ((access & FileAccess.Write) != 0)
            {
                RefuseInForeignNamespace("writing"); // objects of another namespace are only read
            }
            return new SharedMemoryStream(this, LiveSize, access);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    #region Lifetime

    private int _closed;

    /// <summary>True after Close() or Dispose(): the methods refuse to work, cmdlets still take the object as an identity.</summary>
    internal bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Whether a call that found its descriptor or mapping released by another thread (Detach(), a cmdlet's
    /// end, Close()) should take a new one and try again: until it gets one that stays long enough, unless
    /// the object was closed (then SharedMemoryClosed). A thread that detaches in a loop cannot make another's
    /// call fail: each retry takes the handle at once, and a handle taken is kept until the call returns.
    /// </summary>
    private protected bool RetryAfterRelease(int attempt) => attempt == 0 || (!IsClosed && attempt < 100_000);

    private protected void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw ErrorHelper.Closed(this);
        }
    }

    /// <summary>
    /// Keeps the object mapped in this process until Detach() or Close(): System V segments attached
    /// (shmat), POSIX objects and file mappings mapped (mmap MAP_SHARED) where the guarded copy is
    /// available (DataPath says), else their descriptor kept open. Methods do this on first use anyway;
    /// cmdlets never keep anything. While kept, the mapping counts in AttachCount (System V) and in
    /// /proc/PID/maps, and the memory of a removed object stays until it is released.
    /// </summary>
    public void Attach()
    {
        try
        {
            ThrowIfClosed();
            AttachCore();
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>Releases the mapping or attachment (and descriptor) the object keeps; it can be used again.</summary>
    public void Detach() => ReleaseResources();

    /// <summary>True while the object keeps a mapping or attachment.</summary>
    public bool IsAttached => HoldsMapping;

    /// <summary>
    /// How data moves: through mappings with the fault-guarded copy (libshmps_guard), or, where that
    /// library could not be built or loaded, through system calls (pread/pwrite, process_vm_readv).
    /// </summary>
    public static string DataPath => Native.Guard.IsAvailable
        ? $"mapped: {Native.Guard.Status}"
        : $"system calls (pread/pwrite, process_vm_readv/writev): {Native.Guard.Status}";

    internal abstract void AttachCore();

    internal abstract bool HoldsMapping { get; }

    /// <summary>True while the object holds a descriptor or an attachment.</summary>
    internal abstract bool HoldsResources { get; }

    /// <summary>Releases descriptors and attachments; the object stays usable and opens them again when needed.</summary>
    internal abstract void ReleaseResources();

    /// <summary>
    /// A cmdlet's use of the object: what the cmdlet opens is released when the scope ends, unless
    /// the object already held it (a script's methods keep theirs until Close()).
    /// </summary>
    internal CommandUse BeginCommand()
    {
        t_commandDepth++;
        return new(this, HoldsResources);
    }

    // Set on the thread of a cmdlet while it works on an object: a small transfer then goes through a
    // system call rather than mapping the object for it alone (a mapping only pays for itself when kept).
    [ThreadStatic]
    private static int t_commandDepth;

    private protected static bool InCommand => t_commandDepth > 0;

    // Set on the thread of a cmdlet given -Force while it works on an object: a file with several hard
    // links in a directory others can write to is modified anyway (SafeOpen.RefuseHardLinks). Methods never set it.
    [ThreadStatic]
    private static bool t_hardLinksAllowed;

    private protected static bool HardLinksAllowed => t_hardLinksAllowed;

    /// <summary>Lets this thread modify files with several hard links until disposed (-Force).</summary>
    internal static HardLinkScope AllowHardLinks(bool allow)
    {
        bool before = t_hardLinksAllowed;
        t_hardLinksAllowed = allow;
        return new(before);
    }

    internal readonly struct HardLinkScope : IDisposable
    {
        private readonly bool _before;

        public HardLinkScope(bool before) => _before = before;

        public void Dispose() => t_hardLinksAllowed = _before;
    }

    internal readonly struct CommandUse : IDisposable
    {
        private readonly SharedMemory _shm;
        private readonly bool _heldBefore;

        public CommandUse(SharedMemory shm, bool heldBefore) => (_shm, _heldBefore) = (shm, heldBefore);

        public void Dispose()
        {
            t_commandDepth--;
            if (!_heldBefore || _shm.IsClosed)
            {
                _shm.ReleaseResources();
            }
        }
    }

    #endregion

    #region Backend

    /// <summary>Re-reads size, mode, owner and times from the kernel.</summary>
    public void Refresh()
    {
        ForgetProcesses();
        try
        {
            RefreshCore();
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    internal abstract void RefreshCore();

    /// <summary>Makes written data durable where the kind has a backing store; otherwise nothing.</summary>
    public void Flush()
    {
        try
        {
            ThrowIfClosed();
            FlushCore();
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    internal virtual void FlushCore() { }

    /// <summary>
    /// Releases what this object holds open (descriptors, attachments) and ends the use of its
    /// methods. It removes nothing; cmdlets still accept the object as the identity of what it names.
    /// </summary>
    public void Close() => Dispose();

    public void Dispose()
    {
        Interlocked.Exchange(ref _closed, 1);
        ReleaseResources();
        ForgetRegionSettings(); // protections, advice and mlock ended with the mapping
        GC.SuppressFinalize(this);
    }

    /// <summary>The size right now, read from the kernel (through a writable handle when about to write).</summary>
    private protected abstract long CurrentSize(bool writing);

    /// <summary>True where ReadCore itself stops at the end of the object (pread), so reads need no size query.</summary>
    private protected virtual bool ReadStopsAtEnd => false;

    /// <summary>Reads up to buffer.Length bytes; fewer only at the end of the object.</summary>
    private protected abstract int ReadCore(long offset, Span<byte> buffer);

    private protected abstract void WriteCore(long offset, ReadOnlySpan<byte> data);

    internal abstract void Remove();

    /// <summary>What the last Remove() could not do or find out beside the removal itself (a lock left behind), for a warning; null if nothing.</summary>
    internal string? RemovalWarning { get; private protected set; }

    /// <summary>Removal loses data that would otherwise survive (a file): confirmed as ConfirmImpact High.</summary>
    internal virtual bool RemovalIsHighImpact => false;

    internal abstract void Resize(long size, bool sparse);

    /// <summary>Opens (without taking) the cross-process lock that belongs to this object.</summary>
    internal abstract LockHandle OpenLock(bool shared);

    /// <summary>Throws if this object cannot be removed by this process, before anyone is asked to confirm.</summary>
    internal virtual void EnsureRemovable() { }

    /// <summary>Throws if this kind cannot be resized, before anyone is asked to confirm.</summary>
    internal virtual void EnsureResizable() { }

    internal abstract void SetPermission(UnixFileMode? mode, uint? ownerId, uint? groupId);

    #endregion
}
