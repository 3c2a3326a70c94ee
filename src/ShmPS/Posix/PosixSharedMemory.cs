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

    /// <summary>shm_unlink, as glibc does it (unlink in /dev/shm), but only of the object described.</summary>
    internal override void Remove() => RemoveVerified();

    #region Backend

    /// <summary>
    /// Validates a name for creating or looking up an object and returns it with the leading slash:
    /// "foo" and "/foo" are the same object. Names are checked in managed code (glibc's errno for bad
    /// names is not portable). <paramref name="literal"/> applies only the system's own rules, so that
    /// objects other programs named (with spaces, wildcard characters, "sem." ...) can be reached.
    /// </summary>
    public static string NormalizeName(string name, bool literal = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name.StartsWith('/') ? name[1..] : name;
        string? reason = SystemReason(bare) ?? (literal ? null : ShmPSReason(bare));
        return reason is null ? "/" + bare : throw ErrorHelper.InvalidName(name, reason);
    }

    /// <summary>What the system itself refuses, or what would make the name another object's (a NUL cuts it).</summary>
    private static string? SystemReason(string bare)
    {
        if (bare.Length == 0) return "the name is empty.";
        if (bare.Contains('\0')) return "it contains a NUL character, where the system would cut it.";
        if (bare.Contains('/')) return "it has more than one path component ('/' may only lead).";
        if (bare is "." or "..") return "'.' and '..' are not object names.";
        for (int i = 0; i < bare.Length; i++)
        {
            if (char.IsSurrogate(bare[i]) && !(char.IsHighSurrogate(bare[i]) && i + 1 < bare.Length && char.IsLowSurrogate(bare[++i])))
            {
                return "it contains a lone surrogate, which has no UTF-8 form.";
            }
        }
        int bytes = Encoding.UTF8.GetByteCount(bare);
        return bytes > 255 ? $"it is {bytes} bytes long; the limit is 255." : null;
    }

    /// <summary>What ShmPS refuses in names it creates or looks up by -Name, so that every name can be typed back.</summary>
    private static string? ShmPSReason(string bare)
    {
        foreach (char c in bare)
        {
            if (char.IsControl(c)) return $"it contains the control character U+{(int)c:X4}.";
            if (c is '*' or '?' or '[' or ']') return $"it contains the wildcard character '{c}' (use -LiteralName for objects other programs named so).";
            if (char.IsWhiteSpace(c) && c != ' ') return $"it contains the white-space character U+{(int)c:X4}.";
        }
        if (bare != bare.Trim()) return "it starts or ends with a space.";
        if (bare.StartsWith("sem.", StringComparison.Ordinal)) return "names starting with 'sem.' are POSIX semaphores (sem_open) in /dev/shm.";
        return null;
    }

    /// <summary>The existing object with this name, described without opening it (so unreadable ones show too).</summary>
    public static PosixSharedMemory Find(string name, bool literal = false)
    {
        var shm = new PosixSharedMemory(NormalizeName(name, literal));
        shm.DescribeExisting();
        return shm;
    }

    /// <summary>
    /// Creates a new object exclusively, with exactly <paramref name="mode"/> and, unless sparse, its
    /// memory reserved; it appears complete (see TryCreate). With <paramref name="openExisting"/>, an
    /// existing object is opened as it is. Without a name, one is drawn from a CSPRNG and redrawn on collision.
    /// </summary>
    public static PosixSharedMemory Create(string? name, long size, UnixFileMode mode, bool sparse, bool openExisting,
        out bool created, bool literal = false)
    {
        UnixMode.RequirePermissionBitsOnly(mode);
        string? normalized = name is null ? null : NormalizeName(name, literal);
        SizeLimits.CheckNewFile(normalized ?? "a new POSIX shared memory object", Directory, size, sparse);
        SafeFdHandle? unnamed = null;
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                var shm = new PosixSharedMemory(normalized ?? GenerateName());
                if (shm.TryCreate(ref unnamed, size, mode, sparse,
                        (flags, createMode) => Libc.ShmOpen(shm.Name, flags, createMode), () => Libc.ShmUnlink(shm.Name)))
                {
                    created = true;
                    return shm;
                }
                if (normalized is null && attempt < CreateAttempts)
                {
                    continue; // a generated name that exists: draw another
                }
                if (openExisting)
                {
                    try
                    {
                        shm.OpenExisting();
                        created = false;
                        return shm;
                    }
                    catch (NativeException e) when (e.Errno == Errno.ENOENT && attempt < CreateAttempts)
                    {
                        continue; // removed between the two calls: create it again
                    }
                }
                // O_EXCL does not follow a symbolic link either; say what stands there.
                throw Libc.TryStatx(shm.Path, out Statx st) && st.IsSymbolicLink
                    ? ErrorHelper.SymbolicLinkRefused(shm.KindDescription, shm.Name)
                    : ErrorHelper.Exists(shm.KindDescription, shm.Name);
            }
        }
        finally
        {
            unnamed?.Dispose();
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
    internal static PosixSharedMemory? TryDescribe(string name)
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
