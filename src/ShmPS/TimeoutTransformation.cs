using System;
using System.Globalization;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// Lets -Timeout take seconds (5, 0.5) as well as a TimeSpan or '00:00:05': PowerShell's own
/// conversion would read a bare number as ticks.
/// </summary>
public sealed class TimeoutTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        TimeSpan result = value switch
        {
            TimeSpan t => t,
            int or long or double or float or decimal => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) => TimeSpan.FromSeconds(seconds),
            string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out TimeSpan t) => t,
            _ => throw new ArgumentTransformationMetadataException($"Cannot convert '{value}' to a timeout: give seconds or a TimeSpan."),
        };
        return result < TimeSpan.Zero
            ? throw new ArgumentTransformationMetadataException("The timeout cannot be negative.")
            : result;
    }
}
