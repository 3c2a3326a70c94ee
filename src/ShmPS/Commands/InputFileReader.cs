using System;
using System.Threading;
using ShmPS.Native;

namespace ShmPS.Commands;

/// <summary>
/// Reads -InputFile to its end, whatever it is: a regular file, a FIFO whose writer has not come yet,
/// a /proc file that reports size 0, or an endless device. The file is opened without blocking
/// (O_NONBLOCK) and read with short polls, so Ctrl+C stops a wait for a FIFO's writer at once.
/// </summary>
internal sealed class InputFileReader : IDisposable
{
    private readonly SafeFdHandle _fd;
    private readonly CancellationToken _stop;

    public InputFileReader(string path, CancellationToken stop)
    {
        // The one safe open, taking what an input can be: FIFOs, pipes, devices and /proc files, through a link.
        _fd = SafeOpen.Open(path, Libc.O_RDONLY, 0, "input file", SafeOpenOptions.FollowLink | SafeOpenOptions.AnyFileType);
        _stop = stop;
        Statx st = Libc.FStatx(_fd);
        // A regular file knows its length; /proc files say 0 and FIFOs and devices say nothing useful.
        KnownLength = st.IsRegularFile && st.Size > 0 ? (long)st.Size : null;
    }

    /// <summary>The length of a regular file, or null where only reading to the end tells.</summary>
    public long? KnownLength { get; }

    /// <summary>Reads up to <paramref name="count"/> bytes; 0 only at the end of the input.</summary>
    public int Read(byte[] buffer, int count)
    {
        while (true)
        {
            _stop.ThrowIfCancellationRequested();
            int n = Libc.ReadAvailable(_fd, buffer.AsSpan(0, count), milliseconds: 100);
            if (n >= 0)
            {
                return n;
            }
        }
    }

    public void Dispose() => _fd.Dispose();
}
