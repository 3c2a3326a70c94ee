using System;
using System.Collections.Generic;
using System.Linq;
using ShmPS.Native;

namespace ShmPS;

/// <summary>Shared file mappings: regular files anywhere, named by their path.</summary>
internal sealed class FileBackend : SharedMemoryBackend
{
    public static readonly FileBackend Instance = new();

    public override SharedMemoryKind Kind { get; } = new("File");

    public override IReadOnlyList<SharedMemoryIdentityForm> IdentityForms { get; } =
        new[] { SharedMemoryIdentityForm.Path, SharedMemoryIdentityForm.LiteralPath };

    public override IReadOnlyList<CreationOption> CreationOptions { get; } = new CreationOption[]
    {
        new("Path", SelectsKind: true), new("Sparse"),
    };

    /// <summary>A file mapping is named by its file: -Name says nothing here.</summary>
    public override Exception RefuseOption(string option) => option is "Name" or "LiteralName"
        ? ErrorHelper.PathRequired("A shared file mapping needs the file: give -Path.", option)
        : base.RefuseOption(option);

    /// <summary>-Path, made absolute against PowerShell's location.</summary>
    private static string RequestedPath(CreateRequest request) => request.Get<string>("Path") is string path
        ? PathRules.Check(request.Paths.Resolve(PathRules.Check(path)))
        : throw ErrorHelper.PathRequired("A shared file mapping needs the file: give -Path.", null);

    public override string Description => "shared file mapping";

    /// <summary>The file's directory, when its path names one directory (no wildcard before the last component).</summary>
    public override string? WatchDirectory(string name, IPathResolver paths)
    {
        string? directory = System.IO.Path.GetDirectoryName(paths.Resolve(PathRules.Check(name)));
        return directory is null || paths.IsPattern(directory) ? null : directory;
    }

    /// <summary>Files are anywhere: a listing names them by path, never lists them all.</summary>
    public override bool ListedByDefault => false;

    public override CreateRequest RequestFor(string identity, long size, System.IO.UnixFileMode mode) =>
        new(size, mode, openExisting: false, new Dictionary<string, object?> { ["Path"] = identity }, IPathResolver.Plain);

    public override string DescribeNew(CreateRequest request) => RequestedPath(request);

    /// <summary>
    /// Creates the file exclusively with exactly the mode asked and, unless sparse, its blocks
    /// reserved; it appears complete (DescriptorSharedMemory.TryCreate). With OpenExisting an existing
    /// regular file is opened as it is (never truncated); directories, devices, FIFOs and symbolic links are refused.
    /// </summary>
    public override SharedMemory Create(CreateRequest request, out bool created)
    {
        UnixMode.RequirePermissionBitsOnly(request.Mode);
        string path = RequestedPath(request);
        bool sparse = request.Switch("Sparse");
        string directory = System.IO.Path.GetDirectoryName(path) ?? "/";
        if (!System.IO.Directory.Exists(directory))
        {
            throw ErrorHelper.DirectoryNotFound(directory);
        }
        var shm = new FileSharedMemory(path);
        SafeFdHandle? unnamed = null;
        try
        {
            return ExclusiveCreate.Run(
                generated: false,
                openExisting: request.OpenExisting,
                tryOpen: () => shm.TryOpenExisting() ? shm : null,
                tryCreate: () =>
                {
                    SizeLimits.CheckNewFile(path, directory, request.Size, sparse);
                    return shm.TryCreate(ref unnamed, request.Size, request.Mode, sparse,
                        (flags, mode) => Libc.Open(path, flags, mode), () => Libc.Unlink(path)) ? shm : null;
                },
                exists: () => Libc.TryStatx(path, out Statx st) && !st.IsRegularFile
                    ? FileSharedMemory.NotRegular(path, st)
                    : ErrorHelper.Exists(Description, path),
                out created);
        }
        catch (NativeException e) when (e.Errno == Errno.ELOOP)
        {
            throw ErrorHelper.SymbolicLinkRefused(Description, path);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, path);
        }
        finally
        {
            unnamed?.Dispose();
        }
    }

    /// <summary>A path, relative to PowerShell's current location.</summary>
    public override SharedMemory Find(string name, long? id, bool literal, IPathResolver paths) =>
        FileSharedMemory.Find(paths.Resolve(PathRules.Check(name)));

    public override IEnumerable<SharedMemory> Enumerate() => Enumerable.Empty<SharedMemory>();

    /// <summary>Paths a wildcard matches, as Get-ChildItem expands them; what is not a regular file is skipped.</summary>
    public override IEnumerable<SharedMemory> Match(Func<string, bool> isMatch, string text, IPathResolver paths)
    {
        foreach (string path in paths.Expand(PathRules.Check(text)))
        {
            if (Libc.TryStatx(path, out Statx st) && st.IsRegularFile)
            {
                yield return FileSharedMemory.Find(path);
            }
        }
    }
}
