using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>
/// struct statvfs, 112 bytes on x86_64 and aarch64 (glibc and musl); only the members ShmPS reads are
/// declared. tests/Native.Tests.ps1 checks the layout against gcc.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
internal struct Statvfs
{
    [FieldOffset(0)] public ulong BlockSize;       // f_bsize
    [FieldOffset(8)] public ulong FragmentSize;    // f_frsize: the unit of the block counts
    [FieldOffset(16)] public ulong Blocks;         // f_blocks
    [FieldOffset(24)] public ulong FreeBlocks;     // f_bfree
    [FieldOffset(32)] public ulong AvailableBlocks; // f_bavail: free to unprivileged users
    [FieldOffset(40)] public ulong Files;          // f_files: inodes
    [FieldOffset(48)] public ulong FreeFiles;      // f_ffree
}
