using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ShmPS.Native;

namespace ShmPS;

/// <summary>
/// Regions with no name: made with memfd_create (held by this process until removed), found by a scan of
/// /proc (the shared lines of every process's maps and the descriptors every process holds), one object per
/// region, by device and inode.
/// </summary>
internal sealed class AnonymousBackend : SharedMemoryBackend
{
    public static readonly AnonymousBackend Instance = new();

    public override SharedMemoryKind Kind { get; } = new("Anonymous");

    /// <summary>-Id is the inode (with -Kind Anonymous: System V is the first kind with ids).</summary>
    public override IReadOnlyList<SharedMemoryIdentityForm> IdentityForms { get; } = new[] { SharedMemoryIdentityForm.Id };

    /// <summary>-Anonymous selects the kind; -Name is the memfd's label; -Seal and -Sparse.</summary>
    public override IReadOnlyList<CreationOption> CreationOptions { get; } = new CreationOption[]
    {
        new("Anonymous", SelectsKind: true), new("Name"), new("Seal"), new("Sparse"),
    };

    public override string Description => "anonymous shared memory region";

    /// <summary>Every process holds some (the .NET runtime itself maps a memfd): listed when asked for by -Kind, not in every listing.</summary>
    public override bool ListedByDefault => false;

    public override bool ListedByKind => true;

    public override bool ListsFromProcesses => true;

    /// <summary>The longest label memfd_create takes: NAME_MAX less "memfd:".</summary>
    private const int MaxLabelBytes = 249;

    /// <summary>For a .NET caller (SharedMemory.Create): the identity is the memfd's label.</summary>
    public override CreateRequest RequestFor(string identity, long size, UnixFileMode mode) =>
        new(size, mode, openExisting: false, new Dictionary<string, object?> { ["Name"] = identity }, IPathResolver.Plain);

    public override string DescribeNew(CreateRequest request) => $"memfd '{DisplayText.Escape(Label(request))}' held by this session";

    private static string Label(CreateRequest request) => request.Get<string>("Name") ?? "shmps";

    private static SharedMemorySeals Seals(CreateRequest request) =>
        (request.Get<SharedMemorySeals[]>("Seal") ?? Array.Empty<SharedMemorySeals>()).Aggregate(SharedMemorySeals.None, (all, seal) => all | seal);

    /// <summary>
    /// memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING), given its exact mode, its size reserved unless sparse
    /// (fallocate: a region the memory cannot hold fails now, not with SIGBUS later), then its seals; held by
    /// this process until Remove-SharedMemory. There is no name to collide with: always created.
    /// </summary>
    public override SharedMemory Create(CreateRequest request, out bool created)
    {
        string label = Label(request);
        if (NameBytes.ByteCount(label) > MaxLabelBytes)
        {
            throw ErrorHelper.InvalidName(label, $"a memfd label is at most {MaxLabelBytes} bytes.");
        }
        if (label.Any(char.IsControl))
        {
            throw ErrorHelper.InvalidName(label, "it contains a control character.");
        }
        SafeFdHandle fd;
        try
        {
            fd = Libc.MemfdCreate(label, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, label);
        }
        try
        {
            Libc.FChmod(fd, (uint)request.Mode);
            if (request.Switch("Sparse"))
            {
                Libc.FTruncate(fd, request.Size);
            }
            else
            {
                Libc.PosixFAllocate(fd, 0, request.Size);
            }
            if (Seals(request) is var seals && seals != SharedMemorySeals.None)
            {
                Libc.AddSeals(fd, (int)seals);
            }
            AnonymousSharedMemory shm = AnonymousSharedMemory.FromHeld(fd, label);
            Statx st = Libc.FStatx(fd);
            HeldRegions.Hold(new FileKey(st.DevMajor, st.DevMinor, st.Inode), fd);
            created = true;
            return shm;
        }
        catch (NativeException e)
        {
            fd.Dispose();
            throw ErrorHelper.FromNative(e, label);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public override SharedMemory Find(string name, long? id, bool literal, IPathResolver paths)
    {
        List<SharedMemory> named = Enumerate().Where(shm => shm.Name == name).ToList();
        return (id is long inode ? named.FirstOrDefault(shm => ((AnonymousSharedMemory)shm).Inode == (ulong)inode) : named.FirstOrDefault())
            ?? throw ErrorHelper.NotFound(Description, name);
    }

    /// <summary>The region whose inode is <paramref name="id"/>.</summary>
    public override SharedMemory FindById(long id) =>
        Enumerate().FirstOrDefault(shm => ((AnonymousSharedMemory)shm).Inode == (ulong)id)
            ?? throw ErrorHelper.NotFound(Description, $"with inode {id}");

    public override IEnumerable<SharedMemory> Enumerate() => Enumerate(new ProcessSnapshot());

    /// <summary>From the listing's own scan of /proc, which then also gives every region's Processes.</summary>
    public override IEnumerable<SharedMemory> Enumerate(ProcessSnapshot processes)
    {
        foreach (NamelessRegion region in processes.Index.NamelessRegions)
        {
            if (AnonymousSharedMemory.FromRegion(region) is AnonymousSharedMemory shm)
            {
                shm.UseSnapshot(processes);
                yield return shm;
            }
        }
    }

    /// <summary>What a container's processes share without names: the regions held by processes of its mount namespace.</summary>
    public override IEnumerable<SharedMemory> Enumerate(NamespaceView view)
    {
        var snapshot = new ProcessSnapshot();
        var inView = new Dictionary<int, bool>();
        bool InView(int pid)
        {
            if (!inView.TryGetValue(pid, out bool yes))
            {
                inView[pid] = yes = NamespaceView.TryNamespaceInode(pid, "mnt") == view.MountNamespace;
            }
            return yes;
        }
        foreach (NamelessRegion region in snapshot.Index.NamelessRegions)
        {
            if (region.Access.Any(a => InView(a.ProcessId)) && AnonymousSharedMemory.FromRegion(region) is AnonymousSharedMemory shm)
            {
                shm.InView(view);
                shm.UseSnapshot(snapshot);
                yield return shm;
            }
        }
    }
}
