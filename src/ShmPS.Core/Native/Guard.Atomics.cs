using System;
using System.Runtime.InteropServices;

namespace ShmPS.Native;

/// <summary>The operations of shmps_guarded_atomic (src/native/shmps_guard.h): odd ones on 64-bit words.</summary>
internal enum AtomicOp
{
    Load32 = 0,
    Load64 = 1,
    Add32 = 2,
    Add64 = 3,
    Exchange32 = 4,
    Exchange64 = 5,
    CompareExchange32 = 6,
    CompareExchange64 = 7,
}

/// <summary>
/// The fault-guarded atomic operations of libshmps_guard.so: the __atomic builtins (sequentially
/// consistent, so they agree with C's __atomic_* and C11 atomics on the same word) on a word of a
/// mapping, with a SIGBUS there (the object shrank beneath the word) returned as the signal number.
/// </summary>
internal static unsafe partial class Guard
{
    // int shmps_guarded_atomic(int op, void *address, int64_t operand, int64_t comparand, int64_t *result)
    // Looked up on first use: a field initializer would run before the static constructor has loaded the library.
    private static delegate* unmanaged[SuppressGCTransition]<int, void*, long, long, long*, int> s_atomic;
    private static volatile bool s_atomicLooked;

    /// <summary>True when the library loaded and exports the atomic operations.</summary>
    public static bool HasAtomics => AtomicFunction != null;

    private static delegate* unmanaged[SuppressGCTransition]<int, void*, long, long, long*, int> AtomicFunction
    {
        get
        {
            if (!s_atomicLooked)
            {
                s_atomic = LoadAtomic();
                s_atomicLooked = true;
            }
            return s_atomic;
        }
    }

    private static delegate* unmanaged[SuppressGCTransition]<int, void*, long, long, long*, int> LoadAtomic() =>
        IsAvailable && s_library != IntPtr.Zero && NativeLibrary.TryGetExport(s_library, "shmps_guarded_atomic", out IntPtr f)
            ? (delegate* unmanaged[SuppressGCTransition]<int, void*, long, long, long*, int>)f
            : null;

    /// <summary>
    /// One atomic operation on the naturally aligned word at <paramref name="address"/>; returns 0 with
    /// <paramref name="result"/> set (see AtomicOp), or the signal that hit the word (nothing changed).
    /// </summary>
    public static int Atomic(AtomicOp op, void* address, long operand, long comparand, out long result)
    {
        var atomic = AtomicFunction;
        if (atomic == null)
        {
            throw new InvalidOperationException(Status);
        }
        long value;
        int signal = atomic((int)op, address, operand, comparand, &value);
        result = value;
        return signal;
    }
}
