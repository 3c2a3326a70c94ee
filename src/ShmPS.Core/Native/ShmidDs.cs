using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>
/// struct ipc_perm, 48 bytes on x86_64 and aarch64 (glibc and musl). mode is 32 bits in current
/// glibc (an unsigned short plus padding in older headers and the kernel's x86_64 view): on these
/// little-endian targets its low 16 bits, which hold every bit ShmPS uses, are at offset 20 either
/// way. tests/Native.Tests.ps1 checks the layout against gcc.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct IpcPerm
{
    [FieldOffset(0)] public int Key;            // __key
    [FieldOffset(4)] public uint Uid;           // uid (owner)
    [FieldOffset(8)] public uint Gid;           // gid (owner's group)
    [FieldOffset(12)] public uint CreatorUid;   // cuid
    [FieldOffset(16)] public uint CreatorGid;   // cgid
    [FieldOffset(20)] public ushort Mode;       // mode: permission bits plus SHM_DEST and SHM_LOCKED
    [FieldOffset(24)] public ushort Sequence;   // __seq
}

/// <summary>struct shmid_ds, 112 bytes on x86_64 and aarch64 (glibc and musl).</summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
internal struct ShmidDs
{
    [FieldOffset(0)] public IpcPerm Perm;       // shm_perm
    [FieldOffset(48)] public ulong SegmentSize; // shm_segsz
    [FieldOffset(56)] public long AttachTime;   // shm_atime
    [FieldOffset(64)] public long DetachTime;   // shm_dtime
    [FieldOffset(72)] public long ChangeTime;   // shm_ctime
    [FieldOffset(80)] public int CreatorPid;    // shm_cpid
    [FieldOffset(84)] public int LastPid;       // shm_lpid
    [FieldOffset(88)] public ulong AttachCount; // shm_nattch
}

/// <summary>
/// struct shminfo, 72 bytes on x86_64 and aarch64: what shmctl(IPC_INFO) reports, the limits of the
/// caller's IPC namespace (the kernel fills shmseg with shmmni: Linux has no per-process limit).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct ShmLimitInfo
{
    [FieldOffset(0)] public ulong MaxSegmentSize;  // shmmax, bytes
    [FieldOffset(8)] public ulong MinSegmentSize;  // shmmin, bytes
    [FieldOffset(16)] public ulong MaxSegments;    // shmmni
    [FieldOffset(32)] public ulong MaxTotalPages;  // shmall, pages
}

/// <summary>struct shm_info, 48 bytes on x86_64 and aarch64: what shmctl(SHM_INFO) reports, the usage ipcs -u shows.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct ShmUsageInfo
{
    [FieldOffset(0)] public int Segments;          // used_ids
    [FieldOffset(8)] public ulong TotalPages;      // shm_tot: pages of every segment
    [FieldOffset(16)] public ulong ResidentPages;  // shm_rss
    [FieldOffset(24)] public ulong SwappedPages;   // shm_swp
}
