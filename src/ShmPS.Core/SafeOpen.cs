using System;
using ShmPS.Native;

namespace ShmPS;

/// <summary>What a caller of <see cref="SafeOpen.Open"/> allows beyond a regular file reached without a link.</summary>
[Flags]
internal enum SafeOpenOptions
{
    None = 0,
    /// <summary>Follow a symbolic link at the last component (-InputFile only: reading through a link is allowed there).</summary>
    FollowLink = 1,
    /// <summary>Take FIFOs, pipes, devices and /proc files too (-InputFile); directories stay refused.</summary>
    AnyFileType = 2,
    /// <summary>Take a directory too (-KeyPath: ftok of a directory is a common idiom).</summary>
    Directory = 4,
    /// <summary>The file will be written, truncated, or have its mode or owner changed: a second hard link in a directory others can write to is refused.</summary>
    Modify = 8,
    /// <summary>-Force: a file with several hard links is modified anyway.</summary>
    AllowHardLinks = 16,
}

/// <summary>
/// The one safe open for every path ShmPS is given, the objects' and the user's own (-Path, -LiteralPath,
/// -OutFile, -InputFile, -KeyPath). Another user may have put anything at the last component: a
/// symbolic link (followed, root would write where it points: refused, O_NOFOLLOW), a FIFO or a device
/// (opening it can block forever or have effects of its own: looked at first without opening, then opened
/// with O_NONBLOCK and refused at once unless a regular file), or a second hard link to a file of another
/// owner (what fs.protected_hardlinks stops at creation time: refused for modification in a directory
/// other users can write to, unless -Force).
/// </summary>
internal static class SafeOpen
{
    public static SafeFdHandle Open(string path, int flags, uint mode, string kind, SafeOpenOptions options = SafeOpenOptions.None)
    {
        PathRules.Check(path);
        bool follow = options.HasFlag(SafeOpenOptions.FollowLink);
        // Looked at before opening, where the open itself could act: a FIFO blocks a writer, a device may rewind.
        if ((follow ? Libc.TryStatxFollow(path, out Statx before) : Libc.TryStatx(path, out before)) && !Accepts(before, options))
        {
            throw Refusal(kind, path, before);
        }
        SafeFdHandle fd;
        try
        {
            fd = Libc.Open(path, flags | Libc.O_CLOEXEC | Libc.O_NONBLOCK | (follow ? 0 : Libc.O_NOFOLLOW), mode);
        }
        catch (NativeException e) when (e.Errno is Errno.ELOOP && !follow)
        {
            throw ErrorHelper.SymbolicLinkRefused(kind, path);
        }
        catch (NativeException e) when (e.Errno is Errno.ENXIO or Errno.EISDIR or Errno.ENODEV or Errno.EAGAIN or Errno.ETXTBSY
            && (follow ? Libc.TryStatxFollow(path, out Statx swapped) : Libc.TryStatx(path, out swapped)) && !swapped.IsRegularFile)
        {
            throw Refusal(kind, path, swapped); // swapped in after the first look
        }
        try
        {
            Statx st = Libc.FStatx(fd);
            if (!Accepts(st, options))
            {
                throw Refusal(kind, path, st);
            }
            if (options.HasFlag(SafeOpenOptions.Modify) && !options.HasFlag(SafeOpenOptions.AllowHardLinks))
            {
                RefuseHardLinks(kind, path, st);
            }
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private static bool Accepts(in Statx st, SafeOpenOptions options) =>
        st.IsRegularFile
        || (st.IsDirectory ? options.HasFlag(SafeOpenOptions.Directory)
            : options.HasFlag(SafeOpenOptions.AnyFileType) && !st.IsSymbolicLink);

    private static Exception Refusal(string kind, string path, in Statx st) => ErrorHelper.NotRegular(kind, path, path, st);

    /// <summary>
    /// A file with more than one hard link, in a directory that another user can write to, may be another
    /// owner's file linked there as a trap: modifying it would modify theirs.
    /// </summary>
    public static void RefuseHardLinks(string kind, string path, in Statx st)
    {
        if (st.LinkCount <= 1)
        {
            return;
        }
        string directory = System.IO.Path.GetDirectoryName(path) is { Length: > 0 } d ? d : "/";
        if (!Libc.TryStatxFollow(directory, out Statx dir) || WritableByOthers(dir))
        {
            throw ErrorHelper.HardLinkRefused(kind, path, st.LinkCount, directory);
        }
    }

    /// <summary>Another user can add names to it: its owner is someone else, or its group or everyone may write.</summary>
    private static bool WritableByOthers(in Statx dir) => dir.Uid != Libc.geteuid() || (dir.PermissionBits & 0x12) != 0; // 022
}
