using System;
using System.ComponentModel;

namespace ShmPS.Native;

/// <summary>A failed libc call: the function and its errno. ErrorRecords are made from it by ErrorHelper.</summary>
public sealed class NativeException : Win32Exception
{
    internal NativeException(string function, int errno, bool nulInArgument = false)
        : base(errno, $"{function}: {Native.Errno.Describe(errno)}")
    {
        Function = function;
        NulInArgument = nulInArgument;
    }

    /// <summary>Refused before the call: a name or path held a NUL character, where C would cut it.</summary>
    public bool NulInArgument { get; }

    /// <summary>The libc function that failed.</summary>
    public string Function { get; }

    /// <summary>errno after the call.</summary>
    public int Errno => NativeErrorCode;

    /// <summary>The symbolic errno name, such as EACCES.</summary>
    public string ErrnoName => Native.Errno.Name(NativeErrorCode);
}
