// Creates, maps, locks and removes a shared memory object through ShmPS.Core alone, the way a .NET
// program would: .NET's own MemoryMappedFile has no named maps on Linux.
//
//   CoreConsole KIND IDENTITY VALUE   creates the object (4096 bytes), writes VALUE as an Int64 at
//                                     offset 0, holds the object's lock and says "ready"; on a line
//                                     from standard input, releases the lock, removes the object and
//                                     says "removed".
//   CoreConsole missing KIND IDENTITY opens an object that does not exist and says what it caught.
using System;
using System.IO;
using ShmPS;

if (args[0] == "missing")
{
    try
    {
        SharedMemory.Open(SharedMemoryKind.Parse(args[1]), args[2]);
        Console.WriteLine("found");
    }
    catch (IOException e) when (e is ISharedMemoryError error)
    {
        Console.WriteLine($"{e.GetType().Name} {error.ErrorId} {error.Category}");
    }
    return 0;
}

var kind = SharedMemoryKind.Parse(args[0]);
using SharedMemory shm = SharedMemory.Create(kind, args[1], 4096);
shm.WriteInt64(0, long.Parse(args[2]));
using (shm.Lock())
{
    Console.WriteLine($"ready {shm.Name} {shm.Size} {shm.ReadInt64(0)} {SharedMemory.DataPath}");
    Console.ReadLine();
}
shm.Unlink();
Console.WriteLine("removed");
return 0;
