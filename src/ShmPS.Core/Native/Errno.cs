using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>errno values; identical on x86_64 and aarch64 (asm-generic/errno-base.h, errno.h).</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EWOULDBLOCK = EAGAIN;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int ENODEV = 19;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ETXTBSY = 26;
    public const int EFBIG = 27;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int ERANGE = 34;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;
    public const int EIDRM = 43;
    public const int EOVERFLOW = 75;
    public const int EOPNOTSUPP = 95;
    public const int EDQUOT = 122;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        ENXIO => "ENXIO",
        EFAULT => "EFAULT",
        ENOSYS => "ENOSYS",
        EINTR => "EINTR",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EEXIST => "EEXIST",
        ENOTDIR => "ENOTDIR",
        ENODEV => "ENODEV",
        EISDIR => "EISDIR",
        ETXTBSY => "ETXTBSY",
        EINVAL => "EINVAL",
        ENFILE => "ENFILE",
        EMFILE => "EMFILE",
        EFBIG => "EFBIG",
        ENOSPC => "ENOSPC",
        EROFS => "EROFS",
        ERANGE => "ERANGE",
        ENAMETOOLONG => "ENAMETOOLONG",
        ELOOP => "ELOOP",
        EIDRM => "EIDRM",
        EOVERFLOW => "EOVERFLOW",
        EOPNOTSUPP => "EOPNOTSUPP",
        EDQUOT => "EDQUOT",
        _ => $"errno {errno}",
    };

    /// <summary>"Permission denied (EACCES)". The runtime's message, not strerror (which is not thread-safe).</summary>
    public static string Describe(int errno) =>
        $"{Marshal.GetPInvokeErrorMessage(errno)} ({Name(errno)})";
}
