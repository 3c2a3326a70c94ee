using System;
using System.Management.Automation;

namespace ShmPS.Commands;

/// <summary>Progress for long copies (-InputFile, -OutFile): shown from 16 MiB, updated every 32 MiB.</summary>
internal static class ProgressReporter
{
    public static void Copy(Cmdlet cmdlet, string activity, long length, Action<Action<long>> copy)
    {
        var progress = new ProgressRecord(1, activity, "0 MiB");
        bool show = length >= 16 << 20;
        long reported = 0;
        copy(done =>
        {
            if (show && (done - reported >= 32 << 20 || done == length))
            {
                reported = done;
                progress.PercentComplete = (int)(done * 100 / length);
                progress.StatusDescription = $"{done >> 20} of {length >> 20} MiB";
                cmdlet.WriteProgress(progress);
            }
        });
        if (show)
        {
            progress.RecordType = ProgressRecordType.Completed;
            cmdlet.WriteProgress(progress);
        }
    }
}
