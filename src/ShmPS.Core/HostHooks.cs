using System;
using System.Globalization;

namespace ShmPS;

/// <summary>
/// What the core asks of the program that hosts it, with a plain .NET answer by default. The
/// PowerShell module installs its answers when it loads (ModuleInitializer there): values arrive
/// wrapped (PSObject) and are converted by PowerShell's rules, a method's caller is a runspace, and a
/// wait in a method ends when the pipeline that runs it is stopped. The core never names PowerShell.
/// </summary>
internal static class HostHooks
{
    /// <summary>The value inside a host's wrapper (PowerShell: PSObject.BaseObject).</summary>
    public static Func<object?, object?> Unwrap { get; set; } = value => value;

    /// <summary>A value converted to a type by the host's rules (PowerShell: LanguagePrimitives.ConvertTo).</summary>
    public static Func<object, Type, object?> Convert { get; set; } =
        (value, type) => System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);

    /// <summary>Who calls a method, for locks held per caller (PowerShell: the runspace).</summary>
    public static Func<Guid> CallerId { get; set; } = () => Guid.Empty;

    /// <summary>A test that the caller is being stopped (PowerShell: the running pipeline is stopping), or null.</summary>
    public static Func<Func<bool>?> StopProbe { get; set; } = () => null;

    /// <summary>What a method throws when its caller was stopped (PowerShell: PipelineStoppedException).</summary>
    public static Func<Exception> Stopped { get; set; } = () => new OperationCanceledException();

    public static T ConvertTo<T>(object value) => (T)Convert(value, typeof(T))!;
}
