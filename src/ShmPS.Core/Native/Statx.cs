using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>
/// struct statx (linux/stat.h), 256 bytes. Unlike struct stat it has one layout on every
/// architecture, which is why ShmPS uses it; tests/Native.Tests.ps1 checks it against gcc.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct Statx
{
    [FieldOffset(0)] public uint Mask;          // stx_mask
    [FieldOffset(4)] public uint BlockSize;     // stx_blksize
    [FieldOffset(16)] public uint LinkCount;    // stx_nlink
    [FieldOffset(20)] public uint Uid;          // stx_uid
    [FieldOffset(24)] public uint Gid;          // stx_gid
    [FieldOffset(28)] public ushort Mode;       // stx_mode (file type and permission bits)
    [FieldOffset(32)] public ulong Inode;       // stx_ino
    [FieldOffset(40)] public ulong Size;        // stx_size
    [FieldOffset(48)] public ulong Blocks;      // stx_blocks, in 512-byte units
    [FieldOffset(64)] public StatxTimestamp AccessTime; // stx_atime
    [FieldOffset(96)] public StatxTimestamp ChangeTime; // stx_ctime
    [FieldOffset(112)] public StatxTimestamp ModifyTime; // stx_mtime
    [FieldOffset(136)] public uint DevMajor;    // stx_dev_major
    [FieldOffset(140)] public uint DevMinor;    // stx_dev_minor

    public const int S_IFMT = 0xF000;
    public const int S_IFREG = 0x8000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFLNK = 0xA000;

    public readonly bool IsRegularFile => (Mode & S_IFMT) == S_IFREG;

    public readonly bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;

    public readonly bool IsSymbolicLink => (Mode & S_IFMT) == S_IFLNK;

    /// <summary>Permission bits including setuid/setgid/sticky.</summary>
    public readonly int PermissionBits => Mode & 0xFFF;

    public readonly string FileTypeDescription => (Mode & S_IFMT) switch
    {
        S_IFREG => "regular file",
        S_IFDIR => "directory",
        S_IFLNK => "symbolic link",
        0x1000 => "FIFO",
        0x2000 => "character device",
        0x6000 => "block device",
        0xC000 => "socket",
        _ => "special file",
    };
}

/// <summary>struct statx_timestamp, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct StatxTimestamp
{
    public long Seconds;        // tv_sec
    public uint Nanoseconds;    // tv_nsec
    private readonly int _reserved;

    public readonly DateTime ToDateTime() =>
        DateTime.UnixEpoch.AddTicks(Seconds * TimeSpan.TicksPerSecond + Nanoseconds / 100).ToLocalTime();
}
