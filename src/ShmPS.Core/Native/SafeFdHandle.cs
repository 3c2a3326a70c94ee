using Microsoft.Win32.SafeHandles;

namespace ShmPS.Native;

/// <summary>
/// A file descriptor that is closed when released. Only -1 is invalid: 0 is a descriptor like any other
/// (the kernel hands it out when standard input is closed) and must be closed too.
/// </summary>
internal sealed class SafeFdHandle : SafeHandleMinusOneIsInvalid
{
    public SafeFdHandle() : base(ownsHandle: true) { }

    public SafeFdHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
