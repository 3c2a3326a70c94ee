using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace ShmPS;

/// <summary>
/// An object given to -Name or -LiteralName (Remove-SharedMemory -Name $shm) is taken by its raw Name,
/// not by the text PowerShell would make of it: ToString shows the name escaped (DisplayText), and
/// "/a\e" read back as a name is another object than the "/a" + ESC it shows.
/// </summary>
public sealed class SharedMemoryNameTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is SharedMemory shm)
        {
            return shm.Name;
        }
        if (value is IEnumerable items and not string)
        {
            var names = new List<object?>();
            bool any = false;
            foreach (object? item in items)
            {
                object? inner = item is PSObject p ? p.BaseObject : item;
                any |= inner is SharedMemory;
                names.Add(inner is SharedMemory s ? s.Name : item);
            }
            if (any)
            {
                return names.ToArray();
            }
        }
        return inputData;
    }
}
