using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>User and group names through NSS: getpwuid_r, getgrgid_r, getpwnam_r, getgrnam_r.</summary>
internal static unsafe partial class Libc
{
    #region Users and groups

    [LibraryImport(Lib, EntryPoint = "getpwuid_r", SetLastError = true)]
    private static partial int getpwuid_r(uint uid, byte* pwd, byte* buf, nuint buflen, byte** result);

    [LibraryImport(Lib, EntryPoint = "getgrgid_r", SetLastError = true)]
    private static partial int getgrgid_r(uint gid, byte* grp, byte* buf, nuint buflen, byte** result);

    [LibraryImport(Lib, EntryPoint = "getpwnam_r", SetLastError = true)]
    private static partial int getpwnam_r(byte[] name, byte* pwd, byte* buf, nuint buflen, byte** result);

    [LibraryImport(Lib, EntryPoint = "getgrnam_r", SetLastError = true)]
    private static partial int getgrnam_r(byte[] name, byte* grp, byte* buf, nuint buflen, byte** result);

    // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... } (48 bytes)
    // struct group  { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }   (32 bytes)
    // Only the leading name pointer and the id at offset 16 are read, identical in both and on every
    // 64-bit Linux ABI.
    private const int PasswdSize = 48;
    private const int GroupSize = 32;
    private const int IdOffset = 16;

    /// <summary>User name for a uid, or null when the uid has no entry.</summary>
    public static string? GetUserName(uint uid) =>
        LookupName((entry, buf, len, res) => getpwuid_r(uid, entry, buf, len, res), PasswdSize);

    /// <summary>Group name for a gid, or null when the gid has no entry.</summary>
    public static string? GetGroupName(uint gid) =>
        LookupName((entry, buf, len, res) => getgrgid_r(gid, entry, buf, len, res), GroupSize);

    /// <summary>uid for a user name, or null when there is no such user.</summary>
    public static uint? GetUserId(string name) =>
        LookupId((entry, buf, len, res) => getpwnam_r(CString(name, "getpwnam_r"), entry, buf, len, res), PasswdSize);

    /// <summary>gid for a group name, or null when there is no such group.</summary>
    public static uint? GetGroupId(string name) =>
        LookupId((entry, buf, len, res) => getgrnam_r(CString(name, "getgrnam_r"), entry, buf, len, res), GroupSize);

    private delegate int EntryLookup(byte* entry, byte* buf, nuint buflen, byte** result);

    private static string? LookupName(EntryLookup lookup, int entrySize)
    {
        string? name = null;
        WithEntry(lookup, entrySize, entry => name = NameBytes.DecodeCString(*(byte**)entry));
        return name;
    }

    private static uint? LookupId(EntryLookup lookup, int entrySize)
    {
        uint? id = null;
        WithEntry(lookup, entrySize, entry => id = *(uint*)(entry + IdOffset));
        return id;
    }

    private delegate void EntryReader(byte* entry);

    private static void WithEntry(EntryLookup lookup, int entrySize, EntryReader read)
    {
        byte* entry = stackalloc byte[entrySize];
        for (int bufLen = 1024; bufLen <= 1 << 20; bufLen *= 4)
        {
            byte[] buffer = new byte[bufLen];
            fixed (byte* buf = buffer)
            {
                byte* result = null;
                int rc = lookup(entry, buf, (nuint)bufLen, &result);
                if (rc == Errno.ERANGE) continue;
                if (rc == 0 && result != null) read(entry);
                return; // not found, or an NSS error: treated as "no entry"
            }
        }
    }

    #endregion
}
