using System;
using System.Collections.Concurrent;
using System.Globalization;

namespace ShmPS.Native;

/// <summary>uid/gid ↔ name through NSS (getpwuid_r and friends), cached for listings.</summary>
internal static class Accounts
{
    private static readonly ConcurrentDictionary<uint, string> s_users = new();
    private static readonly ConcurrentDictionary<uint, string> s_groups = new();

    /// <summary>The user name, or the number as text when the uid has no entry (as ls shows it).</summary>
    public static string UserName(uint uid) =>
        s_users.GetOrAdd(uid, id => Libc.GetUserName(id) ?? id.ToString(CultureInfo.InvariantCulture));

    public static string GroupName(uint gid) =>
        s_groups.GetOrAdd(gid, id => Libc.GetGroupName(id) ?? id.ToString(CultureInfo.InvariantCulture));

    /// <summary>A user name or a numeric uid.</summary>
    public static uint ResolveUser(string user) =>
        uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) ? id
        : user.Contains('\0') ? throw Unknown("user", user) : Libc.GetUserId(user) ?? throw Unknown("user", user);

    /// <summary>A group name or a numeric gid.</summary>
    public static uint ResolveGroup(string group) =>
        uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) ? id
        : group.Contains('\0') ? throw Unknown("group", group) : Libc.GetGroupId(group) ?? throw Unknown("group", group);

    private static Exception Unknown(string what, string name) =>
        ErrorHelper.UnknownAccount(what == "user", name);
}
