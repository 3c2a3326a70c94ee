using System;
using System.Buffers;
using System.Text;

namespace ShmPS;

/// <summary>
/// Names are bytes: Linux takes any bytes but '/' and NUL in a name, UTF-8 or not. A name becomes a
/// .NET string as Python's surrogateescape does it: valid UTF-8 is decoded, and each byte of an invalid
/// sequence becomes the lone surrogate U+DC80–U+DCFF (0xff is U+DCFF). Encoding gives those bytes back,
/// so every name found on the system is a string that leads to its own bytes and no others (a byte
/// 0xff and a U+FFFD stay two names). Lone surrogates outside U+DC80–U+DCFF stand for no byte.
/// </summary>
internal static class NameBytes
{
    private const char EscapeBase = '\uDC00';

    /// <summary>The bytes as a string, undecodable bytes as U+DC80–U+DCFF.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf8(bytes, out Rune rune, out int consumed);
            if (status == OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else
            {
                // The maximal invalid subsequence (1–3 bytes, all >= 0x80): each byte escaped on its own.
                for (int i = 0; i < consumed; i++)
                {
                    text.Append((char)(EscapeBase + bytes[i]));
                }
            }
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }

    /// <summary>A file's content decoded as a name is (/proc/PID/comm: a process names itself, in any bytes).</summary>
    public static string ReadFile(string path) => Decode(System.IO.File.ReadAllBytes(path));

    /// <summary>A NUL-terminated C string's bytes, decoded.</summary>
    public static unsafe string DecodeCString(byte* s) =>
        s is null ? "" : Decode(new ReadOnlySpan<byte>(s, new ReadOnlySpan<byte>(s, int.MaxValue).IndexOf((byte)0)));

    /// <summary>Whether a character is the escape of one undecodable byte.</summary>
    public static bool IsByteEscape(char c) => c is >= '\uDC80' and <= '\uDCFF';

    /// <summary>The exact bytes a string stands for; null if it holds a lone surrogate that is no byte's escape.</summary>
    public static byte[]? TryEncode(string text, bool nulTerminated = false)
    {
        int length = ByteCount(text);
        if (length < 0)
        {
            return null;
        }
        byte[] bytes = new byte[length + (nulTerminated ? 1 : 0)];
        int at = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (IsByteEscape(c))
            {
                bytes[at++] = (byte)(c - EscapeBase);
            }
            else if (char.IsHighSurrogate(c))
            {
                at += new Rune(c, text[++i]).EncodeToUtf8(bytes.AsSpan(at));
            }
            else
            {
                at += new Rune(c).EncodeToUtf8(bytes.AsSpan(at));
            }
        }
        return bytes;
    }

    /// <summary>The exact bytes a string stands for; ArgumentException for a lone surrogate that is no byte's escape.</summary>
    public static byte[] Encode(string text) =>
        TryEncode(text) ?? throw new ArgumentException(InvalidReason(text), nameof(text));

    /// <summary>How many bytes the string stands for; -1 if it holds a lone surrogate that is no byte's escape.</summary>
    public static int ByteCount(string text)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (IsByteEscape(c))
            {
                count++;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                count += 4;
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return -1;
            }
            else
            {
                count += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        return count;
    }

    /// <summary>Why a string stands for no bytes (null if it does).</summary>
    public static string? InvalidReason(string text)
    {
        if (ByteCount(text) >= 0)
        {
            return null;
        }
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]) && !IsByteEscape(text[i]))
            {
                return $"it contains the lone surrogate U+{(int)text[i]:X4}, which stands for no byte (U+DC80 to U+DCFF stand for the bytes 0x80 to 0xff that are not UTF-8).";
            }
        }
        return null;
    }
}
