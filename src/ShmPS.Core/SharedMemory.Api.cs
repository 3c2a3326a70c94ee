using System;
using System.Collections.Generic;
using System.IO;

namespace ShmPS;

/// <summary>
/// ShmPS for a .NET program, which has no named shared memory of its own on Linux (MemoryMappedFile
/// refuses names there): create, open, list and remove objects of every kind. The identity is what the
/// kind names its objects by: a POSIX name ("/jobs"), a System V key ("0x0000abcd", or a number) or a
/// file's path. The objects are those the cmdlets return, with the same methods and errors
/// (<see cref="ISharedMemoryError"/>).
/// </summary>
public abstract partial class SharedMemory
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates an object exclusively (it must not exist yet), mode 0600 unless given.</summary>
    public static SharedMemory Create(SharedMemoryKind kind, string identity, long size, UnixFileMode mode = OwnerReadWrite)
    {
        SharedMemoryBackend backend = SharedMemoryBackends.For(kind);
        try
        {
            return backend.Create(backend.RequestFor(identity, size, mode), out _);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, identity);
        }
    }

    /// <summary>The existing object of a kind known by <paramref name="identity"/>.</summary>
    public static SharedMemory Open(SharedMemoryKind kind, string identity)
    {
        try
        {
            return SharedMemoryBackends.For(kind).Find(identity, id: null, literal: false, IPathResolver.Plain);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, identity);
        }
    }

    /// <summary>Every object of a kind that this process can see (file mappings are anywhere: none are listed).</summary>
    public static IEnumerable<SharedMemory> GetAll(SharedMemoryKind kind) => SharedMemoryBackends.For(kind).Enumerate();

    /// <summary>
    /// Removes the object from the system, as Remove-SharedMemory does without its questions: its name
    /// goes now, its memory when the last process that maps or holds it lets go.
    /// </summary>
    public void Unlink()
    {
        try
        {
            Remove();
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }
}
