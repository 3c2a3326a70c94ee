namespace ShmPS;

/// <summary>
/// What makes a path one the system will take as given: no NUL (C would cut the path there and name
/// another file), components of at most 255 bytes (NAME_MAX) and at most 4095 bytes in all (PATH_MAX).
/// Checked before any system call, for every path ShmPS is given (-Path, -LiteralPath, -KeyPath,
/// -InputFile, -OutFile).
/// </summary>
internal static class PathRules
{
    private const int NameMax = 255;
    private const int PathMax = 4095;

    public static string Check(string path)
    {
        string? reason = Reason(path);
        return reason is null ? path : throw ErrorHelper.InvalidPath(path, reason);
    }

    public static string? Reason(string path)
    {
        if (path.Length == 0) return "the path is empty.";
        if (path.Contains('\0')) return "it contains a NUL character, where the system would cut it and name another file.";
        if (NameBytes.InvalidReason(path) is string invalid) return invalid;
        if (NameBytes.ByteCount(path) > PathMax) return $"it is longer than {PathMax} bytes.";
        foreach (string component in path.Split('/'))
        {
            int bytes = NameBytes.ByteCount(component);
            if (bytes > NameMax) return $"a component is {bytes} bytes long; the limit is {NameMax}.";
        }
        return null;
    }
}
