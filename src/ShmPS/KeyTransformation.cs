using System;
using System.Globalization;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// Lets -Key take every value the kind that has keys takes (its backend's ReadKey: System V reads
/// 0x0000abcd, 0xffffffff, 4294967295, -1, or the same as text from Import-Csv, as the key's 32 bits).
/// The parameter stays an int, so that the Key property of objects binds as it is.
/// </summary>
public sealed class KeyTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is System.Collections.IList list)
        {
            var keys = new int[list.Count];
            for (int i = 0; i < keys.Length; i++)
            {
                keys[i] = ToKey(list[i]);
            }
            return keys;
        }
        return value is null ? null : ToKey(inputData);
    }

    private static int ToKey(object? item)
    {
        object? value = item is PSObject pso ? pso.BaseObject : item;
        string text = item is PSObject wrapped ? wrapped.ToString() : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        try
        {
            return KeyKind.ReadKey(value, text);
        }
        catch (Exception e) when (e is ISharedMemoryError)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }

    /// <summary>The kind -Key names: the first registered kind that declares keys.</summary>
    private static SharedMemoryBackend KeyKind =>
        SharedMemoryBackends.For(SharedMemoryBackends.NamedBy(SharedMemoryIdentityForm.Key)[0]);
}
