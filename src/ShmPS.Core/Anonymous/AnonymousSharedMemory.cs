using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// A shared region with no name: a memfd (memfd_create; "/memfd:LABEL" in /proc), a shared anonymous
/// mapping (mmap MAP_SHARED|MAP_ANONYMOUS; "/dev/zero", or "/anon_hugepage" with huge pages), or a removed
/// file still mapped or held. Its identity is the kernel's file behind it (device and inode; Id is the
/// inode). It is reached through a process that holds it: /proc/PID/fd/N (root, or the holder's user) or
/// /proc/PID/map_files/START-END (root), and it exists only while one does.
/// </summary>
public sealed class AnonymousSharedMemory : DescriptorSharedMemory
{
    private readonly FileKey _file;
    private IReadOnlyList<RegionAccess> _access;

    private AnonymousSharedMemory(NamelessRegion region, IReadOnlyList<RegionAccess> access)
        : base(NameOf(region.KernelName), access[0].Path)
    {
        _file = region.File;
        _access = access;
        IsMemfd = Name.StartsWith(MemfdPrefix, StringComparison.Ordinal);
        Label = IsMemfd ? Name[MemfdPrefix.Length..] : null;
        IsHugePages = Name == "/anon_hugepage";
    }

    internal override SharedMemoryKind Kind => AnonymousBackend.Instance.Kind;

    /// <summary>Named with its inode: many regions share a name (/dev/zero).</summary>
    internal override string Subject => $"{base.Subject} (inode {Inode.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>Its Name (-Name with -Kind Anonymous) and its inode (-Id).</summary>
    internal override string? IdentityText(SharedMemoryIdentityForm form) => form switch
    {
        SharedMemoryIdentityForm.Name => Name,
        SharedMemoryIdentityForm.Id => Inode.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    internal override IReadOnlyCollection<string> ListProperties => s_listProperties;

    private static readonly string[] s_listProperties =
        { "Id", "Path", "Label", "IsMemfd", "IsHugePages", "Seals", "IsHeldBySession", "AttachCount", "AllocatedBytes" };

    private const string MemfdPrefix = "/memfd:";

    /// <summary>The inode of the region's file: what tells regions apart (Get-SharedMemory -Kind Anonymous -Id).</summary>
    public ulong Inode => _file.Inode;

    /// <summary>The label given to memfd_create (what /proc shows after "/memfd:"); null for a mapping.</summary>
    public string? Label { get; }

    /// <summary>Made by memfd_create (held by a descriptor, maybe mapped), not by mmap MAP_SHARED|MAP_ANONYMOUS.</summary>
    public bool IsMemfd { get; }

    /// <summary>A shared anonymous mapping of huge pages (MAP_HUGETLB).</summary>
    public bool IsHugePages { get; }

    /// <summary>This process holds the region (New-SharedMemory -Anonymous) until Remove-SharedMemory.</summary>
    public bool IsHeldBySession => HeldRegions.IsHeld(_file);

    private SharedMemorySeals? _seals;
    private bool _sealsRead;

    /// <summary>
    /// The region's seals (fcntl F_GET_SEALS), read when first asked and kept until Refresh(); None for a removed
    /// file (files cannot be sealed), Seal alone for a region made without MFD_ALLOW_SEALING; null where the caller
    /// may not open the region.
    /// </summary>
    public SharedMemorySeals? Seals
    {
        get
        {
            if (!_sealsRead)
            {
                _seals = ReadSeals();
                _sealsRead = true;
            }
            return _seals;
        }
    }

    private SharedMemorySeals? ReadSeals()
    {
        try
        {
            return LiveSeals();
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM or Errno.ENOENT)
        {
            return null;
        }
        catch (Exception e) when (e is ISharedMemoryError)
        {
            return null; // gone, or no longer reachable
        }
    }

    /// <summary>The seals now, on a descriptor of its own (a property read keeps nothing open).</summary>
    private SharedMemorySeals LiveSeals()
    {
        using SafeFdHandle fd = OpenDescriptor(Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try
        {
            return (SharedMemorySeals)Libc.GetSeals(fd);
        }
        catch (NativeException e) when (e.Errno == Errno.EINVAL)
        {
            return SharedMemorySeals.None; // a file system without seals (a removed file on disk)
        }
    }

    /// <summary>"/memfd:LABEL (deleted)" → "/memfd:LABEL": the name /proc shows without the suffix every such region has.</summary>
    private static string NameOf(string kernelName) =>
        kernelName.EndsWith(ProcParsers.DeletedSuffix, StringComparison.Ordinal) ? kernelName[..^ProcParsers.DeletedSuffix.Length] : kernelName;

    /// <summary>Descriptors first: /proc/PID/fd/N opens for the holder's own user, map_files only for root.</summary>
    private static IReadOnlyList<RegionAccess> Order(IEnumerable<RegionAccess> access) =>
        access.OrderBy(a => a.Descriptor is null).ThenBy(a => a.ProcessId == Environment.ProcessId ? 0 : 1).ToList();

    /// <summary>
    /// The region as a scan found it, described from its file (statx through /proc); where the caller may not
    /// look at the file (a mapping, without root), from what maps shows: the size mapped, the holder as owner and
    /// the mode the kernel gives every such file (0777).
    /// </summary>
    internal static AnonymousSharedMemory? FromRegion(NamelessRegion region)
    {
        if (region.Access.Count == 0)
        {
            return null;
        }
        var shm = new AnonymousSharedMemory(region, Order(region.Access));
        try
        {
            if (shm.TryStatFile(out Statx st))
            {
                shm.Describe(st);
                return shm;
            }
            return null; // every holder let go meanwhile
        }
        catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            var seen = new Statx
            {
                DevMajor = region.File.Major, DevMinor = region.File.Minor, Inode = region.File.Inode,
                Size = (ulong)region.MappedEnd, Uid = region.HolderUid, Gid = uint.MaxValue,
                Mode = (ushort)(Statx.S_IFREG | 0x1FF), LinkCount = 0,
            };
            shm.Describe(seen);
            return shm;
        }
    }

    /// <summary>A memfd this process made and holds: its Path is /proc/PID/fd/N, which a process of the same user opens to share it.</summary>
    internal static AnonymousSharedMemory FromHeld(SafeFdHandle held, string label)
    {
        Statx st = Libc.FStatx(held);
        var file = new FileKey(st.DevMajor, st.DevMinor, st.Inode);
        var region = new NamelessRegion(file, MemfdPrefix + label + ProcParsers.DeletedSuffix, st.Uid);
        var shm = new AnonymousSharedMemory(region, new[] { new RegionAccess(Environment.ProcessId, held.Fd, 0, 0) });
        shm.Describe(st);
        return shm;
    }

    /// <summary>statx of the file behind a link of a holder; the first holder still there answers.</summary>
    private protected override bool TryStatFile(out Statx st)
    {
        NativeException? denied = null;
        foreach (RegionAccess access in _access)
        {
            try
            {
                if (Libc.TryStatxFollow(access.Path, out st) && Is(st))
                {
                    return true;
                }
            }
            catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
            {
                denied ??= e;
            }
            catch (NativeException e) when (e.Errno == Errno.ESRCH)
            {
            }
        }
        st = default;
        return denied is null ? false : throw denied;
    }

    private bool Is(in Statx st) => st.IsRegularFile && new FileKey(st.DevMajor, st.DevMinor, st.Inode) == _file;

    /// <summary>
    /// Opens the region through a holder: the links in /proc/PID/fd and /proc/PID/map_files must be followed
    /// (O_NOFOLLOW would refuse them), and what they lead to is checked first (a regular file, this one: a pid or
    /// descriptor number taken by another meanwhile leads elsewhere) and again once open (OpenVerified). When
    /// every holder seen has let go, /proc is scanned again for the region; none left is SharedMemoryNotFound.
    /// </summary>
    private protected override SafeFdHandle OpenDescriptor(int flags)
    {
        flags &= ~Libc.O_NOFOLLOW;
        NativeException? denied = null;
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (RegionAccess access in _access)
            {
                try
                {
                    if (Libc.TryStatxFollow(access.Path, out Statx st) && Is(st))
                    {
                        return Libc.Open(access.Path, flags, 0);
                    }
                }
                catch (NativeException e) when (e.Errno is Errno.ENOENT or Errno.ESRCH)
                {
                    // The holder closed, unmapped or exited between the look and the open.
                }
                catch (NativeException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
                {
                    denied ??= e;
                }
            }
            if (denied is not null || pass > 0)
            {
                break;
            }
            NamelessRegion? now = ProcessIndex.Scan(_file).FindNameless(_file);
            if (now is null || now.Access.Count == 0)
            {
                break;
            }
            _access = Order(now.Access);
        }
        if (denied is not null)
        {
            throw denied;
        }
        throw NotFound();
    }

    /// <summary>No directory holds it: memory for it is reserved by fallocate itself, with no file system's free space to check first.</summary>
    private protected override string? ReservationDirectory => null;

    private protected override Exception NotFound() =>
        ErrorHelper.NotFound(KindDescription, $"{Name} (inode {Inode.ToString(CultureInfo.InvariantCulture)})");

    /// <summary>The region lives only while held: nothing is left over for -Orphaned to list.</summary>
    private protected override bool IsLeftOver(ProcessIndex index) => false;

    internal override void RefreshCore()
    {
        _sealsRead = false;
        base.RefreshCore();
    }

    /// <summary>A write-sealed region refuses writes with EPERM: said as Sealed before any byte moves.</summary>
    private protected override void CheckWriteLimit(long end)
    {
        base.CheckWriteLimit(end);
        if (IsMemfd && LiveSeals() is var seals && (seals & (SharedMemorySeals.Write | SharedMemorySeals.FutureWrite)) != 0)
        {
            throw ErrorHelper.Sealed(this, "writing", seals);
        }
    }

    /// <summary>Sealed against the change: Sealed, for ShmPS as ftruncate is EPERM for any other process.</summary>
    internal override void Resize(long size, bool sparse)
    {
        SharedMemorySeals seals = LiveSeals();
        long current = LiveSize;
        if ((size < current && seals.HasFlag(SharedMemorySeals.Shrink)) || (size > current && seals.HasFlag(SharedMemorySeals.Grow)))
        {
            throw ErrorHelper.Sealed(this, size < current ? "shrinking" : "growing", seals);
        }
        base.Resize(size, sparse);
        _sealsRead = false;
    }

    /// <summary>Only a region this process holds can be let go of; another's cannot be removed by anyone (it has no name to unlink).</summary>
    internal override void EnsureRemovable()
    {
        if (!IsHeldBySession)
        {
            throw ErrorHelper.AnonymousNotRemovable(this);
        }
    }

    /// <summary>Closes this process's descriptor and mapping; the memory goes when the last other holder lets go.</summary>
    internal override void Remove()
    {
        EnsureRemovable();
        ReleaseResources();
        HeldRegions.Release(_file);
    }

    internal override object? ViewId => Inode;

    /// <summary>Listed for a container (Get-SharedMemory -ProcessId): held by its processes, and only read from there.</summary>
    internal void InView(NamespaceView view) => View = view;
}
