namespace ShmPS;

/// <summary>
/// Text read from shared memory ends at the first NUL character (a C string), whatever the encoding's width
/// and whether or not a count was given: Read-SharedMemory -Encoding and char arrays of -Layout alike.
/// </summary>
internal static class TextRule
{
    public static string UpToNul(string text)
    {
        int end = text.IndexOf('\0');
        return end < 0 ? text : text[..end];
    }
}
