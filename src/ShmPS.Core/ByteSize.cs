using System.Globalization;

namespace ShmPS;

/// <summary>
/// Sizes as a person reads them, in the binary units lsipc, ipcs --human and df -h use (B, K, M, G, T,
/// P, E; 1024-based): 32M, 3.3K, 16E. The views and messages show this; the properties stay exact numbers,
/// since scripts sort and sum them.
/// </summary>
public static class ByteSize
{
    private const string Units = "BKMGTPE";

    /// <summary>
    /// The size as lsipc shows it (util-linux size_to_human_string): the unit is the largest power of 1024
    /// not above the size, with one decimal, rounded half up and dropped when it is 0 ("1K", "1.5K", "16E").
    /// </summary>
    public static string Format(ulong bytes)
    {
        int exp = Exponent(bytes);
        char unit = Units[exp / 10];
        ulong whole = exp == 0 ? bytes : bytes >> exp;
        ulong frac = exp == 0 ? 0 : bytes & ((1UL << exp) - 1);
        if (frac != 0)
        {
            // Three digits after the point, without overflowing 64 bits, then rounded to one.
            frac = frac >= ulong.MaxValue / 1000
                ? frac / 1024 * 1000 / (1UL << (exp - 10))
                : frac * 1000 / (1UL << exp);
            frac = (frac + 50) / 100;
            if (frac == 10)
            {
                whole++;
                frac = 0;
            }
        }
        return frac == 0
            ? whole.ToString(CultureInfo.InvariantCulture) + unit
            : string.Create(CultureInfo.InvariantCulture, $"{whole}.{frac}{unit}");
    }

    /// <summary>A signed size (Size, AllocatedBytes): negative ones keep their sign.</summary>
    public static string Format(long bytes) => bytes < 0 ? "-" + Format((ulong)(-(bytes + 1)) + 1) : Format((ulong)bytes);

    /// <summary>
    /// For messages: the human form with the exact count beside it, "1P (1125899906842624 bytes)";
    /// below 1 KiB only the count ("100 bytes"), since the two would say the same.
    /// </summary>
    public static string Describe(long bytes) => bytes is > -1024 and < 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
        : string.Create(CultureInfo.InvariantCulture, $"{Format(bytes)} ({bytes} bytes)");

    /// <inheritdoc cref="Describe(long)"/>
    public static string Describe(ulong bytes) => bytes < 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
        : string.Create(CultureInfo.InvariantCulture, $"{Format(bytes)} ({bytes} bytes)");

    // The power of two (0, 10, ... 60) of the unit: the largest whose unit is not above the size.
    private static int Exponent(ulong bytes)
    {
        int shift = 10;
        while (shift <= 60 && bytes >= 1UL << shift)
        {
            shift += 10;
        }
        return shift - 10;
    }
}
