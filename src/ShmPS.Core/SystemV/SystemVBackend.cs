using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.IO;
using System.Runtime.InteropServices;
using ShmPS.Native;

namespace ShmPS;

/// <summary>System V segments: created with shmget, found by key or id, listed from /proc/sysvipc/shm.</summary>
internal sealed class SystemVBackend : SharedMemoryBackend
{
    /// <summary>
    /// The device that System V segments show in /proc/PID/maps: the kernel's internal shm mount, the same
    /// for every IPC namespace. Learnt once, from the maps line of a private segment of this process's own,
    /// attached and removed at once; null where that cannot be done (then lines are taken by name alone).
    /// </summary>
    internal static (uint Major, uint Minor)? SegmentDevice => s_segmentDevice.Value;

    private static readonly Lazy<(uint Major, uint Minor)?> s_segmentDevice = new(LearnSegmentDevice);

    private static (uint Major, uint Minor)? LearnSegmentDevice()
    {
        int id;
        try
        {
            id = Libc.ShmGet(Libc.IPC_PRIVATE, Environment.SystemPageSize, Libc.IPC_CREAT | 0x180); // 0600
        }
        catch (NativeException)
        {
            return null; // no segment may be made here (limits, a sandbox)
        }
        try
        {
            using SafeAttachmentHandle attached = Libc.ShmAttach(id, readOnly: true, out _);
            string start = ((ulong)attached.DangerousGetHandle()).ToString("x", CultureInfo.InvariantCulture) + "-";
            foreach (string line in System.IO.File.ReadLines("/proc/self/maps"))
            {
                if (line.StartsWith(start, StringComparison.Ordinal) && ProcParsers.TryParseMapsLine(line, out MapsEntry entry) && entry.IsSystemV)
                {
                    return (entry.File.Major, entry.File.Minor);
                }
            }
            return null;
        }
        catch (Exception e) when (e is NativeException or System.IO.IOException or UnauthorizedAccessException)
        {
            return null;
        }
        finally
        {
            try { Libc.ShmRemove(id); } catch (NativeException) { }
        }
    }

    public static readonly SystemVBackend Instance = new();

    private const string Segment = "System V shared memory segment";

    public override SharedMemoryKind Kind { get; } = new("SystemV");

    public override string Description => Segment;

    /// <summary>-Key (its Name, 0x0000abcd) and -Id (the shmid, which also finds private and removed-but-attached segments).</summary>
    public override IReadOnlyList<SharedMemoryIdentityForm> IdentityForms { get; } =
        new[] { SharedMemoryIdentityForm.Key, SharedMemoryIdentityForm.Id };

    public override CreateRequest RequestFor(string identity, long size, System.IO.UnixFileMode mode) =>
        new(size, mode, openExisting: false, new Dictionary<string, object?> { ["Key"] = SystemVKey.Parse(identity).Value }, IPathResolver.Plain);

    /// <summary>-Key, -KeyPath (ftok, with -ProjectId) and -Private choose the key; -HugePages is SHM_HUGETLB. Each alone means a segment.</summary>
    public override IReadOnlyList<CreationOption> CreationOptions { get; } = new CreationOption[]
    {
        new("Key", SelectsKind: true), new("KeyPath", SelectsKind: true), new("ProjectId", SelectsKind: true),
        new("Private", SelectsKind: true), new("HugePages", SelectsKind: true),
    };

    /// <summary>A segment is named by its key: -Name is refused with the parameter to use instead.</summary>
    public override Exception RefuseOption(string option) => option is "Name" or "LiteralName"
        ? ErrorHelper.KindConflict("System V segments are named by a key: give -Key instead of -Name.", option)
        : base.RefuseOption(option);

    public override bool PatternIgnoresCase => true;

    /// <summary>Any 32-bit value, as ipcs shows it or as a number (SystemVKeyValue).</summary>
    public override int ReadKey(object? value, string text) => SystemVKeyValue.Read(value, text);

    /// <summary>A key as Name shows it: 0x0000abcd.</summary>
    public override string IdentityText(SharedMemoryIdentityForm form, long value) =>
        form == SharedMemoryIdentityForm.Key ? new SystemVKey(unchecked((int)value)).ToString() : base.IdentityText(form, value);

    /// <summary>A segment of another IPC namespace belongs to that namespace.</summary>
    public override string NamespaceOf(NamespaceView view) => $"ipc:[{view.IpcNamespace}]";

    public override string DescribeNew(CreateRequest request) => RequestedKey(request) switch
    {
        0 => "a private System V segment",
        int key => $"System V segment with key {new SystemVKey(key)}",
        null => "a System V segment with a generated key",
    };

    /// <summary>-Key, -KeyPath and -Private are three ways to choose the key: null means generate one.</summary>
    private static int? RequestedKey(CreateRequest request)
    {
        int? key = request.GetValue<int>("Key");
        string? keyPath = request.Get<string>("KeyPath");
        bool isPrivate = request.Switch("Private");
        if ((isPrivate ? 1 : 0) + (key is null ? 0 : 1) + (keyPath is null ? 0 : 1) > 1)
        {
            throw ErrorHelper.KeyConflict("-Key, -KeyPath and -Private each choose the key: give one of them.", key);
        }
        return isPrivate ? SystemVKey.Private
            : keyPath is not null ? SystemVKey.FromPath(request.Paths.Resolve(PathRules.Check(keyPath)), request.GetValue<int>("ProjectId") ?? 1).Value
            : key;
    }

    /// <summary>
    /// Creates a segment, exclusively (IPC_EXCL) unless OpenExisting, which opens an existing segment as
    /// it is. A null key is drawn from a CSPRNG; 0 is IPC_PRIVATE. The mode is exact: the umask does not
    /// apply to System V segments.
    /// </summary>
    public override SharedMemory Create(CreateRequest request, out bool created)
    {
        RequireKnownLayout();
        UnixMode.RequirePermissionBitsOnly(request.Mode);
        SizeLimits.CheckSystemVSize(request.Size);
        int? requested = RequestedKey(request);
        bool hugePages = request.Switch("HugePages");
        SystemVKey key = default;
        return ExclusiveCreate.Run(
            generated: requested is null,
            openExisting: request.OpenExisting && requested is not SystemVKey.Private,
            tryOpen: () => TryOpen(new SystemVKey(requested!.Value)),
            tryCreate: () =>
            {
                key = requested is int k ? new SystemVKey(k) : SystemVKey.Generate();
                return TryCreate(key, request.Size, request.Mode, hugePages);
            },
            exists: () => ErrorHelper.Exists(Segment + " with key", key.ToString()),
            out created);
    }

    private static SystemVSharedMemory? TryOpen(SystemVKey key)
    {
        try
        {
            return FindById(Libc.ShmGet(key.Value, 0, 0));
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            return null;
        }
    }

    private static SystemVSharedMemory? TryCreate(SystemVKey key, long size, UnixFileMode mode, bool hugePages)
    {
        int flags = ((int)mode & 0x1FF) | Libc.IPC_CREAT | Libc.IPC_EXCL | (hugePages ? Libc.SHM_HUGETLB : 0);
        try
        {
            return FindById(Libc.ShmGet(key.Value, size, flags));
        }
        catch (NativeException e) when (e.Errno == Errno.EEXIST)
        {
            return null;
        }
        catch (NativeException e) when (hugePages && e.Errno is Errno.ENOMEM or Errno.EINVAL or Errno.EPERM)
        {
            throw SizeLimits.HugePagesUnavailable(size, e);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOSPC)
        {
            throw ErrorHelper.SegmentLimitReached(key.ToString(), e);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, key.ToString());
        }
    }

    public override bool CouldName(string name) => SystemVKey.TryParse(name, out _);

    /// <summary>A key as Name shows it (0x0000abcd); key 0 with one id given is the segment with that id.</summary>
    public override SharedMemory Find(string name, long? id, bool literal, IPathResolver paths)
    {
        SystemVKey key = SystemVKey.Parse(name);
        return key.IsPrivate && id is long segment ? FindById(segment) : FindByKey(key.Value);
    }

    /// <summary>A shmid; one that no int holds names no segment.</summary>
    public override SharedMemory FindById(long id) => id is >= 0 and <= int.MaxValue
        ? FindById((int)id)
        : throw ErrorHelper.NotFound(Segment + " with id", id.ToString(CultureInfo.InvariantCulture));

    public override IEnumerable<SharedMemory> Enumerate() =>
        SystemVTable.Read().Select(SystemVSharedMemory.FromRow).OrderBy(shm => shm.Id);

    /// <summary>
    /// The segments of another process's IPC namespace: /proc/sysvipc/shm read by a thread that has
    /// entered it (the file shows the namespace of the task that reads it).
    /// </summary>
    public override IEnumerable<SharedMemory> Enumerate(NamespaceView view) => view.SharesIpcNamespace
        ? Enumerate()
        : view.InIpcNamespace(SystemVTable.Read).Select(row => SystemVSharedMemory.FromRow(row, view)).OrderBy(shm => shm.Id);

    public static SystemVSharedMemory FindByKey(int key)
    {
        if (key == SystemVKey.Private)
        {
            throw ErrorHelper.PrivateKey(key);
        }
        int id;
        try
        {
            // shmget with no flags only looks the key up: no permission is needed for that.
            id = Libc.ShmGet(key, 0, 0);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            throw ErrorHelper.NotFound(Segment + " with key", new SystemVKey(key).ToString());
        }
        catch (NativeException)
        {
            return SystemVTable.TryFind(id: null, key, out SystemVSegmentRow row) ? SystemVSharedMemory.FromRow(row)
                : throw ErrorHelper.NotFound(Segment + " with key", new SystemVKey(key).ToString());
        }
        return FindById(id);
    }

    public static SystemVSharedMemory FindById(int id) =>
        TryDescribe(id, out SystemVSegmentRow row) ? SystemVSharedMemory.FromRow(row)
        : throw ErrorHelper.NotFound(Segment + " with id", id.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// One segment's state by IPC_STAT, or from /proc/sysvipc/shm when the caller may not IPC_STAT it
    /// (no read permission). False if there is no such segment (EINVAL and EIDRM both mean gone).
    /// </summary>
    public static bool TryDescribe(int id, out SystemVSegmentRow row)
    {
        ShmidDs ds;
        try
        {
            ds = Libc.ShmStat(id);
        }
        catch (NativeException e) when (e.Errno is Errno.EINVAL or Errno.EIDRM)
        {
            row = default;
            return false;
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            return SystemVTable.TryFind(id, key: null, out row);
        }
        row = new SystemVSegmentRow(ds.Perm.Key, id, ds.Perm.Mode, (long)ds.SegmentSize, ds.CreatorPid, ds.LastPid, (int)ds.AttachCount,
            ds.Perm.Uid, ds.Perm.Gid, ds.Perm.CreatorUid, ds.Perm.CreatorGid, ds.AttachTime, ds.DetachTime, ds.ChangeTime,
            Resident: -1, Swapped: -1);
        return true;
    }

    /// <summary>The shmid_ds layout is known for x86_64 and aarch64 only; anything else gets an error, not wrong numbers.</summary>
    private static void RequireKnownLayout()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            throw new PlatformNotSupportedException(
                $"The layout of struct shmid_ds on {RuntimeInformation.ProcessArchitecture} is not known to ShmPS.");
        }
    }
}
