using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// What PowerShell shows of Kind, Mode and Id (ShmPS.Types.ps1xml): text that converts back to the same
/// value wherever it goes. ConvertTo-Json writes enum values as numbers (Kind 0, Mode 416, and -Mode 416
/// would mean 0416), and Export-Csv takes its columns from the first object, so every kind has an Id.
/// They are extended members rather than .NET properties because ConvertTo-Json reads .NET properties
/// first and would write those; Kind and Mode stay typed (internal) for the code. They live in the
/// module, with the views: the core knows nothing of PowerShell.
/// </summary>
public static class SharedMemoryView
{
    /// <summary>Kind as text: Posix, SystemV or File (what -Kind takes).</summary>
    public static string GetKindText(PSObject instance) => Of(instance).Kind.ToString();

    /// <summary>Mode as octal text: 0640 (what -Mode takes).</summary>
    public static string GetModeText(PSObject instance) => UnixMode.ToOctal(Of(instance).Mode);

    /// <summary>The Id column: the number the kind gives the object (a segment's shmid); null for kinds whose objects have none.</summary>
    public static object? GetId(PSObject instance) => Of(instance).ViewId;

    /// <summary>Format-Table -View Ipcs: the key column ('-' where the kind has no keys).</summary>
    public static string IpcsKey(SharedMemory shm) => shm.IpcsColumns.Key ?? "-";

    /// <summary>Format-Table -View Ipcs: the shmid column ('-' where the kind has none).</summary>
    public static string IpcsId(SharedMemory shm) => shm.IpcsColumns.Id ?? "-";

    /// <summary>Format-Table -View Ipcs: the status column (dest, locked).</summary>
    public static string IpcsStatus(SharedMemory shm) => shm.IpcsColumns.Status ?? "";

    /// <summary>Format-Table -View Ipcs: the last column names what ipcs cannot (null where key and shmid do), escaped.</summary>
    public static string? IpcsName(SharedMemory shm) => shm.IpcsColumns.NamedByKey ? null : shm.DisplayName;

    /// <summary>Format-List: whether the object shows a property beyond those every kind shows (its kind declares them).</summary>
    public static bool ListShows(SharedMemory shm, string property) => shm.ListProperties.Contains(property);

    private static SharedMemory Of(PSObject instance) => (SharedMemory)instance.BaseObject;
}
