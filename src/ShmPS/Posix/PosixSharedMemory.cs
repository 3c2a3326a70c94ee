using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using ShmPS.Native;

namespace ShmPS;

/// <summary>A POSIX shared memory object (shm_open): a name such as /foo, stored as /dev/shm/foo.</summary>
public sealed class PosixSharedMemory : DescriptorSharedMemory
{
    /// <summary>Where Linux keeps POSIX shared memory objects (glibc and musl agree).</summary>
    public const string Directory = "/dev/shm";

    private PosixSharedMemory(string name) : base(name, Directory + name) { }

    public override SharedMemoryKind Kind => SharedMemoryKind.Posix;

    internal override string KindDescription => "POSIX shared memory object";

    private protected override SafeFdHandle OpenDescriptor(int flags) => Libc.ShmOpen(Name, flags, 0);

    private protected override SharedMemoryException NotFound() => ErrorHelper.NotFound(KindDescription, Name);

    internal override void Remove()
    {
        Unlink(Name);
        ReleaseDescriptor();
    }

    #region Backend

    /// <summary>
    /// Validates a name in managed code (glibc's errno for bad names is not portable) and returns it
    /// with the leading slash: "foo" and "/foo" are the same object.
    /// </summary>
    public static string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name.StartsWith('/') ? name[1..] : name;
        string? reason =
            bare.Length == 0 ? "the name is empty."
            : bare.Contains('\0') ? "it contains a NUL character."
            : bare.Contains('/') ? "it has more than one path component ('/' may only lead)."
            : bare is "." or ".." ? "'.' and '..' are not object names."
            : Encoding.UTF8.GetByteCount(bare) > 255 ? $"it is {Encoding.UTF8.GetByteCount(bare)} bytes long; the limit is 255."
            : null;
        return reason is null ? "/" + bare : throw ErrorHelper.InvalidName(name, reason);
    }

    /// <summary>The existing object with this name, described without opening it (so unreadable ones show too).</summary>
    public static PosixSharedMemory Find(string name)
    {
        var shm = new PosixSharedMemory(NormalizeName(name));
        shm.DescribeExisting();
        return shm;
    }

    /// <summary>Opens an existing object read-write; never passes O_CREAT.</summary>
    public static PosixSharedMemory Open(string name)
    {
        var shm = new PosixSharedMemory(NormalizeName(name));
        try
        {
            shm.Attach(Libc.ShmOpen(shm.Name, Libc.O_RDWR | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0), writable: true);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            throw ErrorHelper.NotFound(shm.KindDescription, shm.Name);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, shm);
        }
        return shm;
    }

    /// <summary>
    /// Creates a new object exclusively (O_CREAT|O_EXCL), with exactly <paramref name="mode"/> and, unless
    /// sparse, its memory reserved. With <paramref name="openExisting"/>, an existing object is opened as it is.
    /// Without a name, one is drawn from a CSPRNG and redrawn on collision.
    /// </summary>
    public static PosixSharedMemory Create(string? name, long size, UnixFileMode mode, bool sparse, bool openExisting,
        out bool created)
    {
        string? normalized = name is null ? null : NormalizeName(name);
        SizeLimits.CheckNewFile(normalized ?? "a new POSIX shared memory object", Directory, size, sparse);
        for (int attempt = 0; ; attempt++)
        {
            var shm = new PosixSharedMemory(normalized ?? GenerateName());
            try
            {
                SafeFdHandle fd = Libc.ShmOpen(shm.Name,
                    Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, (uint)mode & 0x1FF);
                shm.Initialize(fd, size, mode, sparse, () => Unlink(shm.Name));
                created = true;
                return shm;
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST && normalized is null && attempt < 100)
            {
                continue;
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST && openExisting)
            {
                try
                {
                    created = false;
                    return Open(shm.Name);
                }
                catch (SharedMemoryException notFound) when (notFound.ErrorId == "SharedMemoryNotFound")
                {
                    continue; // removed between the two calls: try to create it again
                }
            }
            catch (NativeException e) when (e.Errno == Errno.EEXIST)
            {
                // O_EXCL does not follow a symbolic link either; say what stands there.
                throw Libc.TryStatx(shm.Path, out Statx st) && st.IsSymbolicLink
                    ? ErrorHelper.SymbolicLinkRefused(shm.KindDescription, shm.Name)
                    : ErrorHelper.Exists(shm.KindDescription, shm.Name);
            }
            catch (NativeException e)
            {
                throw ErrorHelper.FromNative(e, shm);
            }
        }
    }

    /// <summary>shm_unlink. The memory is freed when the last process closes or unmaps it.</summary>
    public static void Unlink(string name)
    {
        string normalized = NormalizeName(name);
        try
        {
            Libc.ShmUnlink(normalized);
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            throw ErrorHelper.NotFound("POSIX shared memory object", normalized);
        }
        catch (NativeException e)
        {
            throw ErrorHelper.FromNative(e, normalized);
        }
    }

    /// <summary>
    /// Every POSIX object in /dev/shm. Entries that vanish while listing are skipped; glibc's POSIX
    /// semaphores (sem.NAME) and anything that is not a regular file are not shared memory objects.
    /// </summary>
    public static IEnumerable<PosixSharedMemory> EnumerateAll()
    {
        IEnumerable<string> entries;
        try
        {
            entries = System.IO.Directory.EnumerateFileSystemEntries(Directory);
        }
        catch (DirectoryNotFoundException)
        {
            yield break;
        }
        foreach (string path in entries)
        {
            string bare = System.IO.Path.GetFileName(path);
            if (bare.StartsWith("sem.", StringComparison.Ordinal))
            {
                continue;
            }
            PosixSharedMemory? shm = TryDescribe("/" + bare);
            if (shm is not null)
            {
                yield return shm;
            }
        }
    }

    /// <summary>The object's metadata without opening it; null if it is gone or is not a regular file.</summary>
    public static PosixSharedMemory? TryDescribe(string name)
    {
        var shm = new PosixSharedMemory(name);
        if (!Libc.TryStatx(shm.Path, out Statx st) || !st.IsRegularFile)
        {
            return null;
        }
        shm.Populate(st);
        return shm;
    }

    /// <summary>"/shmps-" and 16 hex digits from a CSPRNG.</summary>
    private static string GenerateName() => "/shmps-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    #endregion
}
