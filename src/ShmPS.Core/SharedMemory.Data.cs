using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace ShmPS;

/// <summary>Reading and writing: every access bounds-checked against the live size, offsets never addresses.</summary>
public abstract partial class SharedMemory
{
    #region Data access

    // Public methods check that the object is open and turn every failure into a ShmPS failure
    // with a ShmPS id; cmdlets use the internal members, which work on closed objects too (a cmdlet
    // opens what it needs and releases it when done, see CommandScope).

    /// <summary>Reads <paramref name="count"/> bytes at <paramref name="offset"/>.</summary>
    public byte[] Read(long offset, int count)
    {
        try
        {
            ThrowIfClosed();
            if (count < 0)
            {
                CheckRange(offset, count); // says what does not fit
            }
            return ReadArray(offset, count);
        }
        catch (OutOfMemoryException e)
        {
            throw ErrorHelper.ReadTooLarge(this, count, e);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>A new array read from a range already checked against the size.</summary>
    internal byte[] ReadArray(long offset, int count)
    {
        if (count > Array.MaxLength)
        {
            throw ErrorHelper.ReadTooLarge(this, count, null);
        }
        // Every byte is overwritten by the read, so zeroing the array first would only cost time.
        byte[] data = GC.AllocateUninitializedArray<byte>(count);
        if (count >= 256 << 10)
        {
            unsafe
            {
                fixed (byte* at = data)
                {
                    Native.Libc.PopulateBuffer(at, (nuint)count); // a new array's pages may not be there yet
                }
            }
        }
        ReadExact(offset, data);
        return data;
    }

    /// <summary>Reads into part of an existing buffer; returns the count read.</summary>
    public int Read(long offset, byte[] buffer, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ReadInto(offset, buffer.AsSpan(index, count));
        return count;
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>, as the public methods do (open object, ShmPS errors).</summary>
    internal void ReadInto(long offset, Span<byte> buffer)
    {
        try
        {
            ThrowIfClosed();
            ReadExact(offset, buffer);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public void Write(long offset, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        WriteChecked(offset, data);
    }

    /// <summary>Writes part of a buffer at <paramref name="offset"/>.</summary>
    public void Write(long offset, byte[] buffer, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        WriteChecked(offset, buffer.AsSpan(index, count));
    }

    internal void WriteChecked(long offset, ReadOnlySpan<byte> data)
    {
        try
        {
            ThrowIfClosed();
            Write(offset, data);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
    }

    internal void Write(long offset, ReadOnlySpan<byte> data)
    {
        RefuseInForeignNamespace("writing");
        if (offset >= 0)
        {
            CheckWriteLimit(offset + data.Length);
        }
        if (TryWriteMapped(offset, data))
        {
            return;
        }
        CheckRange(offset, data.Length, CurrentSize(writing: true)); // the write limit was checked above
        WriteCore(offset, data);
    }

    // Numbers are little-endian, as every supported architecture (x86_64, aarch64) is.
    public byte ReadByte(long offset) => ReadValue<byte>(offset);
    public sbyte ReadSByte(long offset) => ReadValue<sbyte>(offset);
    public short ReadInt16(long offset) => ReadValue<short>(offset);
    public ushort ReadUInt16(long offset) => ReadValue<ushort>(offset);
    public int ReadInt32(long offset) => ReadValue<int>(offset);
    public uint ReadUInt32(long offset) => ReadValue<uint>(offset);
    public long ReadInt64(long offset) => ReadValue<long>(offset);
    public ulong ReadUInt64(long offset) => ReadValue<ulong>(offset);
    public float ReadSingle(long offset) => ReadValue<float>(offset);
    public double ReadDouble(long offset) => ReadValue<double>(offset);

    public void WriteByte(long offset, byte value) => WriteValue(offset, value);
    public void WriteSByte(long offset, sbyte value) => WriteValue(offset, value);
    public void WriteInt16(long offset, short value) => WriteValue(offset, value);
    public void WriteUInt16(long offset, ushort value) => WriteValue(offset, value);
    public void WriteInt32(long offset, int value) => WriteValue(offset, value);
    public void WriteUInt32(long offset, uint value) => WriteValue(offset, value);
    public void WriteInt64(long offset, long value) => WriteValue(offset, value);
    public void WriteUInt64(long offset, ulong value) => WriteValue(offset, value);
    public void WriteSingle(long offset, float value) => WriteValue(offset, value);
    public void WriteDouble(long offset, double value) => WriteValue(offset, value);

    /// <summary>Decodes <paramref name="count"/> bytes as UTF-8.</summary>
    public string ReadString(long offset, int count) => ReadString(offset, count, Encoding.UTF8);

    public string ReadString(long offset, int count, Encoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        return encoding.GetString(Read(offset, count));
    }

    /// <summary>
    /// Writes the UTF-8 bytes of <paramref name="value"/> (no terminator). Returns nothing, like the other
    /// Write methods, so that a script's output is not a byte count; Encoding.GetByteCount gives it.
    /// </summary>
    public void WriteString(long offset, string value) => WriteString(offset, value, Encoding.UTF8);

    public void WriteString(long offset, string value, Encoding encoding)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(encoding);
        Write(offset, encoding.GetBytes(value));
    }

    internal T ReadValue<T>(long offset) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[Marshal.SizeOf<T>()];
        try
        {
            ThrowIfClosed();
            ReadExact(offset, buffer);
        }
        catch (Exception e) when (IsUntranslated(e))
        {
            throw ErrorHelper.Translate(e, this);
        }
        return MemoryMarshal.Read<T>(buffer);
    }

    internal void WriteValue<T>(long offset, T value) where T : unmanaged =>
        WriteChecked(offset, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Failures that have not yet become a ShmPS failure (argument errors of a method call stay as they are).</summary>
    private protected static bool IsUntranslated(Exception e) =>
        e is Native.NativeException or IOException or ObjectDisposedException or UnauthorizedAccessException;

    internal void ReadExact(long offset, Span<byte> buffer)
    {
        if (TryReadMapped(offset, buffer))
        {
            return;
        }
        if (ReadStopsAtEnd)
        {
            // No size query: a read past the end comes back short, and ReadChecked reports it.
            if (offset < 0)
            {
                throw ErrorHelper.OffsetOutOfRange(this, offset, buffer.Length, LiveSize);
            }
        }
        else
        {
            CheckRange(offset, buffer.Length);
        }
        ReadChecked(offset, buffer);
    }

    private void ReadChecked(long offset, Span<byte> buffer)
    {
        int read = ReadCore(offset, buffer);
        if (read < buffer.Length)
        {
            // Past the end, or another process shrank the object between the check and the read.
            throw ErrorHelper.OffsetOutOfRange(this, offset, buffer.Length, LiveSize);
        }
    }

    /// <summary>
    /// Copies what a stream gives, to its end but never past <paramref name="limit"/> bytes (an endless
    /// input such as /dev/zero stops there), in chunks, reporting progress; returns the count written
    /// and whether input was left over. <paramref name="readChunk"/> returns 0 at the end of the input.
    /// </summary>
    internal long WriteFrom(long offset, long limit, Func<byte[], int, int> readChunk, Action<long>? progress, out bool truncated)
    {
        RefuseInForeignNamespace("writing");
        CheckRange(offset, 0, writing: true);
        long room = LiveSize - offset;
        limit = Math.Min(limit, room);
        byte[] chunk = new byte[(int)Math.Clamp(limit + 1, 1, 1 << 20)];
        long done = 0;
        truncated = false;
        while (true)
        {
            int want = (int)Math.Min(chunk.Length, limit - done);
            if (want == 0)
            {
                // Full: one more byte of input means the input was longer than the room.
                truncated = readChunk(chunk, 1) > 0;
                return done;
            }
            int n = readChunk(chunk, want);
            if (n == 0)
            {
                return done;
            }
            Write(offset + done, (ReadOnlySpan<byte>)chunk.AsSpan(0, n));
            done += n;
            progress?.Invoke(done);
        }
    }

    /// <summary>The size now, from the kernel: another process may have resized the object since Size was read.</summary>
    internal long LiveSize => CurrentSize(writing: false);

    /// <summary>Copies <paramref name="length"/> bytes to a stream in 1 MiB chunks, reporting progress.</summary>
    internal void ReadTo(long offset, Stream destination, long length, Action<long>? progress)
    {
        CheckRange(offset, length);
        byte[] chunk = new byte[(int)Math.Min(length, 1 << 20)];
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(chunk.Length, length - done);
            ReadExact(offset + done, chunk.AsSpan(0, n));
            destination.Write(chunk, 0, n);
            done += n;
            progress?.Invoke(done);
        }
    }

    /// <summary>Checks offset and count against the live size (another process may have resized it).</summary>
    internal void CheckRange(long offset, long count, bool writing = false)
    {
        CheckRange(offset, count, CurrentSize(writing));
        if (writing)
        {
            CheckWriteLimit(offset + count);
        }
    }

    /// <summary>
    /// Copies through a mapping kept by the object, when the kind maps and the guarded copy is available;
    /// false to take the system-call path. Checks the range itself, against the mapping or the live size.
    /// </summary>
    private protected virtual bool TryReadMapped(long offset, Span<byte> buffer) => false;

    private protected virtual bool TryWriteMapped(long offset, ReadOnlySpan<byte> data) => false;

    /// <summary>Checks offset and count against a size the caller read (the one place that decides what fits).</summary>
    internal void CheckRange(long offset, long count, long size)
    {
        if (offset < 0 || count < 0 || offset > size || count > size - offset)
        {
            throw ErrorHelper.OffsetOutOfRange(this, offset, count, size);
        }
    }

    /// <summary>Refuses, before anything is written, a write that would end past a limit of the kind (RLIMIT_FSIZE for files).</summary>
    private protected virtual void CheckWriteLimit(long end) { }

    #endregion
}
