using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using ShmPS.Coordination;

namespace ShmPS.Commands;

/// <summary>
/// Waits, without spinning, until an object exists (the default) or is gone (-Removed), or until a
/// value in it equals -Value, changes (-Changed) or satisfies -Condition, or a document is published
/// (-Document). Outputs the object, or the value (the document) that ended the wait.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "SharedMemory", DefaultParameterSetName = NameSet)]
[OutputType(typeof(SharedMemory), typeof(long), typeof(double), typeof(string))]
public sealed class WaitSharedMemoryCommand : SharedMemoryCommandBase, IDisposable
{
    /// <summary>Wait until the object is gone: removed, marked for removal (System V), or its name given to another object.</summary>
    [Parameter]
    public SwitchParameter Removed { get; set; }

    /// <summary>Where the value (or the document's header) is, in bytes from the start of the object.</summary>
    [Parameter]
    public long Offset { get; set; }

    /// <summary>The number type of the value (little-endian); default Int32, the futex word.</summary>
    [Parameter]
    public SharedMemoryNumberType As { get; set; } = SharedMemoryNumberType.Int32;

    /// <summary>Wait until the value equals this.</summary>
    [Parameter]
    public object? Value { get; set; }

    /// <summary>Wait until the value differs from what it was when the wait began (with -Document: until a new document is published).</summary>
    [Parameter]
    public SwitchParameter Changed { get; set; }

    /// <summary>Wait until this block, given the value as $_, returns true.</summary>
    [Parameter]
    public ScriptBlock? Condition { get; set; }

    /// <summary>Wait for a document (Write-SharedMemory -Document) at -Offset: one to be there, or with -Changed a new one; outputs its text.</summary>
    [Parameter]
    public SwitchParameter Document { get; set; }

    /// <summary>How long to wait: seconds or a TimeSpan. Without it, wait until it happens or Ctrl+C.</summary>
    [Parameter]
    [TimeoutTransformation]
    public TimeSpan? Timeout { get; set; }

    private enum Mode { Exists, Removed, Value, Document }

    private Mode _mode;
    private byte[]? _expected;
    private Deadline _deadline;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Waiting only reads: objects listed from another namespace can be waited on too.</summary>
    private protected override bool ActsInOtherNamespaces => true;

    protected override void BeginProcessing()
    {
        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
        int tests = (Bound(nameof(Value)) ? 1 : 0) + (Changed ? 1 : 0) + (Condition is not null ? 1 : 0);
        if (Removed && (tests > 0 || Document || Bound(nameof(Offset)) || Bound(nameof(As))))
        {
            Refuse("-Removed waits for the object to go: it takes no -Offset, -As, -Value, -Changed, -Condition or -Document.");
        }
        if (Document)
        {
            if (Bound(nameof(Value)) || Condition is not null || Bound(nameof(As)))
            {
                Refuse("-Document waits for a document to be published (with -Changed, a new one): it takes no -Value, -Condition or -As.");
            }
            _mode = Mode.Document;
        }
        else if (tests > 1)
        {
            Refuse("Give one of -Value, -Changed and -Condition.");
        }
        else if (tests == 1)
        {
            _mode = Mode.Value;
            if (Bound(nameof(Value)))
            {
                try
                {
                    _expected = NumberCodec.Encode(As, Value ?? throw new ArgumentNullException(nameof(Value)));
                }
                catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or OverflowException or ArgumentException)
                {
                    ThrowTerminatingError(ErrorRecords.ToErrorRecord(ErrorHelper.InvalidValue(e, Value), Value));
                }
            }
        }
        else if (Bound(nameof(Offset)) || Bound(nameof(As)))
        {
            Refuse("-Offset and -As say which value to wait on: add -Value, -Changed or -Condition to say for what.");
        }
        else
        {
            _mode = Removed ? Mode.Removed : Mode.Exists;
        }
        _deadline = new Deadline(Timeout);
    }

    private void Refuse(string message) =>
        ThrowTerminatingError(ErrorRecords.Usage(ErrorIds.InvalidArgument, message));

    protected override void ProcessRecord()
    {
        try
        {
            if (ParameterSetName == InputObjectSet)
            {
                ForEachObject(InputObject, WaitOn);
                return;
            }
            if (RefuseRemoteRow(Name))
            {
                return;
            }
            if (ParameterSetName == NameSet && Name.Length == 0 && Id.Length == 0)
            {
                ThrowTerminatingError(ErrorRecords.IdentityRequired());
            }
            var finder = new SharedMemoryFinder(this);
            foreach (SharedMemoryIdentity identity in Identities(Name, NameKinds, ChosenKinds))
            {
                IReadOnlyList<SharedMemory> found;
                try
                {
                    // Named and absent: wait until it exists (then for the value, if one is asked for).
                    found = _mode == Mode.Removed ? finder.FindNow(identity) : UntilExists(finder, identity);
                }
                catch (Exception e) when (ErrorRecords.IsTranslatable(e))
                {
                    WriteError(ErrorRecords.ToErrorRecord(e, identity.Text));
                    continue;
                }
                ForEachObject(found, WaitOn);
            }
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    private IReadOnlyList<SharedMemory> UntilExists(SharedMemoryFinder finder, SharedMemoryIdentity identity)
    {
        using ChangeWatch watch = ChangeWatch.Open(finder.WatchDirectory(identity));
        while (true)
        {
            IReadOnlyList<SharedMemory> found = finder.FindNow(identity);
            if (found.Count > 0)
            {
                return found;
            }
            if (_deadline.Passed)
            {
                throw ErrorHelper.WaitTimeout(identity.Text, "it to be created", _deadline.Timeout!.Value);
            }
            watch.Wait(_deadline, _stopping.Token);
        }
    }

    private void WaitOn(SharedMemory shm)
    {
        CancellationToken token = _stopping.Token;
        switch (_mode)
        {
            case Mode.Exists:
                shm.ThrowIfGone();
                WriteObject(shm);
                break;
            case Mode.Removed:
                UntilRemoved(shm, token);
                break;
            case Mode.Value:
                WriteObject(UntilValue(shm, token));
                break;
            case Mode.Document:
                WriteObject(UntilDocument(shm, token));
                break;
        }
    }

    private void UntilRemoved(SharedMemory shm, CancellationToken token)
    {
        using ChangeWatch watch = ChangeWatch.Open(shm.WatchDirectory);
        while (IsThere(shm))
        {
            if (_deadline.Passed)
            {
                throw ErrorHelper.WaitTimeout(shm, "it to be removed", _deadline.Timeout!.Value);
            }
            watch.Wait(_deadline, token);
        }
    }

    private static bool IsThere(SharedMemory shm)
    {
        try
        {
            shm.ThrowIfGone();
            return true;
        }
        catch (SharedMemoryException e) when (e.Category == SharedMemoryErrorCategory.ObjectNotFound)
        {
            shm.ReleaseResources(); // nothing of a removed object is kept by this wait
            return false;
        }
    }

    private object UntilValue(SharedMemory shm, CancellationToken token)
    {
        int width = NumberCodec.Width(As);
        byte[] Read()
        {
            byte[] bytes = new byte[width];
            shm.ReadExact(Offset, bytes);
            return bytes;
        }
        shm.CheckRange(Offset, width, shm.LiveSize);
        Func<byte[], bool> done;
        string what;
        if (_expected is not null)
        {
            byte[] expected = _expected;
            done = bytes => bytes.AsSpan().SequenceEqual(expected);
            what = $"the {As} at offset {Offset} to equal {Value}";
        }
        else if (Changed)
        {
            byte[] initial = Read();
            done = bytes => !bytes.AsSpan().SequenceEqual(initial);
            what = $"the {As} at offset {Offset} to change from {NumberCodec.Decode(As, initial)}";
        }
        else
        {
            ScriptBlock condition = Condition!;
            done = bytes =>
            {
                var results = condition.InvokeWithContext(null, new List<PSVariable> { new("_", NumberCodec.Decode(As, bytes)) });
                return results.Count > 0 && LanguagePrimitives.IsTrue(results.Count == 1 ? results[0] : results);
            };
            what = $"the {As} at offset {Offset} to satisfy {{{condition}}}";
        }
        byte[] value = ValueWait.Until(shm, Offset, width, Read, done, _deadline, what, token);
        return NumberCodec.Decode(As, value);
    }

    private string UntilDocument(SharedMemory shm, CancellationToken token)
    {
        uint start = SharedDocument.Load(shm, Offset);
        Func<uint, bool> done = Changed
            ? s => (s & 1) == 0 && s != start
            : s => (s & 1) == 0 && s != 0;
        string what = Changed ? $"a new document at offset {Offset}" : $"a document at offset {Offset}";
        ValueWait.Until(shm, Offset, 4, () => SharedDocument.Load(shm, Offset), done, _deadline, what, token);
        return Encoding.UTF8.GetString(SharedDocument.Read(shm, Offset, token));
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
