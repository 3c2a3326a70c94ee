using System;
using System.IO;
using System.Management.Automation;
using System.Text;

namespace ShmPS.Commands;

/// <summary>Reads bytes, text or numbers from a shared memory object.</summary>
[Cmdlet(VerbsCommunications.Read, "SharedMemory", DefaultParameterSetName = NameSet)]
[OutputType(typeof(byte[]), typeof(string), typeof(long), typeof(double), typeof(PSObject))]
public sealed class ReadSharedMemoryCommand : SharedMemoryCommandBase
{
    /// <summary>Reading works on objects listed from another process's namespaces too.</summary>
    private protected override bool ActsInOtherNamespaces => true;

    /// <summary>Where to start, in bytes from the start of the object.</summary>
    [Parameter]
    public long Offset { get; set; }

    /// <summary>How much to read: bytes, or numbers with -As. Default: to the end (text: to the first NUL).</summary>
    [Parameter]
    public long? Count { get; set; }

    /// <summary>Decode the bytes as text in this encoding.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding? Encoding { get; set; }

    /// <summary>
    /// Write the bytes to this file (created or overwritten) instead of the pipeline, in 1 MiB chunks. A
    /// symbolic link, a FIFO or anything else not a regular file at that path is refused.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>Overwrite an -OutFile with several hard links in a directory other users can write to (refused otherwise: HardLinkRefused).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Read little-endian numbers of this type (-Count counts numbers), or a Python ShareableList (-Count counts items).</summary>
    [Parameter]
    public SharedMemoryValueFormat? As { get; set; }

    /// <summary>Read records of this C layout (a New-SharedMemoryLayout result or C declarations); -Count counts records.</summary>
    [Parameter]
    public object? Layout { get; set; }

    private SharedMemoryLayout? _layout;

    /// <summary>Read the whole document at -Offset (written with Write-SharedMemory -Document) as text (UTF-8, or -Encoding), or with -As Byte as bytes.</summary>
    [Parameter]
    public SwitchParameter Document { get; set; }

    protected override void BeginProcessing()
    {
        if (Document)
        {
            DocumentWriting.CheckRead(this, OutFile is not null || Count is not null || Layout is not null || As == SharedMemoryValueFormat.ShareableList, As.NumberType());
            return;
        }
        if (OutFile is not null && (Encoding is not null || As is not null))
        {
            ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.OutFileConflict, "-OutFile copies bytes: it does not take -Encoding or -As.", OutFile));
        }
        if (Encoding is not null && As is not null)
        {
            ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.EncodingAndAsConflict, "-Encoding reads text and -As reads numbers: give one of them."));
        }
        if (Layout is not null)
        {
            _layout = LayoutArgument.Resolve(this, Layout, OutFile is not null || As is not null);
        }
    }

    protected override void ProcessRecord() => ForEachTarget(Read);

    private void Read(SharedMemory shm)
    {
        if (Document)
        {
            WriteObject(DocumentWriting.Read(shm, Offset, As.NumberType(), Encoding), enumerateCollection: false);
            return;
        }
        long size = shm.LiveSize;
        if (Count < 0)
        {
            shm.CheckRange(Offset, Count.Value, size); // a negative count never fits
        }
        if (OutFile is not null)
        {
            long length = Count ?? Math.Max(0, size - Offset);
            shm.CheckRange(Offset, length, size); // before the file is touched
            string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(PathRules.Check(OutFile));
            using FileStream destination = OpenOutFile(shm, path, Force);
            ProgressReporter.Copy(this, $"Reading {shm.DisplayName} to {path}", length,
                report => shm.ReadTo(Offset, destination, length, report));
        }
        else if (_layout is not null)
        {
            LayoutReader.Read(this, shm, _layout, Offset, Count, Encoding ?? System.Text.Encoding.UTF8);
        }
        else if (As == SharedMemoryValueFormat.ShareableList)
        {
            foreach (object? item in ShareableListCodec.Read(shm, Offset, Count))
            {
                WriteObject(item, enumerateCollection: false);
            }
        }
        else if (As.NumberType() is SharedMemoryNumberType type)
        {
            int width = NumberCodec.Width(type);
            long count = Count ?? Math.Max(0, (size - Offset) / width);
            if (Count is null && Offset >= 0 && Offset < size)
            {
                long left = (size - Offset) % width;
                if (count == 0)
                {
                    // Bytes are there, but not enough for one number: an error, not an empty result.
                    shm.CheckRange(Offset, width, size);
                }
                if (left != 0)
                {
                    WriteWarning($"{shm.DisplayName}: the last {left} byte(s) from offset {Offset} do not make a whole {type} and were not read.");
                }
            }
            // A count whose byte length overflows is past the end of any object.
            byte[] data = ReadBytes(shm, size, count > long.MaxValue / width ? long.MaxValue : count * width);
            for (int i = 0; i < count; i++)
            {
                WriteObject(NumberCodec.Decode(type, data.AsSpan(i * width, width)));
            }
        }
        else if (Encoding is not null)
        {
            // Text ends at the first NUL character (a C string), whatever its width in bytes, with or without -Count.
            WriteObject(TextRule.UpToNul(Encoding.GetString(ReadBytes(shm, size, Count ?? Math.Max(0, size - Offset)))));
        }
        else
        {
            WriteObject(ReadBytes(shm, size, Count ?? Math.Max(0, size - Offset)), enumerateCollection: false);
        }
    }

    /// <summary>
    /// Opens -OutFile through the one safe open (no link followed, nothing but a regular file, no second
    /// hard link in a directory others can write to unless -Force), and only then empties it: never the
    /// object's own file, whose data would be gone before it is read.
    /// </summary>
    private static FileStream OpenOutFile(SharedMemory shm, string path, bool force)
    {
        Native.SafeFdHandle fd;
        try
        {
            fd = SafeOpen.Open(path, Native.Libc.O_WRONLY | Native.Libc.O_CREAT, 0x1B6 /* 0666, less the umask */, "output file",
                SafeOpenOptions.Modify | (force ? SafeOpenOptions.AllowHardLinks : SafeOpenOptions.None));
        }
        catch (Native.NativeException e) when (e.Errno is Native.Errno.ENOENT or Native.Errno.ENOTDIR)
        {
            throw ErrorHelper.DirectoryNotFound(System.IO.Path.GetDirectoryName(path) ?? path);
        }
        catch (Native.NativeException e)
        {
            throw ErrorHelper.FromNative(e, path);
        }
        try
        {
            Native.Statx target = Native.Libc.FStatx(fd);
            if (shm.IsFile(target.DevMajor, target.DevMinor, target.Inode))
            {
                throw ErrorHelper.OutFileIsSource(shm, path);
            }
            Native.Libc.FTruncate(fd, 0);
            var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd.DangerousGetHandle(), ownsHandle: true);
            fd.SetHandleAsInvalid(); // the stream owns the descriptor now
            return new FileStream(handle, FileAccess.Write, 1);
        }
        catch (Native.NativeException e)
        {
            fd.Dispose();
            throw ErrorHelper.FromNative(e, path);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private byte[] ReadBytes(SharedMemory shm, long size, long count)
    {
        shm.CheckRange(Offset, count, size);
        if (count > Array.MaxLength)
        {
            throw ErrorHelper.ReadTooLarge(shm, count, null);
        }
        return shm.ReadArray(Offset, (int)count);
    }
}
