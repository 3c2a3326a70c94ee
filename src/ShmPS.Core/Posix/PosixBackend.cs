using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using ShmPS.Native;

namespace ShmPS;

/// <summary>POSIX shared memory objects: names such as /foo, files in /dev/shm.</summary>
internal sealed class PosixBackend : SharedMemoryBackend
{
    public static readonly PosixBackend Instance = new();

    public override SharedMemoryKind Kind { get; } = new("Posix");

    public override IReadOnlyList<SharedMemoryIdentityForm> IdentityForms { get; } = new[] { SharedMemoryIdentityForm.LiteralName };

    public override IReadOnlyList<CreationOption> CreationOptions { get; } = new CreationOption[]
    {
        new("Name"), new("LiteralName"), new("Sparse"),
    };

    public override string Description => "POSIX shared memory object";

    /// <summary>Every POSIX object is a name in /dev/shm.</summary>
    public override string? WatchDirectory(string name, IPathResolver paths) => PosixSharedMemory.Directory;

    public override CreateRequest RequestFor(string identity, long size, UnixFileMode mode) =>
        new(size, mode, openExisting: false, new Dictionary<string, object?> { ["Name"] = identity }, IPathResolver.Plain);

    public override string DescribeNew(CreateRequest request) => RequestedName(request, out bool literal) is string name
        ? PosixSharedMemory.NormalizeName(name, literal)
        : "a POSIX shared memory object with a generated name";

    /// <summary>-Name or -LiteralName (literal), not both; null: generate one.</summary>
    private static string? RequestedName(CreateRequest request, out bool literal)
    {
        string? name = request.Get<string>("Name");
        string? literalName = request.Get<string>("LiteralName");
        if (name is not null && literalName is not null)
        {
            throw ErrorHelper.KindConflict("-Name and -LiteralName both name the object: give one of them.", name);
        }
        literal = literalName is not null;
        return literalName ?? name;
    }

    /// <summary>
    /// Creates an object exclusively, with exactly the mode asked and, unless sparse, its memory
    /// reserved; it appears complete (DescriptorSharedMemory.TryCreate). Without a name, one is drawn
    /// from a CSPRNG and drawn again on collision.
    /// </summary>
    public override SharedMemory Create(CreateRequest request, out bool created)
    {
        UnixMode.RequirePermissionBitsOnly(request.Mode);
        string? name = RequestedName(request, out bool literal) is string given ? PosixSharedMemory.NormalizeName(given, literal) : null;
        bool sparse = request.Switch("Sparse");
        PosixSharedMemory? current = null;
        SafeFdHandle? unnamed = null;
        try
        {
            return ExclusiveCreate.Run(
                generated: name is null,
                openExisting: request.OpenExisting,
                tryOpen: () =>
                {
                    var shm = new PosixSharedMemory(name!);
                    return shm.TryOpenExisting() ? shm : null;
                },
                tryCreate: () =>
                {
                    current = new PosixSharedMemory(name ?? GenerateName());
                    SizeLimits.CheckNewFile(current.Name, PosixSharedMemory.Directory, request.Size, sparse);
                    PosixSharedMemory shm = current;
                    return shm.TryCreate(ref unnamed, request.Size, request.Mode, sparse,
                        (flags, mode) => Libc.ShmOpen(shm.Name, flags, mode), () => Libc.ShmUnlink(shm.Name)) ? shm : null;
                },
                // O_EXCL does not follow a symbolic link either; say what stands there.
                exists: () => Libc.TryStatx(current!.Path, out Statx st) && st.IsSymbolicLink
                    ? ErrorHelper.SymbolicLinkRefused(Description, current.Name)
                    : ErrorHelper.Exists(Description, current.Name),
                out created);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, (object?)current ?? name);
        }
        finally
        {
            unnamed?.Dispose();
        }
    }

    public override SharedMemory Find(string name, long? id, bool literal, IPathResolver paths) => PosixSharedMemory.Find(name, literal);

    /// <summary>
    /// Every POSIX object in /dev/shm, by name: names read as bytes (NameBytes), so one that is not UTF-8
    /// is listed once, as itself. Entries that vanish while listing are skipped; glibc's POSIX semaphores
    /// (sem.NAME) and anything that is not a regular file are not shared memory objects.
    /// </summary>
    public override IEnumerable<SharedMemory> Enumerate()
    {
        List<byte[]> entries;
        try
        {
            using SafeFdHandle dir = Libc.Open(PosixSharedMemory.Directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            entries = Libc.ReadDirectory(dir);
        }
        catch (NativeException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return Array.Empty<SharedMemory>();
        }
        return entries
            .Select(bytes => NameBytes.Decode(bytes))
            .Where(bare => !bare.StartsWith("sem.", StringComparison.Ordinal))
            .Select(bare => PosixSharedMemory.TryDescribe("/" + bare))
            .OfType<SharedMemory>()
            .OrderBy(shm => shm.Name, StringComparer.Ordinal);
    }

    /// <summary>What another process sees: its /dev/shm, reached below its root, or the caller's own if it is the same directory.</summary>
    /// <summary>Another process's objects are in the /dev/shm below its root.</summary>
    public override IReadOnlyList<(string Path, string Description)> ViewDirectories { get; } =
        new[] { (PosixSharedMemory.Directory, "directory of POSIX shared memory objects") };

    public override IEnumerable<SharedMemory> Enumerate(NamespaceView view) => view.SharesDirectory(PosixSharedMemory.Directory)
        ? Enumerate()
        : PosixSharedMemory.Enumerate(view)
            .Where(shm => !shm.Name.StartsWith("/sem.", StringComparison.Ordinal))
            .OrderBy(shm => shm.Name, StringComparer.Ordinal);

    /// <summary>Names match with or without their leading '/'.</summary>
    public override string NormalizePattern(string pattern) => pattern.StartsWith('/') ? pattern : "/" + pattern;

    /// <summary>"/shmps-" and 16 hex digits from a CSPRNG.</summary>
    private static string GenerateName() => "/shmps-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
}
