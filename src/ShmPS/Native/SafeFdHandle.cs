using Microsoft.Win32.SafeHandles;

namespace ShmPS.Native;

/// <summary>A file descriptor that is closed when released.</summary>
internal sealed class SafeFdHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFdHandle() : base(ownsHandle: true) { }

    public SafeFdHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
