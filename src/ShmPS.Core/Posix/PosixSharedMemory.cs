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

    internal PosixSharedMemory(string name) : base(name, Directory + name) { }

    /// <summary>An object in another process's /dev/shm, reached below its root (/proc/PID/root/dev/shm/NAME).</summary>
    private PosixSharedMemory(string name, NamespaceView view)
        : base(name, $"/proc/{view.ProcessId}/root{Directory}{name}") => View = view;

    internal override SharedMemoryKind Kind => PosixBackend.Instance.Kind;

    /// <summary>-Name completes the names it takes as typed (one with '*' or '[' is for -LiteralName); -LiteralName every name.</summary>
    internal override string? IdentityText(SharedMemoryIdentityForm form) => form switch
    {
        SharedMemoryIdentityForm.Name => IsTypableName(Name) ? Name : null,
        SharedMemoryIdentityForm.LiteralName => Name,
        _ => null,
    };

    private protected override SafeFdHandle OpenDescriptor(int flags)
    {
        if (View is null)
        {
            return Libc.ShmOpen(Name, flags, 0);
        }
        if ((flags & Libc.O_RDWR) != 0)
        {
            RefuseInForeignNamespace("writing");
        }
        using SafeFdHandle dir = View.OpenDirectory(Directory) ?? throw NotFound();
        return Libc.OpenAt(dir, Name[1..], flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
    }

    /// <summary>In another process's /dev/shm: relative to the directory opened below its root, never by path.</summary>
    private protected override bool TryStatFile(out Statx st)
    {
        if (View is null)
        {
            return base.TryStatFile(out st);
        }
        using SafeFdHandle? dir = View.OpenDirectory(Directory);
        st = default;
        return dir is not null && Libc.TryStatxAt(dir, Name[1..], out st);
    }

    private protected override Exception NotFound() => ErrorHelper.NotFound(KindDescription, Name);

    /// <summary>shm_unlink, as glibc does it (unlink in /dev/shm), but only of the object described.</summary>
    internal override void Remove()
    {
        RefuseInForeignNamespace("removing");
        RemoveVerified();
    }

    #region Names and description

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

    /// <summary>Whether -Name takes the name, not only -LiteralName (completion offers it there only then).</summary>
    internal static bool IsTypableName(string name)
    {
        string bare = name.StartsWith('/') ? name[1..] : name;
        return SystemReason(bare) is null && ShmPSReason(bare) is null;
    }

    /// <summary>What the system itself refuses, or what would make the name another object's (a NUL cuts it).</summary>
    private static string? SystemReason(string bare)
    {
        if (bare.Length == 0) return "the name is empty.";
        if (bare.Contains('\0')) return "it contains a NUL character, where the system would cut it.";
        if (bare.Contains('/')) return "it has more than one path component ('/' may only lead).";
        if (bare is "." or "..") return "'.' and '..' are not object names.";
        if (NameBytes.InvalidReason(bare) is string invalid) return invalid;
        int bytes = NameBytes.ByteCount(bare);
        return bytes > 255 ? $"it is {bytes} bytes long; the limit is 255." : null;
    }

    /// <summary>What ShmPS refuses in names it creates or looks up by -Name, so that every name can be typed back.</summary>
    private static string? ShmPSReason(string bare)
    {
        foreach (char c in bare)
        {
            if (char.IsControl(c)) return $"it contains the control character U+{(int)c:X4}.";
            if (NameBytes.IsByteEscape(c)) return $"it contains the byte 0x{c - 0xDC00:x2}, which is not UTF-8 (use -LiteralName for objects other programs named so).";
            if (c is '*' or '?' or '[' or ']') return $"it contains the wildcard character '{c}' (use -LiteralName for objects other programs named so).";
            if (char.IsWhiteSpace(c) && c != ' ') return $"it contains the white-space character U+{(int)c:X4}.";
        }
        if (DisplayText.NeedsEscape(bare)) return $"it contains an invisible character, shown as '{DisplayText.Escape(bare)}' (use -LiteralName for objects other programs named so).";
        if (bare != bare.Trim()) return "it starts or ends with a space.";
        if (bare.StartsWith("sem.", StringComparison.Ordinal)) return "names starting with 'sem.' are POSIX semaphores (sem_open) in /dev/shm.";
        return null;
    }

    /// <summary>The object's metadata without opening it; null if it is gone or is not a regular file.</summary>
    internal static PosixSharedMemory? TryDescribe(string name)
    {
        var shm = new PosixSharedMemory(name);
        if (!Libc.TryStatx(shm.Path, out Statx st) || !st.IsRegularFile)
        {
            return null;
        }
        shm.Describe(st);
        return shm;
    }

    /// <summary>Every POSIX object in another process's /dev/shm (none if it has none), described as TryDescribe does.</summary>
    internal static IEnumerable<PosixSharedMemory> Enumerate(NamespaceView view)
    {
        using SafeFdHandle? dir = view.OpenDirectory(Directory);
        if (dir is null)
        {
            yield break;
        }
        foreach (string bare in view.DirectoryEntries(dir))
        {
            if (Libc.TryStatxAt(dir, bare, out Statx st) && st.IsRegularFile)
            {
                var shm = new PosixSharedMemory("/" + bare, view);
                shm.Describe(st);
                yield return shm;
            }
        }
    }

    /// <summary>The existing object with this name, described without opening it (so unreadable ones show too).</summary>
    internal static PosixSharedMemory Find(string name, bool literal)
    {
        var shm = new PosixSharedMemory(NormalizeName(name, literal));
        shm.DescribeExisting();
        return shm;
    }

    /// <summary>Opens the existing object as this one, read-write; null if there is none.</summary>
    internal bool TryOpenExisting()
    {
        try
        {
            OpenExisting();
            return true;
        }
        catch (NativeException e) when (e.Errno == Errno.ENOENT)
        {
            return false;
        }
    }

    #endregion
}
