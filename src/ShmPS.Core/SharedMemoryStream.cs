using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace ShmPS;

/// <summary>
/// A seekable stream over one shared memory object (SharedMemory.OpenStream), for .NET readers and
/// writers: StreamReader, BinaryReader, CopyTo, GZipStream. Its Length is the object's size when the
/// stream was opened and never changes: a write that would end past it is OffsetOutOfRange and writes
/// nothing (a stream never grows the object), and a read at the end returns 0. Every copy goes through
/// the object's bounds-checked data methods, so an object that another process shrinks makes a read or
/// write an error, never a SIGBUS. Disposing the stream leaves the object open: its mapping stays until
/// the object's Close().
/// </summary>
public sealed class SharedMemoryStream : Stream
{
    private readonly SharedMemory _shm;
    private readonly long _length;
    private readonly FileAccess _access;
    private long _position;
    private bool _disposed;

    internal SharedMemoryStream(SharedMemory shm, long length, FileAccess access) =>
        (_shm, _length, _access) = (shm, length, access);

    /// <summary>The object the stream reads and writes.</summary>
    public SharedMemory SharedMemory => _shm;

    public override bool CanRead => !_disposed && (_access & FileAccess.Read) != 0;

    public override bool CanWrite => !_disposed && (_access & FileAccess.Write) != 0;

    public override bool CanSeek => !_disposed;

    public override bool CanTimeout => false;

    /// <summary>The object's size when the stream was opened (a resize afterwards is not followed: open a new stream).</summary>
    public override long Length
    {
        get
        {
            ThrowIfDisposed();
            return _length;
        }
    }

    public override long Position
    {
        get
        {
            ThrowIfDisposed();
            return _position;
        }
        set
        {
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfDisposed();
        long from = origin switch
        {
            SeekOrigin.Begin => 0,
            SeekOrigin.Current => _position,
            SeekOrigin.End => _length,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        long position = from + offset;
        if (offset < 0 ? position > from : position < from)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }
        if (position < 0)
        {
            // As FileStream and MemoryStream: a seek before the start is an IOException; past the end is allowed (reads give 0).
            throw new IOException($"Seeking to {position} in '{_shm.DisplayName}' would move before its start.");
        }
        return _position = position;
    }

    /// <summary>Refused: a stream never resizes the object (Resize-SharedMemory does).</summary>
    public override void SetLength(long value) =>
        throw new NotSupportedException($"A stream over '{_shm.DisplayName}' cannot change its size; use Resize-SharedMemory.");

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        EnsureCan(FileAccess.Read);
        int count = (int)Math.Clamp(_length - _position, 0, buffer.Length);
        if (count > 0)
        {
            _shm.ReadInto(_position, buffer[..count]);
            _position += count;
        }
        return count;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureCan(FileAccess.Write);
        if (buffer.Length > _length - _position)
        {
            // Checked against the stream's length first: a write that does not fit writes nothing.
            throw ErrorHelper.OffsetOutOfRange(_shm, _position, buffer.Length, _length);
        }
        _shm.WriteChecked(_position, buffer);
        _position += buffer.Length;
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    // The copies are memory copies that never wait: the asynchronous forms complete at once, as MemoryStream's do.
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        try
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        try
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Nothing to do: written data is in the shared memory already. The object's Flush() makes a file mapping durable.</summary>
    public override void Flush() => ThrowIfDisposed();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flush();
        return Task.CompletedTask;
    }

    /// <summary>Ends the stream only; the object stays open (its Close() releases its mapping).</summary>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    private void EnsureCan(FileAccess access)
    {
        ThrowIfDisposed();
        if ((_access & access) == 0)
        {
            throw new NotSupportedException($"This stream over '{_shm.DisplayName}' was opened for {_access} only.");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
