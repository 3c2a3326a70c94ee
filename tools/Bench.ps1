#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Measures ShmPS against the tools and APIs users would use instead; prints a table and writes JSON.
.DESCRIPTION
    Every figure is a ratio against a baseline measured in the same run. Each group of measures runs
    once to warm up (JIT, page cache, first-touch page faults), then -Repetitions rounds; within a round
    the baseline and the ShmPS measures run one after the other (interleaved), so load from other
    processes on the machine falls on both alike. The figure is the median of the rounds. A full
    garbage collection runs, untimed, before every timed sample. bench.json also keeps every sample and
    the CPU time of the measuring thread, which is less sensitive than wall time to other processes.

    Ratios: for time measures ShmPS time / baseline time (lower is better); for throughput measures
    ShmPS throughput / baseline throughput (higher is better).

    Placement: POSIX objects and their baselines in /dev/shm (tmpfs); File objects and their baselines
    in /tmp (the root file system, on disk, data in the page cache), except the one-shot 256 MiB rows of
    Bulk, whose File object is in /dev/shm; the 1 GiB input file in /tmp.
    The listing measures run in a fresh IPC and mount namespace (unshare -im, an empty tmpfs on
    /dev/shm) when running as root, so that objects of other processes do not count and thousands of
    benchmark objects never show up elsewhere. The 1 GiB -InputFile measure runs in a child pwsh of its
    own, whose peak RSS (VmHWM) is the memory figure.

    Everything created is named shmps-bench-<pid>-* (files, POSIX objects) or has a key in
    0x5be40000-0x5be4ffff (System V segments, and the semaphore sets Lock-SharedMemory makes for them)
    and is removed in finally blocks, which Ctrl+C runs too; a later run removes what a killed run left,
    once its process is gone.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Bench
.EXAMPLE
    pwsh -c '& ./tools/Bench.ps1 -ModulePath output/ShmPS/0.1.0/ShmPS.psd1 -Section Bulk, SmallMethod -Repetitions 3'
#>
[CmdletBinding()]
param(
    # The staged module manifest (output/ShmPS/<version>/ShmPS.psd1).
    [Parameter(Mandatory)]
    [string] $ModulePath,

    [string] $OutputPath = (Join-Path $PSScriptRoot '../output/bench.json'),

    # Timed rounds after the warm-up; the figure is their median.
    [ValidateRange(3, 51)]
    [int] $Repetitions = 5,

    # Sections to run (all by default).
    [ValidateSet('Bulk', 'OneShot', 'SmallCmdlet', 'SmallMethod', 'Stress', 'CreateRemove', 'Listing', 'Processes', 'Anonymous', 'InputFile', 'Lock', 'Layout', 'Coordination', 'Chapter50')]
    [string[]] $Section = @('Bulk', 'OneShot', 'SmallCmdlet', 'SmallMethod', 'Stress', 'CreateRemove', 'Listing', 'Processes', 'Anonymous', 'InputFile', 'Lock', 'Layout', 'Coordination', 'Chapter50'),

    # Internal: this process is a child that runs one part and writes its rows to -ResultPath.
    [ValidateSet('Listing', 'Processes', 'InputFile')]
    [string] $Child,

    [string] $ResultPath,

    # Internal (-Child InputFile): the input file.
    [string] $InputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath

$Pwsh = Join-Path $PSHOME 'pwsh'
$Prefix = "shmps-bench-$PID"
$KeyBase = 0x5be40000
$MiB = 1MB
$Rows = [System.Collections.Generic.List[object]]::new()

#region Measuring

function Measure-Interleaved {
    <#
    Runs every block once to warm up, then -Rounds (default $Repetitions) rounds that time each block in
    turn. Before each block: a full GC and the optional untimed -Reset block. Returns name -> @{ Median;
    Samples; CpuMedian } (ms); CpuMedian is the CPU time of this thread (user + system, including page
    faults it takes), which waiting for a CPU on a busy machine does not inflate; it excludes child
    processes. A block may return a hashtable of lap times (ms), kept as medians in Laps.
    #>
    param(
        [Parameter(Mandatory)] [System.Collections.Specialized.OrderedDictionary] $Blocks,
        [scriptblock] $Reset,
        [int] $Rounds = $Repetitions
    )
    $samples = [ordered]@{}
    $cpu = @{}
    $laps = @{}
    foreach ($name in $Blocks.Keys) {
        $samples[$name] = [System.Collections.Generic.List[double]]::new()
        $cpu[$name] = [System.Collections.Generic.List[double]]::new()
        $laps[$name] = @{}
    }
    for ($round = 0; $round -le $Rounds; $round++) {
        foreach ($name in $Blocks.Keys) {
            if ($Reset) { & $Reset $name }
            [GC]::Collect()
            [GC]::WaitForPendingFinalizers()
            $errors = $global:Error.Count
            $cpuStart = [ShmPSBench.Native]::ThreadCpuMs()
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $out = & $Blocks[$name]
            $sw.Stop()
            $cpuMs = [ShmPSBench.Native]::ThreadCpuMs() - $cpuStart
            # Blocks are closures, which see the global $ErrorActionPreference: a non-terminating error
            # would otherwise pass unnoticed and leave a figure for work that was not done.
            if ($global:Error.Count -gt $errors) { throw "'$name' wrote an error: $($global:Error[0])" }
            if ($round -eq 0) { continue } # warm-up
            $samples[$name].Add($sw.Elapsed.TotalMilliseconds)
            $cpu[$name].Add($cpuMs)
            if ($out -is [hashtable]) {
                foreach ($lap in $out.Keys) {
                    if (-not $laps[$name].ContainsKey($lap)) { $laps[$name][$lap] = [System.Collections.Generic.List[double]]::new() }
                    $laps[$name][$lap].Add([double]$out[$lap])
                }
            }
        }
    }
    $result = @{}
    foreach ($name in $Blocks.Keys) {
        $lapMedians = [ordered]@{}
        $lapSamples = @{}
        foreach ($lap in $laps[$name].Keys) {
            $lapMedians[$lap] = [math]::Round((Get-Median $laps[$name][$lap]), 3)
            $lapSamples[$lap] = @($laps[$name][$lap])
        }
        $result[$name] = @{ Median = Get-Median $samples[$name]; Samples = @($samples[$name]); CpuMedian = Get-Median $cpu[$name]; Laps = $lapMedians; LapSamples = $lapSamples }
    }
    $result
}

function Get-Median([double[]] $Values) {
    $sorted = [double[]]($Values | Sort-Object)
    $n = $sorted.Length
    if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

function Add-Row {
    <#
    One line of the table. -Compare Time: ratio = ShmPS / baseline time, passes at or below -Target.
    Throughput: ratio = ShmPS / baseline throughput (baseline time / ShmPS time), passes at or above.
    #>
    param(
        [Parameter(Mandatory)] [string] $Section,
        [Parameter(Mandatory)] [string] $Measure,
        [Parameter(Mandatory)] $ShmPS,
        [Parameter(Mandatory)] $Baseline,
        [Parameter(Mandatory)] [string] $BaselineName,
        [Parameter(Mandatory)] [ValidateSet('Time', 'Throughput')] [string] $Compare,
        [Parameter(Mandatory)] [double] $Target,
        [long] $Bytes,
        [int] $Operations,
        [hashtable] $Details = @{}
    )
    $shmMs = $ShmPS.Median
    $baseMs = $Baseline.Median
    $ratio = if ($Compare -eq 'Time') { $shmMs / $baseMs } else { $baseMs / $shmMs }
    $pass = if ($Compare -eq 'Time') { $ratio -le $Target } else { $ratio -ge $Target }
    $row = [ordered]@{
        Section          = $Section
        Measure          = $Measure
        Baseline         = $BaselineName
        Compare          = $Compare
        ShmPSMs          = [math]::Round($shmMs, 3)
        BaselineMs       = [math]::Round($baseMs, 3)
        Ratio            = [math]::Round($ratio, 3)
        Target           = ('{0} {1}x' -f ($Compare -eq 'Time' ? '<=' : '>='), $Target)
        Pass             = $pass
        ShmPSSamplesMs   = @($ShmPS.Samples | ForEach-Object { [math]::Round($_, 3) })
        BaselineSamplesMs = @($Baseline.Samples | ForEach-Object { [math]::Round($_, 3) })
        ShmPSThreadCpuMs = [math]::Round($ShmPS.CpuMedian, 3)
        BaselineThreadCpuMs = [math]::Round($Baseline.CpuMedian, 3)
    }
    if ($Bytes) {
        $row.Bytes = $Bytes
        $row.ShmPSGiBps = [math]::Round($Bytes / 1GB / ($shmMs / 1000), 3)
        $row.BaselineGiBps = [math]::Round($Bytes / 1GB / ($baseMs / 1000), 3)
    }
    if ($Operations) {
        $row.Operations = $Operations
        $row.ShmPSMicrosecondsPerOp = [math]::Round($shmMs * 1000 / $Operations, 3)
        $row.BaselineMicrosecondsPerOp = [math]::Round($baseMs * 1000 / $Operations, 3)
    }
    if ($ShmPS.Laps -and $ShmPS.Laps.Count) { $row.ShmPSLapsMs = $ShmPS.Laps }
    foreach ($k in $Details.Keys) { $row[$k] = $Details[$k] }
    $Rows.Add([pscustomobject]$row)
}

function Add-SpecialRow {
    <# A row whose figures are not a ratio of two timings (memory, growth); the caller computes them. #>
    param([string] $Section, [string] $Measure, [string] $BaselineName, [string] $ShmPSText, [string] $BaselineText,
        [double] $Ratio, [string] $Target, [bool] $Pass, [hashtable] $Details = @{})
    $row = [ordered]@{
        Section = $Section; Measure = $Measure; Baseline = $BaselineName; Compare = 'Special'
        ShmPSText = $ShmPSText; BaselineText = $BaselineText; Ratio = [math]::Round($Ratio, 3); Target = $Target; Pass = $Pass
    }
    foreach ($k in $Details.Keys) { $row[$k] = $Details[$k] }
    $Rows.Add([pscustomobject]$row)
}

function Add-SkippedRow([string] $Section, [string] $Measure, [string] $Reason) {
    $Rows.Add([pscustomobject][ordered]@{ Section = $Section; Measure = $Measure; Compare = 'Skipped'; Pass = $null; Reason = $Reason })
}

function Format-Duration([double] $Ms) {
    if ($Ms -lt 1) { '{0:N0} µs' -f ($Ms * 1000) }
    elseif ($Ms -lt 100) { '{0:N2} ms' -f $Ms }
    elseif ($Ms -lt 10000) { '{0:N0} ms' -f $Ms }
    else { '{0:N1} s' -f ($Ms / 1000) }
}

function Format-Figure($Row, [string] $Which) {
    if ($Row.Compare -eq 'Special') { return $Row."${Which}Text" }
    $ms = $Row."${Which}Ms"
    $text = Format-Duration $ms
    if ($Row.PSObject.Properties['Bytes']) { $text += ' ({0:N2} GiB/s)' -f $Row."${Which}GiBps" }
    elseif ($Row.PSObject.Properties['Operations']) { $text += ' ({0:N1} µs/op)' -f $Row."${Which}MicrosecondsPerOp" }
    $text
}

function Format-ResultTable {
    $Rows | ForEach-Object {
        if ($_.Compare -eq 'Skipped') {
            [pscustomobject][ordered]@{ Measure = $_.Measure; ShmPS = 'not measured'; Baseline = ''; Ratio = ''; Target = ''; Result = 'n/a' }
        } else {
            [pscustomobject][ordered]@{
                Measure  = $_.Measure
                ShmPS    = Format-Figure $_ 'ShmPS'
                Baseline = '{0}: {1}' -f $_.Baseline, (Format-Figure $_ 'Baseline')
                Ratio    = '{0:N3}x' -f $_.Ratio
                Target   = $_.Target
                Result   = $_.Pass ? 'pass' : 'MISS'
            }
        }
    } | Format-Table -AutoSize -Wrap | Out-String -Width 400
}

#endregion

#region Helpers and cleanup

$NativeSource = @'
[DllImport("libc", SetLastError = true)] public static extern int shmget(int key, UIntPtr size, int shmflg);
[DllImport("libc", SetLastError = true)] public static extern int shmctl(int shmid, int cmd, IntPtr buf);
[DllImport("libc", SetLastError = true)] public static extern int flock(int fd, int operation);
[DllImport("libc")] private static extern int clock_gettime(int clockId, long[] timespec);
[DllImport("libc")] private static extern int madvise(IntPtr address, UIntPtr length, int advice);
/// <summary>Gives the whole pages of an array their memory in one call (MADV_POPULATE_WRITE), as Read-SharedMemory does for the array it returns.</summary>
public static void PopulateArray(byte[] array)
{
    var handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
    try
    {
        long page = Environment.SystemPageSize;
        long at = (long)handle.AddrOfPinnedObject();
        long start = (at + page - 1) / page * page, end = (at + array.Length) / page * page;
        if (end > start) madvise((IntPtr)start, (UIntPtr)(ulong)(end - start), 23);
    }
    finally { handle.Free(); }
}
/// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in ms.</summary>
public static double ThreadCpuMs() { var ts = new long[2]; clock_gettime(3, ts); return ts[0] * 1e3 + ts[1] / 1e6; }
'@

function Initialize-Native {
    if (-not ('ShmPSBench.Native' -as [type])) {
        Add-Type -Namespace ShmPSBench -Name Native -MemberDefinition $NativeSource
    }
}

$Cleanup = [System.Collections.Generic.List[scriptblock]]::new()

function Register-Cleanup([scriptblock] $Action) { $Cleanup.Add($Action) }

function Invoke-Cleanup {
    for ($i = $Cleanup.Count - 1; $i -ge 0; $i--) {
        try { & $Cleanup[$i] } catch { Write-Warning "Cleanup: $_" }
    }
    $Cleanup.Clear()
}

function Remove-SystemVSegment([int] $Id) {
    & ipcrm -m $Id 2>$null
    $global:LASTEXITCODE = 0 # already gone is fine
}

function Remove-StaleBenchObjects {
    <# What a killed earlier run left: shmps-bench-<pid>-* files and segments keyed 0x5be4xxxx whose process is gone. #>
    foreach ($dir in '/dev/shm', '/tmp') {
        foreach ($f in Get-ChildItem -LiteralPath $dir -Filter 'shmps-bench-*' -Force -ErrorAction SilentlyContinue) {
            if ($f.Name -match '^shmps-bench-(\d+)-' -and [int]$Matches[1] -ne $PID -and -not (Get-Process -Id $Matches[1] -ErrorAction SilentlyContinue)) {
                Write-Host "Removing $($f.FullName), left by an interrupted run"
                Remove-Item -LiteralPath $f.FullName -Recurse -Force
            }
        }
    }
    if (Test-Path /proc/sysvipc/shm) {
        foreach ($line in Get-Content /proc/sysvipc/shm | Select-Object -Skip 1) {
            $f = -split $line
            $key = [int]$f[0]; $id = [int]$f[1]; $cpid = [int]$f[4]
            if (($key -band 0xffff0000) -eq $KeyBase -and -not (Get-Process -Id $cpid -ErrorAction SilentlyContinue)) {
                Write-Host "Removing System V segment $id (key $('0x{0:x8}' -f $key)), left by an interrupted run"
                Remove-SystemVSegment $id
            }
        }
    }
    if (Test-Path /proc/sysvipc/sem) {
        # Lock semaphore sets carry their segment's key; one whose segment is gone is left over.
        $segmentKeys = @(Get-Content /proc/sysvipc/shm | Select-Object -Skip 1 | ForEach-Object { [int](-split $_)[0] })
        foreach ($line in Get-Content /proc/sysvipc/sem | Select-Object -Skip 1) {
            $key = [int](-split $line)[0]
            if (($key -band 0xffff0000) -eq $KeyBase -and $segmentKeys -notcontains $key) {
                Write-Host "Removing semaphore set with key $('0x{0:x8}' -f $key), left by an interrupted run"
                & ipcrm -S $key 2>$null
                $global:LASTEXITCODE = 0
            }
        }
    }
}

function New-BenchObject {
    <# A ShmPS object of each kind, registered for removal. Keys: 0x5be4<index>. #>
    param([string] $Kind, [string] $Tag, [long] $Size, [int] $KeyIndex)
    switch ($Kind) {
        'Posix' {
            $name = "/$Prefix-$Tag"
            Register-Cleanup ({ if (Test-Path "/dev/shm$name") { Remove-Item -LiteralPath "/dev/shm$name" -Force } }.GetNewClosure())
            New-SharedMemory -Name $name -Size $Size
        }
        'SystemV' {
            $key = $KeyBase + $KeyIndex
            Register-Cleanup ({
                Get-SharedMemory -Key $key -ErrorAction SilentlyContinue | ForEach-Object { & ipcrm -m $_.Id 2>$null }
                # Lock-SharedMemory leaves a semaphore set with the segment's key.
                & ipcrm -S $key 2>$null
                $global:LASTEXITCODE = 0
            }.GetNewClosure())
            New-SharedMemory -Key $key -Size $Size
        }
        'File' {
            $path = "/tmp/$Prefix-$Tag"
            Register-Cleanup ({ if (Test-Path $path) { Remove-Item -LiteralPath $path -Force } }.GetNewClosure())
            New-SharedMemory -Path $path -Size $Size
        }
    }
}

function New-BenchFile([string] $Directory, [string] $Tag, [long] $Size) {
    $path = Join-Path $Directory "$Prefix-$Tag"
    Register-Cleanup ({ if (Test-Path $path) { Remove-Item -LiteralPath $path -Force } }.GetNewClosure())
    [System.IO.File]::WriteAllBytes($path, [byte[]]::new($Size))
    $path
}

function Get-Identity($Shm) {
    <# The identity parameters a user would type for this object. #>
    switch ($Shm.Kind) {
        'Posix' { @{ Name = $Shm.Name } }
        'SystemV' { @{ Key = $Shm.Key } }
        'File' { @{ LiteralPath = $Shm.Path } }
    }
}

function Get-MachineInfo {
    $cpu = (Select-String -LiteralPath /proc/cpuinfo -Pattern '^model name\s*:\s*(.*)$' | Select-Object -First 1).Matches[0].Groups[1].Value
    $memKb = [long]((Select-String -LiteralPath /proc/meminfo -Pattern '^MemTotal:\s*(\d+)').Matches[0].Groups[1].Value)
    $sdk = try { (& dotnet --version 2>$null) -join '' } catch { 'unknown' }
    [ordered]@{
        Nproc        = [Environment]::ProcessorCount
        CpuModel     = $cpu
        MemoryGiB    = [math]::Round($memKb / 1MB, 1)
        Kernel       = (Get-Content /proc/sys/kernel/osrelease -Raw).Trim()
        DotnetSdk    = $sdk
        DotnetRuntime = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
        Pwsh         = $PSVersionTable.PSVersion.ToString()
        ShmPS        = (Get-Module ShmPS).Version.ToString()
        User         = (& id -un)
        ShmMni       = [int](Get-Content /proc/sys/kernel/shmmni -Raw)
    }
}

function Get-LoadAverage { (Get-Content /proc/loadavg -Raw).Trim() }

function Invoke-ChildBench {
    <# Runs this script as a child (-Child), optionally under a wrapper command; returns its rows. #>
    param([string] $Part, [string[]] $Wrapper = @(), [string[]] $Extra = @())
    $result = "/tmp/$Prefix-$Part.json"
    Register-Cleanup ({ Remove-Item -LiteralPath $result -Force -ErrorAction SilentlyContinue }.GetNewClosure())
    $argv = @($Pwsh, '-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-ModulePath', $ModulePath,
        '-Repetitions', $Repetitions, '-Child', $Part, '-ResultPath', $result) + $Extra
    $command = @($Wrapper) + $argv
    & $command[0] $command[1..($command.Count - 1)]
    if ($LASTEXITCODE) { throw "The $Part child failed ($LASTEXITCODE)" }
    Get-Content -LiteralPath $result -Raw | ConvertFrom-Json
}

#endregion

#region Sections

function Invoke-BulkSection {
    Write-Host 'Bulk: 64 MiB per kind, objects kept; methods against Buffer.BlockCopy, cmdlets against File.WriteAllBytes and a new array filled by read(2), streams against FileStream.CopyTo on /dev/shm' -ForegroundColor Cyan
    $size = 64MB
    $src = [byte[]]::new($size)
    $dst = [byte[]]::new($size)
    [Random]::new(1).NextBytes($src)
    [Buffer]::BlockCopy($src, 0, $dst, 0, $size) # touch the destination's pages, as the objects' are touched below
    $file = New-BenchFile '/dev/shm' 'bulk-file' $size
    $sink = [System.IO.MemoryStream]::new($dst, $true)
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $objects[$kind] = New-BenchObject -Kind $kind -Tag 'bulk' -Size $size -KeyIndex (0x100 + $i++)
        $objects[$kind].Write(0, $src) # pages already touched: the measure is the copy, not first-touch faults
    }
    $blocks = [ordered]@{
        'BlockCopy' = { [Buffer]::BlockCopy($src, 0, $dst, 0, $src.Length) }.GetNewClosure()
        'WriteAllBytes' = { [System.IO.File]::WriteAllBytes($file, $src) }.GetNewClosure()
        # The same work as Read-SharedMemory: a new uninitialized array whose pages are given in one call
        # (MADV_POPULATE_WRITE, as Read-SharedMemory does), filled by one read. File.ReadAllBytes zeroes its
        # array first and takes a fault per page, so the garbage collector's and the page allocator's state
        # decided more of the figure than the copy.
        'ReadAllBytes' = {
            $a = [GC]::AllocateUninitializedArray[byte]($size)
            [ShmPSBench.Native]::PopulateArray($a)
            $fs = [System.IO.FileStream]::new($file, 'Open', 'Read', 'ReadWrite', 1) # unbuffered: read(2) into the array
            try { for ($at = 0; $at -lt $size; $at += $n) { $n = $fs.Read($a, $at, $size - $at); if (-not $n) { throw 'short read' } } }
            finally { $fs.Dispose() }
        }.GetNewClosure()
        # Streams copy into a MemoryStream whose 64 MiB are allocated and touched already.
        'FileStream CopyTo' = { $sink.Position = 0; $fs = [System.IO.File]::OpenRead($file); $fs.CopyTo($sink); $fs.Dispose() }.GetNewClosure()
    }
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $blocks["$kind Write-SharedMemory"] = { Write-SharedMemory -InputObject $o -Value $src }.GetNewClosure()
        $blocks["$kind Read-SharedMemory"] = { $null = Read-SharedMemory -InputObject $o }.GetNewClosure()
        $blocks["$kind .Write"] = { $o.Write(0, $src) }.GetNewClosure()
        $blocks["$kind .Read"] = { $null = $o.Read(0, $dst, 0, $dst.Length) }.GetNewClosure()
        $blocks["$kind OpenStream CopyTo"] = { $sink.Position = 0; $st = $o.OpenStream('Read'); $st.CopyTo($sink); $st.Dispose() }.GetNewClosure()
    }
    $m = Measure-Interleaved $blocks
    foreach ($kind in $objects.Keys) {
        foreach ($op in '.Write', '.Read') {
            Add-Row -Section Bulk -Measure "$kind `$obj$op(0, buf) 64 MiB" -ShmPS $m["$kind $op"] -Baseline $m['BlockCopy'] `
                -BaselineName 'BlockCopy 64 MiB' -Compare Throughput -Target 0.8 -Bytes $size
        }
        Add-Row -Section Bulk -Measure "$kind Write-SharedMemory 64 MiB" -ShmPS $m["$kind Write-SharedMemory"] -Baseline $m['WriteAllBytes'] `
            -BaselineName 'File.WriteAllBytes /dev/shm 64 MiB' -Compare Time -Target 1.0 -Operations 1
        Add-Row -Section Bulk -Measure "$kind Read-SharedMemory 64 MiB" -ShmPS $m["$kind Read-SharedMemory"] -Baseline $m['ReadAllBytes'] `
            -BaselineName 'new uninitialized array, pages given in one call (MADV_POPULATE_WRITE), + read(2) /dev/shm 64 MiB' -Compare Time -Target 1.0 -Operations 1 `
            -Details (Get-Spread $m["$kind Read-SharedMemory"] $m['ReadAllBytes'])
        Add-Row -Section Bulk -Measure "$kind `$obj.OpenStream().CopyTo(MemoryStream) 64 MiB" -ShmPS $m["$kind OpenStream CopyTo"] `
            -Baseline $m['FileStream CopyTo'] -BaselineName 'FileStream.CopyTo /dev/shm 64 MiB' -Compare Throughput -Target 1.0 -Bytes $size
    }
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

function Invoke-OneShotSection { Invoke-BulkOneShot }

function Invoke-Chapter50Section {
    Write-Host 'Chapter50: 64 MiB Clear-SharedMemory against util-linux fallocate --punch-hole --keep-size on the same object; Prefetch of a 64 MiB sparse object against Write-SharedMemory of 64 MiB of zeros' -ForegroundColor Cyan
    $size = 64MB
    $zeros = [byte[]]::new($size)
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $objects[$kind] = New-BenchObject -Kind $kind -Tag 'chapter50' -Size $size -KeyIndex (0x300 + $i++)
    }
    $posixPath = $objects['Posix'].Path

    # Clear: every sample starts from a wholly resident object (Prefetch, untimed); fallocate(1) clears the POSIX one.
    $clear = [ordered]@{
        'fallocate' = { & fallocate --punch-hole --keep-size --offset 0 --length $size $posixPath; if ($LASTEXITCODE) { throw 'fallocate failed' } }.GetNewClosure()
    }
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $clear["$kind Clear-SharedMemory"] = { Clear-SharedMemory -InputObject $o }.GetNewClosure()
    }
    $fill = { param($name) $kind = ($name -split ' ')[0]; if ($kind -eq 'fallocate') { $kind = 'Posix' }; $objects[$kind].Prefetch(0, $size) }.GetNewClosure()
    $m = Measure-Interleaved $clear -Reset $fill
    foreach ($kind in $objects.Keys) {
        $resident = if ($kind -eq 'SystemV') { $objects[$kind].Refresh(); $objects[$kind].ResidentBytes } else { [long]"$(fincore -b -n -o RES -- $objects[$kind].Path)".Trim() }
        if ($resident -ne 0) { throw "$kind Clear-SharedMemory left $resident bytes resident" }
        Add-Row -Section Chapter50 -Measure "$kind Clear-SharedMemory 64 MiB" -ShmPS $m["$kind Clear-SharedMemory"] -Baseline $m['fallocate'] `
            -BaselineName 'fallocate --punch-hole --keep-size (util-linux) on the POSIX object, 64 MiB' -Compare Time -Target 1.5 -Operations 1 `
            -Details (Get-Spread $m["$kind Clear-SharedMemory"] $m['fallocate'])
    }

    # Prefetch: every sample starts from an object with no page (Clear, untimed).
    $prefetch = [ordered]@{}
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $prefetch["$kind Write-SharedMemory"] = { Write-SharedMemory -InputObject $o -Value $zeros }.GetNewClosure()
        $prefetch["$kind Prefetch"] = { $o.Prefetch(0, $size) }.GetNewClosure()
    }
    $empty = { param($name) $null = $objects[($name -split ' ')[0]].Clear(0, $size) }.GetNewClosure()
    $m = Measure-Interleaved $prefetch -Reset $empty
    foreach ($kind in $objects.Keys) {
        # The kernel's own count: rss, or fincore (ResidentBytes skips a disk file's holes, which reads put in the page cache).
        $resident = if ($kind -eq 'SystemV') { $objects[$kind].Refresh(); $objects[$kind].ResidentBytes } else { [long]"$(fincore -b -n -o RES -- $objects[$kind].Path)".Trim() }
        if ($resident -ne $size) { throw "$kind Prefetch left $resident bytes resident, not $size" }
        Add-Row -Section Chapter50 -Measure "$kind `$obj.Prefetch(0, 64 MiB) of a sparse object" -ShmPS $m["$kind Prefetch"] -Baseline $m["$kind Write-SharedMemory"] `
            -BaselineName 'Write-SharedMemory -InputObject of 64 MiB of zeros, the same object' -Compare Time -Target 0.5 -Operations 1 `
            -Details (Get-Spread $m["$kind Prefetch"] $m["$kind Write-SharedMemory"])
    }
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

function Get-Spread($ShmPS, $Baseline) {
    <# Min-max of the timed samples of both sides (ms), for the row's details. #>
    $range = { param($v) $sorted = @($v | Sort-Object); '{0:N1}-{1:N1}' -f $sorted[0], $sorted[-1] }
    @{ ShmPSSpreadMs = & $range $ShmPS.Samples; BaselineSpreadMs = & $range $Baseline.Samples }
}

function Invoke-BulkOneShot {
    <#
    256 MiB written and read by name, the object kept by nobody, against a C program (tools/native/oneshot.c,
    built now) doing the same one-shot transfer to the same object every way the kernel offers; the
    baseline is its fastest way (lowest median). Reads go into a fresh buffer on both sides, as
    Read-SharedMemory returns a new array; the C figures into a buffer already touched are in the row's
    details (CTouchedBuffer), for comparison.
    #>
    $size = 256MB
    Write-Host 'Bulk one-shot: 256 MiB Write-/Read-SharedMemory by name against C (pwrite / MAP_POPULATE + memcpy, shmat + MADV_POPULATE); File on /dev/shm (tmpfs)' -ForegroundColor Cyan
    $exe = "/tmp/$Prefix-oneshot"
    Register-Cleanup ({ Remove-Item -LiteralPath $exe -Force -ErrorAction SilentlyContinue }.GetNewClosure())
    & gcc -O2 -o $exe (Join-Path $PSScriptRoot 'native/oneshot.c') -lrt
    if ($LASTEXITCODE) { Add-SkippedRow -Section Bulk -Measure 'one-shot 256 MiB by name' -Reason 'gcc is not available'; return }
    $src = [byte[]]::new($size)
    [Random]::new(2).NextBytes($src)
    $objects = [ordered]@{
        Posix   = New-BenchObject -Kind Posix -Tag 'oneshot' -Size $size
        SystemV = New-BenchObject -Kind SystemV -Tag 'oneshot' -Size $size -KeyIndex 0x110
    }
    $filePath = "/dev/shm/$Prefix-oneshot-file"
    Register-Cleanup ({ if (Test-Path -LiteralPath $filePath) { Remove-Item -LiteralPath $filePath -Force } }.GetNewClosure())
    $objects['File'] = New-SharedMemory -Path $filePath -Size $size
    $blocks = [ordered]@{}
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $o.Write(0, $src) # every page allocated: the measure is the transfer, not the first touch
        $o.Dispose() # nothing kept: each cmdlet opens, maps and unmaps for itself
        $id = Get-Identity $o
        $argv = switch ($kind) { 'Posix' { 'posix', $o.Name } 'SystemV' { 'sysv', ('0x{0:x8}' -f $o.Key) } 'File' { 'file', $o.Path } }
        $blocks["$kind C"] = {
            $laps = @{}
            foreach ($line in & $exe $argv[0] $argv[1] $size) {
                $way, $ms, $cpuMs = $line -split ' '
                $laps[$way] = [double]$ms
                $laps["cpu $way"] = [double]$cpuMs
            }
            if ($LASTEXITCODE) { throw "oneshot failed ($LASTEXITCODE)" }
            $laps
        }.GetNewClosure()
        $blocks["$kind Write-SharedMemory"] = { Write-SharedMemory @id -Value $src }.GetNewClosure()
        $blocks["$kind Read-SharedMemory"] = { $null = Read-SharedMemory @id }.GetNewClosure()
    }
    $m = Measure-Interleaved $blocks
    foreach ($kind in $objects.Keys) {
        $c = $m["$kind C"]
        foreach ($op in 'Write', 'Read') {
            $ways = @($c.Laps.Keys | Where-Object { $_ -like "$($op.ToLower()).*" -and $_ -notlike '*.touched-*' })
            $best = $ways | Sort-Object { $c.Laps[$_] } | Select-Object -First 1
            $baseline = @{ Median = $c.Laps[$best]; Samples = $c.LapSamples[$best]; CpuMedian = $c.Laps["cpu $best"] }
            $shm = $m["$kind $op-SharedMemory"]
            $details = Get-Spread $shm $baseline
            $details.CpuRatio = [math]::Round($shm.CpuMedian / $baseline.CpuMedian, 3)
            $details.CWays = ($ways | Sort-Object | ForEach-Object { '{0} {1:N1} ms (CPU {2:N1} ms)' -f $_, $c.Laps[$_], $c.Laps["cpu $_"] }) -join '; '
            if ($op -eq 'Read') {
                # Not the baseline: the same copy without the new buffer's page faults, for comparison.
                $details.CTouchedBuffer = (@($c.Laps.Keys | Where-Object { $_ -like 'read.touched-*' }) | Sort-Object |
                    ForEach-Object { '{0} {1:N1} ms (CPU {2:N1} ms)' -f $_, $c.Laps[$_], $c.Laps["cpu $_"] }) -join '; '
            }
            $how = if ($op -eq 'Read') { 'into a fresh buffer' } else { '' }
            Add-Row -Section Bulk -Measure "$kind $op-SharedMemory by name 256 MiB" -ShmPS $shm -Baseline $baseline `
                -BaselineName ("C one-shot, fastest way ($best) $how".TrimEnd()) -Compare Time -Target 1.25 -Operations 1 -Details $details
        }
    }
    Invoke-Cleanup
}

function Invoke-SmallCmdletSection {
    Write-Host 'Small cmdlet I/O: 2,000 8-byte writes and reads, against Set-Content/Get-Content -AsByteStream' -ForegroundColor Cyan
    $n = 2000
    $value = [byte[]](1..8)
    $file = New-BenchFile '/dev/shm' 'content' 8
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $objects[$kind] = New-BenchObject -Kind $kind -Tag 'small' -Size 4096 -KeyIndex (0x200 + $i++)
    }
    $writes = [ordered]@{ 'Set-Content' = { foreach ($i in 1..$n) { Set-Content -LiteralPath $file -Value $value -AsByteStream } }.GetNewClosure() }
    $reads = [ordered]@{ 'Get-Content' = { foreach ($i in 1..$n) { $null = Get-Content -LiteralPath $file -AsByteStream -Raw } }.GetNewClosure() }
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $id = Get-Identity $o
        $writes["$kind identity"] = { foreach ($i in 1..$n) { Write-SharedMemory @id -Value $value } }.GetNewClosure()
        $writes["$kind object"] = { foreach ($i in 1..$n) { Write-SharedMemory -InputObject $o -Value $value } }.GetNewClosure()
        $reads["$kind identity"] = { foreach ($i in 1..$n) { $null = Read-SharedMemory @id -Count 8 } }.GetNewClosure()
        $reads["$kind object"] = { foreach ($i in 1..$n) { $null = Read-SharedMemory -InputObject $o -Count 8 } }.GetNewClosure()
    }
    $mw = Measure-Interleaved $writes
    $mr = Measure-Interleaved $reads
    foreach ($kind in $objects.Keys) {
        $idText = (Get-Identity $objects[$kind]).Keys | ForEach-Object { "-$_" }
        foreach ($how in 'identity', 'object') {
            $by = $how -eq 'identity' ? $idText : '-InputObject'
            Add-Row -Section SmallCmdlet -Measure "$kind 2,000 x Write-SharedMemory $by (8 B)" -ShmPS $mw["$kind $how"] -Baseline $mw['Set-Content'] `
                -BaselineName 'Set-Content -AsByteStream' -Compare Time -Target 0.5 -Operations $n
            Add-Row -Section SmallCmdlet -Measure "$kind 2,000 x Read-SharedMemory $by -Count 8" -ShmPS $mr["$kind $how"] -Baseline $mr['Get-Content'] `
                -BaselineName 'Get-Content -AsByteStream -Raw' -Compare Time -Target 0.5 -Operations $n
        }
    }
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

function Invoke-SmallMethodSection {
    Write-Host 'Small method I/O: 100,000 WriteInt64/ReadInt64, against a MemoryMappedFile view accessor on the same object' -ForegroundColor Cyan
    $n = 100000
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $objects[$kind] = New-BenchObject -Kind $kind -Tag 'method' -Size 1MB -KeyIndex (0x300 + $i++)
    }
    # .NET's own mapped peer: a view accessor over the object's file (a System V segment has no file: its
    # baseline maps a /dev/shm file of the same size).
    $accessors = [ordered]@{}
    foreach ($kind in $objects.Keys) {
        $path = if ($objects[$kind].PSObject.Properties['Path']) { $objects[$kind].Path } else { New-BenchFile '/dev/shm' 'accessor' 1MB }
        $stream = [System.IO.FileStream]::new($path, 'Open', 'ReadWrite', 'ReadWrite')
        $mmf = [System.IO.MemoryMappedFiles.MemoryMappedFile]::CreateFromFile($stream, [NullString]::Value, 0, 'ReadWrite', 'None', $false)
        $acc = $mmf.CreateViewAccessor()
        Register-Cleanup ({ $acc.Dispose(); $mmf.Dispose() }.GetNewClosure())
        $accessors[$kind] = $acc
    }
    $blocks = [ordered]@{}
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $acc = $accessors[$kind]
        $blocks["$kind accessor.Write"] = { for ($i = 0; $i -lt $n; $i++) { $acc.Write(64, [long]$i) } }.GetNewClosure()
        $blocks["$kind accessor.ReadInt64"] = { for ($i = 0; $i -lt $n; $i++) { $null = $acc.ReadInt64(64) } }.GetNewClosure()
        $blocks["$kind .WriteInt64"] = { for ($i = 0; $i -lt $n; $i++) { $o.WriteInt64(64, $i) } }.GetNewClosure()
        $blocks["$kind .ReadInt64"] = { for ($i = 0; $i -lt $n; $i++) { $null = $o.ReadInt64(64) } }.GetNewClosure()
    }
    $m = Measure-Interleaved $blocks
    foreach ($kind in $objects.Keys) {
        Add-Row -Section SmallMethod -Measure "$kind 100,000 x `$obj.WriteInt64(64, `$i)" -ShmPS $m["$kind .WriteInt64"] -Baseline $m["$kind accessor.Write"] `
            -BaselineName 'MemoryMappedFile accessor .Write(64, [long]$i)' -Compare Time -Target 1.5 -Operations $n
        Add-Row -Section SmallMethod -Measure "$kind 100,000 x `$obj.ReadInt64(64)" -ShmPS $m["$kind .ReadInt64"] -Baseline $m["$kind accessor.ReadInt64"] `
            -BaselineName 'MemoryMappedFile accessor .ReadInt64(64)' -Compare Time -Target 1.5 -Operations $n
    }
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

function Invoke-StressSection {
    Write-Host 'Stress: another process truncates and regrows the object without pause while 100,000 mixed operations run' -ForegroundColor Cyan
    $exe = "/tmp/$Prefix-posix"
    & gcc -O2 -o $exe (Join-Path $PSScriptRoot '../tests/native/posix.c') -lrt
    if ($LASTEXITCODE) { Add-SkippedRow -Section Stress -Measure 'truncate and regrow' -Reason 'gcc is not available'; return }
    Register-Cleanup ({ Remove-Item -LiteralPath $exe -Force -ErrorAction SilentlyContinue }.GetNewClosure())
    $o = New-BenchObject -Kind Posix -Tag 'stress' -Size 1MB -KeyIndex 0x700
    $loop = Start-Process $exe -ArgumentList 'shrink-loop', $o.Name, 0, 1048576 -PassThru
    try {
        $script = @"
Import-Module '$ModulePath'
`$o = Get-SharedMemory -Name '$($o.Name)'
`$ids = @{}
`$buffer = [byte[]]::new(4096)
for (`$i = 0; `$i -lt 100000; `$i++) {
    try {
        switch (`$i % 10) {
            0 { `$o.WriteInt64((`$i % 1000) * 8, `$i) }
            1 { `$null = `$o.ReadInt64((`$i % 1000) * 8) }
            2 { `$o.Write(`$i % 1000000, `$buffer, 0, 100) }
            3 { `$null = `$o.Read(`$i % 1000000, `$buffer, 0, 4096) }
            4 { if (`$i % 1000 -eq 4) { Write-SharedMemory -InputObject `$o -Offset 1000 -Value ([byte[]](1..64)) } else { `$null = `$o.ReadByte(`$i % 1048576) } }
            5 { if (`$i % 1000 -eq 5) { `$null = Read-SharedMemory -InputObject `$o -Count 300KB } else { `$o.WriteByte(`$i % 1048576, 7) } }
            default { `$null = `$o.ReadDouble(`$i % 100000) }
        }
        `$ids['ok']++
    }
    catch {
        `$e = `$_.Exception; while (`$e -and -not `$e.PSObject.Properties['ErrorId']) { `$e = `$e.InnerException }
        `$id = if (`$e) { `$e.ErrorId } else { `$_.Exception.GetType().Name }
        `$ids[`$id]++
    }
}
`$ids | ConvertTo-Json -Compress
"@
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $out = & $Pwsh -NoProfile -NonInteractive -Command $script
        $exit = $LASTEXITCODE
        $watch.Stop()
    }
    finally {
        if (-not $loop.HasExited) { $loop.Kill() }
        $loop.WaitForExit()
        $o.Dispose()
        Invoke-Cleanup
    }
    $ids = try { ($out | Select-Object -Last 1) | ConvertFrom-Json -AsHashtable } catch { @{} }
    $other = @($ids.Keys | Where-Object { $_ -notin 'ok', 'OffsetOutOfRange', 'SharedMemoryNotFound' })
    $text = 'exit {0}; {1}' -f $exit, (($ids.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
    Add-SpecialRow -Section Stress -Measure 'Posix 100,000 mixed methods and cmdlets while another process truncates to 0 and regrows' `
        -BaselineName 'none' -ShmPSText $text -BaselineText "$([math]::Round($watch.Elapsed.TotalSeconds, 1)) s" -Ratio 0 `
        -Target '0 crashes; errors only OffsetOutOfRange or SharedMemoryNotFound' -Pass ($exit -eq 0 -and $other.Count -eq 0 -and $ids['ok'] -gt 0)
}

function Invoke-CreateRemoveSection {
    Write-Host 'Create and remove: 300 POSIX objects against New-Item/Remove-Item, 100 System V segments against ipcmk/ipcrm' -ForegroundColor Cyan
    $posixN = 300
    $sysvN = 100
    $posixName = "/$Prefix-create"
    $file = "/dev/shm/$Prefix-newitem"
    $keyFirst = $KeyBase + 0x1000
    $ipcmkIds = [System.Collections.Generic.List[int]]::new()
    Register-Cleanup ({
        foreach ($p in "/dev/shm$posixName", $file) { if (Test-Path $p) { Remove-Item -LiteralPath $p -Force } }
        foreach ($id in $ipcmkIds) { & ipcrm -m $id 2>$null }
        for ($k = 0; $k -lt $sysvN; $k++) {
            Get-SharedMemory -Key ($keyFirst + $k) -ErrorAction SilentlyContinue | ForEach-Object { & ipcrm -m $_.Id 2>$null }
        }
    }.GetNewClosure())
    $blocks = [ordered]@{
        'New-Item/Remove-Item' = {
            foreach ($i in 1..$posixN) {
                $null = New-Item -Path $file -ItemType File
                Remove-Item -LiteralPath $file
            }
        }.GetNewClosure()
        'Posix' = {
            foreach ($i in 1..$posixN) {
                $null = New-SharedMemory -Name $posixName -Size 4096
                Remove-SharedMemory -Name $posixName
            }
        }.GetNewClosure()
    }
    $sysv = New-SystemVCreateRemoveBlocks -Count $sysvN -KeyFirst $keyFirst -IpcmkIds $ipcmkIds
    foreach ($name in $sysv.Keys) { $blocks[$name] = $sysv[$name] }
    $m = Measure-Interleaved $blocks
    Add-Row -Section CreateRemove -Measure "Posix 300 x New-SharedMemory -Name -Size 4KB + Remove-SharedMemory -Name" -ShmPS $m['Posix'] `
        -Baseline $m['New-Item/Remove-Item'] -BaselineName 'New-Item + Remove-Item (/dev/shm)' -Compare Time -Target 1.5 -Operations $posixN
    Add-Row -Section CreateRemove -Measure "SystemV 100 x New-SharedMemory -Key -Size 4KB + Remove-SharedMemory -Id" -ShmPS $m['SystemV'] `
        -Baseline $m['ipcmk/ipcrm'] -BaselineName 'ipcmk -M + ipcrm -m' -Compare Time -Target 0.05 -Operations $sysvN
    Invoke-Cleanup
}

function New-SystemVCreateRemoveBlocks {
    <# $Count segments made and removed one after the other, by ipcmk/ipcrm and by ShmPS (keys $KeyFirst...). #>
    param([int] $Count, [int] $KeyFirst, [System.Collections.Generic.List[int]] $IpcmkIds)
    [ordered]@{
        'ipcmk/ipcrm' = {
            foreach ($i in 1..$Count) {
                $out = & ipcmk -M 4096
                if ($LASTEXITCODE) { throw "ipcmk failed ($LASTEXITCODE)" }
                $id = [int](($out -split ':')[-1])
                $IpcmkIds.Add($id)
                & ipcrm -m $id
                if ($LASTEXITCODE) { throw "ipcrm failed ($LASTEXITCODE)" }
                $IpcmkIds.Remove($id) | Out-Null
            }
        }.GetNewClosure()
        'SystemV' = {
            for ($k = 0; $k -lt $Count; $k++) {
                $o = New-SharedMemory -Key ($KeyFirst + $k) -Size 4096
                Remove-SharedMemory -Id $o.Id
            }
        }.GetNewClosure()
    }
}

function Invoke-IsolatedChild([string] $Part, [string] $TmpfsSize) {
    <# Runs a child part in a fresh IPC and mount namespace with an empty tmpfs on /dev/shm when root, and adds its rows. #>
    $isolated = (& id -u) -eq '0' -and (Get-Command unshare -ErrorAction SilentlyContinue)
    $wrapper = @()
    if ($isolated) {
        # A private IPC namespace (no one else's segments, all gone when it ends) and a private tmpfs on /dev/shm.
        $wrapper = @('unshare', '--ipc', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c',
            "mount -t tmpfs -o size=$TmpfsSize,mode=1777 shmps-bench /dev/shm && exec `"`$@`"", 'sh')
    } else {
        Write-Warning 'Not root or no unshare: measuring in the shared namespaces, where other processes'' objects count too.'
    }
    foreach ($row in Invoke-ChildBench -Part $Part -Wrapper $wrapper) {
        $row | Add-Member -NotePropertyName Isolated -NotePropertyValue ([bool]$isolated) -Force
        $Rows.Add($row)
    }
}

function Invoke-ListingSection {
    Write-Host 'Listing: Get-SharedMemory at 100, 3,000 and 10,000 objects, against ipcs -m plus ls -ln /dev/shm' -ForegroundColor Cyan
    Invoke-IsolatedChild -Part Listing -TmpfsSize 2g
}

function Invoke-ListingChild {
    Initialize-Native
    $points = @(@{ Total = 100; SystemV = 33 }, @{ Total = 3000; SystemV = 1000 }, @{ Total = 10000; SystemV = 3334 })
    $shmmni = [int](Get-Content /proc/sys/kernel/shmmni -Raw)
    $existingSysV = @(Get-Content /proc/sysvipc/shm | Select-Object -Skip 1).Count
    $posixPaths = [System.Collections.Generic.List[string]]::new()
    $segments = [System.Collections.Generic.List[int]]::new()
    $page = [byte[]]::new(4096)
    $measured = [ordered]@{}
    try {
        foreach ($point in $points) {
            $wantSysV = [math]::Min($point.SystemV, $shmmni - $existingSysV - 16)
            while ($segments.Count -lt $wantSysV) {
                $key = $KeyBase + 0x8000 + $segments.Count
                $id = [ShmPSBench.Native]::shmget($key, [UIntPtr]::new(4096), 0x200 -bor 0x400 -bor 0x180) # IPC_CREAT|IPC_EXCL|0600
                if ($id -lt 0) { throw "shmget failed: errno $([System.Runtime.InteropServices.Marshal]::GetLastPInvokeError())" }
                $segments.Add($id)
            }
            while ($posixPaths.Count + $segments.Count -lt $point.Total) {
                $path = "/dev/shm/$Prefix-list-$($posixPaths.Count)"
                $posixPaths.Add($path)
                [System.IO.File]::WriteAllBytes($path, $page)
            }
            $listed = @(Get-SharedMemory).Count
            $blocks = [ordered]@{
                'ipcs+ls' = {
                    $null = @(& ipcs -m)
                    $null = @(& /usr/bin/ls -ln /dev/shm)
                }
                'Get-SharedMemory' = { $null = @(Get-SharedMemory) }
            }
            # Listing is cheap: more rounds, for a steadier growth figure.
            $m = Measure-Interleaved $blocks -Rounds (3 * $Repetitions + 1)
            $measured[[string]$point.Total] = @{ M = $m; Listed = $listed; SystemV = $segments.Count; Posix = $posixPaths.Count }
            Add-Row -Section Listing -Measure ('Get-SharedMemory, {0:N0} objects ({1:N0} SysV + {2:N0} POSIX)' -f $listed, $segments.Count, $posixPaths.Count) `
                -ShmPS $m['Get-SharedMemory'] -Baseline $m['ipcs+ls'] -BaselineName 'ipcs -m + ls -ln /dev/shm' -Compare Time -Target 1.0 `
                -Operations $listed -Details @{ Objects = $listed; SystemVObjects = $segments.Count; PosixObjects = $posixPaths.Count; ShmMni = $shmmni }
            if ($point.Total -eq 3000) {
                # Lookups by key or id with many segments on the system: ipcmk/ipcrm do not depend on their number.
                $n = 30
                $cr = Measure-Interleaved (New-SystemVCreateRemoveBlocks -Count $n -KeyFirst ($KeyBase + 0x1000) -IpcmkIds ([System.Collections.Generic.List[int]]::new()))
                Add-Row -Section Listing -Measure ('SystemV {0} x New-SharedMemory -Key + Remove-SharedMemory -Id, {1:N0} other segments present' -f $n, $segments.Count) `
                    -ShmPS $cr['SystemV'] -Baseline $cr['ipcmk/ipcrm'] -BaselineName 'ipcmk -M + ipcrm -m' -Compare Time -Target 0.05 -Operations $n `
                    -Details @{ OtherSystemVSegments = $segments.Count }
            }
        }
        # Linear growth: the cost per object at 10,000 objects against the cost per object at 3,000. Judged on
        # this thread's CPU time, which other processes competing for the CPUs inflate far less than wall time.
        $small = $measured['3000']; $large = $measured['10000']
        $cpuSmall = $small.M['Get-SharedMemory'].CpuMedian / $small.Listed
        $cpuLarge = $large.M['Get-SharedMemory'].CpuMedian / $large.Listed
        $wallGrowth = ($large.M['Get-SharedMemory'].Median / $large.Listed) / ($small.M['Get-SharedMemory'].Median / $small.Listed)
        $baseGrowth = ($large.M['ipcs+ls'].Median / $large.Listed) / ($small.M['ipcs+ls'].Median / $small.Listed)
        $growth = $cpuLarge / $cpuSmall
        Add-SpecialRow -Section Listing -Measure 'Get-SharedMemory growth: CPU time per object, 3,000 -> 10,000 objects' -BaselineName 'itself at 3,000' `
            -ShmPSText ('{0:N2} µs/object' -f ($cpuLarge * 1000)) -BaselineText ('{0:N2} µs/object' -f ($cpuSmall * 1000)) `
            -Ratio $growth -Target '<= 1.25x (linear)' -Pass ($growth -le 1.25) `
            -Details @{ WallTimeGrowth = [math]::Round($wallGrowth, 3); BaselineWallTimeGrowth = [math]::Round($baseGrowth, 3) }
    } finally {
        foreach ($id in $segments) { $null = [ShmPSBench.Native]::shmctl($id, 0, [IntPtr]::Zero) } # IPC_RMID
        foreach ($path in $posixPaths) { Remove-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue }
    }
}

function Invoke-ProcessesSection {
    Write-Host 'Processes: Get-SharedMemory -IncludeProcess at 500 and 1,000 objects, with and without 200 more processes mapping them, against lsof -n +D /dev/shm plus ipcs -mp' -ForegroundColor Cyan
    # Only this run's objects; /proc still shows every process of the machine.
    Invoke-IsolatedChild -Part Processes -TmpfsSize 1g
}

# A process that holds a memfd (mapped too) and a shared anonymous mapping, says "ready" and waits until
# its standard input closes: what a region without a name looks like in /proc.
$AnonHolderSource = @'
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void)
{
    int fd = memfd_create("shmps-bench", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 65536) < 0) { perror("memfd_create"); return 2; }
    char *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *a = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || a == MAP_FAILED) { perror("mmap"); return 2; }
    m[0] = a[0] = 1;
    printf("ready\n");
    fflush(stdout);
    char buf[1];
    while (read(0, buf, 1) > 0) { }
    return 0;
}
'@

function Invoke-AnonymousSection {
    Write-Host 'Anonymous: Get-SharedMemory -Kind Anonymous and -UsedByProcessId (every process) at about 300 processes, against lsof -n plus a scan of /proc/*/maps' -ForegroundColor Cyan
    Initialize-Native
    $exe = "/tmp/$Prefix-anon"
    Register-Cleanup ({ Remove-Item -LiteralPath $exe, "$exe.c" -Force -ErrorAction SilentlyContinue }.GetNewClosure())
    Set-Content -LiteralPath "$exe.c" -Value $AnonHolderSource
    & gcc -O2 -o $exe "$exe.c"
    if ($LASTEXITCODE) { Add-SkippedRow -Section Anonymous -Measure 'regions without a name' -Reason 'gcc is not available'; return }
    if (-not (Get-Command lsof -ErrorAction SilentlyContinue)) { Add-SkippedRow -Section Anonymous -Measure 'regions without a name' -Reason 'lsof is not installed'; return }
    $holders = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    Register-Cleanup ({ foreach ($p in $holders) { try { $p.StandardInput.Close(); if (-not $p.WaitForExit(5000)) { $p.Kill() } } catch { } } }.GetNewClosure())
    # Up to about 300 processes on the machine, at least 100 of them holders.
    $present = @(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$').Count
    $add = [math]::Max(100, 300 - $present)
    for ($i = 0; $i -lt $add; $i++) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new($exe)
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $p = [System.Diagnostics.Process]::Start($psi)
        $holders.Add($p)
        if ($p.StandardOutput.ReadLine() -ne 'ready') { throw "The holder did not start: exit $($p.ExitCode)" }
    }
    $pids = @(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$' | ForEach-Object { [int]$_.Name })
    $processes = $pids.Count
    $regions = @(Get-SharedMemory -Kind Anonymous -WarningAction SilentlyContinue).Count
    # What a user has without ShmPS: lsof for the memfds held open, and the shared lines of every maps file.
    $baseline = {
        $null = @(& lsof -n 2>$null)
        $null = @(& /bin/sh -c 'grep -h -E "^[0-9a-f]+-[0-9a-f]+ ...s .*(/dev/zero|/memfd:|/anon_hugepage)" /proc/[0-9]*/maps 2>/dev/null')
        $global:LASTEXITCODE = 0 # lsof exits 1 when some file is not open, grep 2 for a process gone meanwhile
    }
    1..5 | ForEach-Object { $null = @(Get-SharedMemory -Kind Anonymous -WarningAction SilentlyContinue) }
    # -ErrorAction Ignore below: a process of another program may exit between the listing of /proc and its turn.
    $m = Measure-Interleaved ([ordered]@{
            'lsof+maps' = $baseline
            'Get-SharedMemory -Kind Anonymous' = { $null = @(Get-SharedMemory -Kind Anonymous -WarningAction SilentlyContinue) }
            'Get-SharedMemory -UsedByProcessId' = { $null = @(Get-SharedMemory -UsedByProcessId $pids -ErrorAction Ignore) }
        })
    Add-Row -Section Anonymous -Measure ('Get-SharedMemory -Kind Anonymous, {0:N0} regions, {1:N0} processes' -f $regions, $processes) `
        -ShmPS $m['Get-SharedMemory -Kind Anonymous'] -Baseline $m['lsof+maps'] -BaselineName 'lsof -n + grep /proc/*/maps' -Compare Time -Target 1.0 `
        -Details @{ Regions = $regions; Processes = $processes; Holders = $add }
    Add-Row -Section Anonymous -Measure ('Get-SharedMemory -UsedByProcessId (all {0:N0} processes)' -f $processes) `
        -ShmPS $m['Get-SharedMemory -UsedByProcessId'] -Baseline $m['lsof+maps'] -BaselineName 'lsof -n + grep /proc/*/maps' -Compare Time -Target 1.0 `
        -Details @{ Processes = $processes; Holders = $add }
}

# A process that maps the POSIX objects (p:PATH) and attaches the System V segments (s:ID) it is given,
# says "ready" and waits until its standard input closes.
$MapperSource = @'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == 's') {
            if (shmat(atoi(argv[i] + 2), NULL, SHM_RDONLY) == (void *)-1) { perror("shmat"); return 2; }
        } else {
            int fd = open(argv[i] + 2, O_RDONLY);
            if (fd < 0 || mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED) { perror(argv[i]); return 2; }
        }
    }
    printf("ready\n");
    fflush(stdout);
    char buf[1];
    while (read(0, buf, 1) > 0) { }
    return 0;
}
'@

function Invoke-ProcessesChild {
    $mapperExe = "/tmp/$Prefix-mapper"
    $mapperC = "$mapperExe.c"
    Register-Cleanup ({ Remove-Item -LiteralPath $mapperExe, $mapperC -Force -ErrorAction SilentlyContinue }.GetNewClosure())
    Set-Content -LiteralPath $mapperC -Value $MapperSource
    & gcc -O2 -o $mapperExe $mapperC
    if ($LASTEXITCODE) { throw 'gcc failed for the mapper' }
    $posixPaths = [System.Collections.Generic.List[string]]::new()
    $segments = [System.Collections.Generic.List[int]]::new()
    $mappers = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    $page = [byte[]]::new(4096)
    $measured = @{}
    $stopMappers = {
        foreach ($p in $mappers) { try { $p.StandardInput.Close(); $null = $p.WaitForExit(5000); if (-not $p.HasExited) { $p.Kill() } } catch { } }
        $mappers.Clear()
    }
    try {
        foreach ($objects in 500, 1000) {
            & $stopMappers # the 200 added processes map objects of this count
            while ($segments.Count -lt $objects / 3) {
                $key = $KeyBase + 0x9000 + $segments.Count
                $id = [ShmPSBench.Native]::shmget($key, [UIntPtr]::new(4096), 0x200 -bor 0x400 -bor 0x180) # IPC_CREAT|IPC_EXCL|0600
                if ($id -lt 0) { throw "shmget failed: errno $([System.Runtime.InteropServices.Marshal]::GetLastPInvokeError())" }
                $segments.Add($id)
            }
            while ($posixPaths.Count + $segments.Count -lt $objects) {
                $path = "/dev/shm/$Prefix-proc-$($posixPaths.Count)"
                $posixPaths.Add($path)
                [System.IO.File]::WriteAllBytes($path, $page)
            }
            foreach ($extra in 0, 200) {
                # Each added process maps 4 POSIX objects and attaches 2 segments, spread over all of them.
                while ($mappers.Count -lt $extra) {
                    $i = $mappers.Count
                    $argv = @(0..3 | ForEach-Object { 'p:' + $posixPaths[($i * 4 + $_) % $posixPaths.Count] }) +
                        @(0..1 | ForEach-Object { 's:' + $segments[($i * 2 + $_) % $segments.Count] })
                    $psi = [System.Diagnostics.ProcessStartInfo]::new($mapperExe)
                    foreach ($a in $argv) { $psi.ArgumentList.Add($a) }
                    $psi.RedirectStandardInput = $true
                    $psi.RedirectStandardOutput = $true
                    $p = [System.Diagnostics.Process]::Start($psi)
                    $mappers.Add($p)
                    if ($p.StandardOutput.ReadLine() -ne 'ready') { throw "The mapper did not start: exit $($p.ExitCode)" }
                }
                $processes = @(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$').Count
                # More warm-up than one round: tiered JIT would otherwise make the first point look slower per object.
                1..10 | ForEach-Object { $null = @(Get-SharedMemory -IncludeProcess -WarningAction SilentlyContinue) }
                $blocks = [ordered]@{
                    'lsof+ipcs' = {
                        $null = @(& lsof -n +D /dev/shm 2>$null)
                        $null = @(& ipcs -mp)
                        $global:LASTEXITCODE = 0 # lsof exits 1 when some file is not open
                    }
                    'Get-SharedMemory -IncludeProcess' = { $null = @(Get-SharedMemory -IncludeProcess -WarningAction SilentlyContinue) }
                }
                $m = Measure-Interleaved $blocks
                $measured["$objects/$extra"] = @{ M = $m; Processes = $processes }
                $listed = @(Get-SharedMemory).Count
                Add-Row -Section Processes -Measure ('Get-SharedMemory -IncludeProcess, {0:N0} objects, {1:N0} processes ({2} mapping them)' -f $listed, $processes, $extra) `
                    -ShmPS $m['Get-SharedMemory -IncludeProcess'] -Baseline $m['lsof+ipcs'] -BaselineName 'lsof -n +D /dev/shm + ipcs -mp' -Compare Time -Target 1.0 `
                    -Operations $listed -Details @{ Objects = $listed; Processes = $processes; Mappers = $extra }
            }
        }
        # Linear growth, on this thread's CPU time (the scan runs on it): per object at 1,000 against 500 objects
        # (no added processes), and per process with 200 more processes (1,000 objects).
        $cpu = { param($key) $measured[$key].M['Get-SharedMemory -IncludeProcess'].CpuMedian }
        $objectGrowth = ((& $cpu '1000/0') / 1000) / ((& $cpu '500/0') / 500)
        Add-SpecialRow -Section Processes -Measure 'Get-SharedMemory -IncludeProcess growth: CPU time per object, 500 -> 1,000 objects' -BaselineName 'itself at 500' `
            -ShmPSText ('{0:N2} µs/object' -f ((& $cpu '1000/0') / 1000 * 1000)) -BaselineText ('{0:N2} µs/object' -f ((& $cpu '500/0') / 500 * 1000)) `
            -Ratio $objectGrowth -Target '<= 1.25x (linear)' -Pass ($objectGrowth -le 1.25)
        $few = $measured['1000/0'].Processes; $many = $measured['1000/200'].Processes
        $processGrowth = ((& $cpu '1000/200') / $many) / ((& $cpu '1000/0') / $few)
        Add-SpecialRow -Section Processes -Measure ('Get-SharedMemory -IncludeProcess growth: CPU time per process, {0} -> {1} processes' -f $few, $many) -BaselineName "itself at $few" `
            -ShmPSText ('{0:N2} µs/process' -f ((& $cpu '1000/200') / $many * 1000)) -BaselineText ('{0:N2} µs/process' -f ((& $cpu '1000/0') / $few * 1000)) `
            -Ratio $processGrowth -Target '<= 1.25x (linear)' -Pass ($processGrowth -le 1.25)
    } finally {
        & $stopMappers
        foreach ($id in $segments) { $null = [ShmPSBench.Native]::shmctl($id, 0, [IntPtr]::Zero) } # IPC_RMID
        foreach ($path in $posixPaths) { Remove-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue }
    }
}

function Invoke-InputFileSection {
    Write-Host 'Write-SharedMemory -InputFile: a 1 GiB file (in /tmp) into a POSIX object, against cp to /dev/shm' -ForegroundColor Cyan
    $inputFile = "/tmp/$Prefix-input"
    Register-Cleanup ({ if (Test-Path $inputFile) { Remove-Item -LiteralPath $inputFile -Force } }.GetNewClosure())
    $chunk = [byte[]]::new(1MB)
    [Random]::new(2).NextBytes($chunk)
    $fs = [System.IO.File]::Create($inputFile)
    try {
        for ($i = 0; $i -lt 1024; $i++) { $fs.Write($chunk, 0, $chunk.Length) }
    } finally {
        $fs.Dispose()
    }
    foreach ($row in Invoke-ChildBench -Part InputFile -Extra @('-InputPath', $inputFile)) { $Rows.Add($row) }
    Invoke-Cleanup
}

function Get-Status([string] $Field) {
    [long]((Select-String -LiteralPath /proc/self/status -Pattern "^${Field}:\s*(\d+) kB").Matches[0].Groups[1].Value) * 1KB
}

function Invoke-InputFileChild {
    $length = (Get-Item -LiteralPath $InputPath).Length
    $name = "/$Prefix-inputfile"
    $copy = "/dev/shm/$Prefix-cp"
    try {
        # Peak memory: the high-water mark is reset to the current RSS (clear_refs 5) once the process is idle,
        # then one complete create + write of the 1 GiB file runs alone.
        $idleHwm = Get-Status VmHWM
        $idleRss = Get-Status VmRSS
        $reset = $true
        try { [System.IO.File]::WriteAllText('/proc/self/clear_refs', '5') } catch { $reset = $false }
        $before = Get-Status VmHWM
        $o = New-SharedMemory -Name $name -Size $length
        Write-SharedMemory -InputObject $o -InputFile $InputPath
        $after = Get-Status VmHWM
        Remove-SharedMemory -InputObject $o
        $o.Dispose()

        $source = $InputPath
        $state = @{ Shm = $null }
        $blocks = [ordered]@{
            'cp' = {
                & cp $source $copy
                if ($LASTEXITCODE) { throw "cp failed ($LASTEXITCODE)" }
            }.GetNewClosure()
            'ShmPS' = {
                $sw = [System.Diagnostics.Stopwatch]::StartNew()
                $state.Shm = New-SharedMemory -Name $name -Size $length
                $create = $sw.Elapsed.TotalMilliseconds
                Write-SharedMemory -InputObject $state.Shm -InputFile $source
                @{ 'New-SharedMemory' = $create; 'Write-SharedMemory -InputFile' = $sw.Elapsed.TotalMilliseconds - $create }
            }.GetNewClosure()
        }
        $clean = {
            if (Test-Path $copy) { Remove-Item -LiteralPath $copy -Force }
            if ($state.Shm) { Remove-SharedMemory -InputObject $state.Shm; $state.Shm.Dispose(); $state.Shm = $null }
        }.GetNewClosure()
        $m = Measure-Interleaved $blocks -Reset $clean
        & $clean
        $final = Get-Status VmHWM

        Add-Row -Section InputFile -Measure 'Posix New-SharedMemory -Size 1GB + Write-SharedMemory -InputFile (1 GiB file in /tmp)' `
            -ShmPS $m['ShmPS'] -Baseline $m['cp'] -BaselineName 'cp to /dev/shm' -Compare Time -Target 1.5 -Bytes $length
        $delta = $after - $before
        Add-SpecialRow -Section InputFile -Measure 'Posix Write-SharedMemory -InputFile 1 GiB: peak memory (VmHWM) above idle' `
            -BaselineName 'the idle child process' `
            -ShmPSText ('+{0:N1} MiB (peak {1:N1} MiB)' -f ($delta / $MiB), ($after / $MiB)) -BaselineText ('{0:N1} MiB' -f ($before / $MiB)) `
            -Ratio ($after / $before) -Target '< idle + 64 MiB' -Pass ($delta -lt 64MB) `
            -Details @{ IdleHwmBytes = $idleHwm; IdleRssBytes = $idleRss; HwmResetToRss = $reset; HwmBeforeBytes = $before
                HwmAfterBytes = $after; HwmAfterTimedRunsBytes = $final; InputLocation = '/tmp (ext4 on disk; in the page cache after the first read)' }
    } finally {
        if (Test-Path $copy) { Remove-Item -LiteralPath $copy -Force }
        if (Test-Path "/dev/shm$name") { Remove-Item -LiteralPath "/dev/shm$name" -Force }
    }
}

function Invoke-LockSection {
    Write-Host 'Locks: uncontended lock/unlock pairs, against a flock(2) pair through P/Invoke' -ForegroundColor Cyan
    if (-not (Get-Command Lock-SharedMemory -ErrorAction SilentlyContinue)) {
        Add-SkippedRow -Section Lock -Measure 'Lock-SharedMemory + Unlock-SharedMemory pair' -Reason 'Lock-SharedMemory is not in this build of ShmPS.'
        return
    }
    $n = 2000
    $path = New-BenchFile '/dev/shm' 'flock' 4096
    $h = [System.IO.File]::OpenHandle($path, 'Open', 'ReadWrite')
    Register-Cleanup ({ $h.Dispose() }.GetNewClosure())
    $fd = [int]$h.DangerousGetHandle()
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $objects[$kind] = New-BenchObject -Kind $kind -Tag 'lock' -Size 4096 -KeyIndex (0x400 + $i++)
    }
    $blocks = [ordered]@{
        'flock' = {
            foreach ($i in 1..$n) {
                $null = [ShmPSBench.Native]::flock($fd, 2) # LOCK_EX
                $null = [ShmPSBench.Native]::flock($fd, 8) # LOCK_UN
            }
        }.GetNewClosure()
    }
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $blocks["$kind cmdlets"] = {
            foreach ($i in 1..$n) {
                $l = Lock-SharedMemory -InputObject $o
                Unlock-SharedMemory -Lock $l
            }
        }.GetNewClosure()
        $blocks["$kind method"] = {
            foreach ($i in 1..$n) {
                $l = $o.Lock()
                $l.Release()
            }
        }.GetNewClosure()
    }
    $o = $objects['Posix']
    $blocks['Posix scriptblock'] = { foreach ($i in 1..$n) { Lock-SharedMemory -InputObject $o -ScriptBlock {} } }.GetNewClosure()
    $m = Measure-Interleaved $blocks
    $flock = 'flock(LOCK_EX) + flock(LOCK_UN), P/Invoke'
    foreach ($kind in $objects.Keys) {
        Add-Row -Section Lock -Measure "$kind 2,000 x `$l = Lock-SharedMemory -InputObject; Unlock-SharedMemory -Lock `$l" -ShmPS $m["$kind cmdlets"] `
            -Baseline $m['flock'] -BaselineName $flock -Compare Time -Target 3 -Operations $n
        Add-Row -Section Lock -Measure "$kind 2,000 x `$l = `$obj.Lock(); `$l.Release()" -ShmPS $m["$kind method"] `
            -Baseline $m['flock'] -BaselineName $flock -Compare Time -Target 3 -Operations $n
    }
    Add-Row -Section Lock -Measure 'Posix 2,000 x Lock-SharedMemory -InputObject -ScriptBlock {}' -ShmPS $m['Posix scriptblock'] `
        -Baseline $m['flock'] -BaselineName $flock -Compare Time -Target 3 -Operations $n
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

function Invoke-LayoutSection {
    Write-Host 'Structured records: 10,000 records read with Read-SharedMemory -Layout -Count, against a PowerShell loop of ReadInt64/ReadString/ReadDouble/ReadInt32' -ForegroundColor Cyan
    $n = 10000
    $layout = New-SharedMemoryLayout 'struct stats { int64_t counter; char name[32]; double value; int32_t id; };'
    $stride = $layout.Size
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $o = New-BenchObject -Kind $kind -Tag 'layout' -Size ($n * $stride) -KeyIndex (0x700 + $i++)
        Write-SharedMemory -InputObject $o -Layout $layout -Value @(for ($r = 0; $r -lt $n; $r++) { @{ counter = $r; name = "sensor-$r"; value = $r / 2; id = -$r } })
        $objects[$kind] = $o
    }
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $blocks = [ordered]@{
            # The same records a script would build itself: the fields read one call each, text cut at its first NUL.
            'Loop' = {
                $records = for ($r = 0; $r -lt $n; $r++) {
                    $at = $r * $stride
                    $name = $o.ReadString($at + 8, 32)
                    $end = $name.IndexOf([char]0)
                    [pscustomobject]@{
                        counter = $o.ReadInt64($at)
                        name    = if ($end -ge 0) { $name.Substring(0, $end) } else { $name }
                        value   = $o.ReadDouble($at + 40)
                        id      = $o.ReadInt32($at + 48)
                    }
                }
                if ($records.Count -ne $n -or $records[$n - 1].name -ne "sensor-$($n - 1)") { throw 'the loop read wrong records' }
            }.GetNewClosure()
            'Layout' = {
                $records = Read-SharedMemory -InputObject $o -Layout $layout -Count $n
                if ($records.Count -ne $n -or $records[$n - 1].name -ne "sensor-$($n - 1)") { throw '-Layout read wrong records' }
            }.GetNewClosure()
        }
        $m = Measure-Interleaved $blocks
        Add-Row -Section Layout -Measure "$kind Read-SharedMemory -Layout -Count 10,000 (4 fields, $stride B)" -ShmPS $m['Layout'] -Baseline $m['Loop'] `
            -BaselineName 'PowerShell loop of ReadInt64/ReadString/ReadDouble/ReadInt32 into [pscustomobject]' -Compare Time -Target 0.25 -Operations $n
    }
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

function Invoke-CoordinationSection {
    Write-Host 'Coordination: futex wake-up latency (C waker), AddInt64 against WriteInt64(ReadInt64 + 1), and a 4 KiB document' -ForegroundColor Cyan
    $exe = "/tmp/$Prefix-futex"
    & gcc -O2 -o $exe (Join-Path $PSScriptRoot '../tests/native/futex.c')
    if ($LASTEXITCODE) { Add-SkippedRow -Section Coordination -Measure 'wake-up latency' -Reason 'gcc is not available' }
    else {
        Register-Cleanup ({ Remove-Item -LiteralPath $exe -Force -ErrorAction SilentlyContinue }.GetNewClosure())
        # A C program stamps CLOCK_MONOTONIC at offset 8, bumps the word at 0 and FUTEX_WAKEs it, every 30 ms;
        # the waiter's latency is the time from the stamp to its return. The baseline waiter is C (FUTEX_WAIT),
        # the measured one Wait-SharedMemory -Changed; rounds alternate between them. 20 wakes per round.
        $o = New-BenchObject -Kind Posix -Tag 'wake' -Size 4096 -KeyIndex 0x800
        $count = 20
        $cLatency = [System.Collections.Generic.List[double]]::new()
        $pwshLatency = [System.Collections.Generic.List[double]]::new()
        $ticksPerUs = [System.Diagnostics.Stopwatch]::Frequency / 1e6 # the Stopwatch reads CLOCK_MONOTONIC on Linux
        for ($round = 0; $round -le $Repetitions; $round++) {
            $waiter = [System.Diagnostics.Process]::Start([System.Diagnostics.ProcessStartInfo]@{
                FileName = $exe; Arguments = "file $($o.Path) waitloop 0 $count"; RedirectStandardOutput = $true; UseShellExecute = $false })
            $null = $waiter.StandardOutput.ReadLine() # ready
            $waker = Start-Process $exe -ArgumentList 'file', $o.Path, 'wakeloop', 0, $count, 30 -PassThru -RedirectStandardOutput "/tmp/$Prefix-waker.out"
            $median = [double]$waiter.StandardOutput.ReadLine()
            $waiter.WaitForExit(); $waker.WaitForExit()
            if ($round -gt 0) { $cLatency.Add($median) }

            $last = $o.ReadInt32(0)
            $end = $last + $count + 1
            $waker = Start-Process $exe -ArgumentList 'file', $o.Path, 'wakeloop', 0, ($count + 1), 30 -PassThru -RedirectStandardOutput "/tmp/$Prefix-waker.out"
            $laps = while ($last -lt $end) {
                $seen = $last
                $last = Wait-SharedMemory -InputObject $o -Offset 0 -Condition { $_ -gt $seen } -Timeout 5
                $now = [System.Diagnostics.Stopwatch]::GetTimestamp()
                # The first wake is not timed; nor is one that came while the previous lap was still being
                # counted (two wakes in one lap), whose stamp is of the later one.
                if ($last -eq $seen + 1 -and $last -gt $end - $count) { ($now / $ticksPerUs) - ($o.ReadInt64(8) / 1000) }
            }
            $waker.WaitForExit()
            if ($round -gt 0) { $pwshLatency.Add((Get-Median $laps)) }
        }
        Remove-Item "/tmp/$Prefix-waker.out" -ErrorAction SilentlyContinue
        $c = Get-Median $cLatency
        $p = Get-Median $pwshLatency
        Add-SpecialRow -Section Coordination -Measure "Posix wake-up latency: C writes and FUTEX_WAKEs, Wait-SharedMemory -Changed returns (median of $count per round)" `
            -BaselineName 'the same C waker and a C waiter (FUTEX_WAIT)' -ShmPSText ('{0:N0} µs' -f $p) -BaselineText ('{0:N0} µs' -f $c) `
            -Ratio ($p / $c) -Target '<= C + 2 ms, median < 5 ms' -Pass (($p - $c) -le 2000 -and $p -lt 5000) `
            -Details @{ ShmPSMicroseconds = [math]::Round($p, 1); BaselineMicroseconds = [math]::Round($c, 1); ShmPSRoundsUs = @($pwshLatency); BaselineRoundsUs = @($cLatency) }
        $o.Dispose()
    }

    $n = 100000
    $objects = [ordered]@{}
    $i = 0
    foreach ($kind in 'Posix', 'SystemV', 'File') {
        $objects[$kind] = New-BenchObject -Kind $kind -Tag 'coord' -Size 8192 -KeyIndex (0x810 + $i++)
    }
    $text = 'x' * 4096
    $docs = 200
    $blocks = [ordered]@{}
    foreach ($kind in $objects.Keys) {
        $o = $objects[$kind]
        $id = Get-Identity $o
        $blocks["$kind read+write"] = { for ($i = 0; $i -lt $n; $i++) { $o.WriteInt64(64, $o.ReadInt64(64) + 1) } }.GetNewClosure()
        $blocks["$kind AddInt64"] = { for ($i = 0; $i -lt $n; $i++) { $null = $o.AddInt64(64, 1) } }.GetNewClosure()
        $blocks["$kind -Value"] = { for ($i = 0; $i -lt $docs; $i++) { Write-SharedMemory @id -Value $text; $null = Read-SharedMemory @id -Encoding utf8 } }.GetNewClosure()
        $blocks["$kind -Document"] = { for ($i = 0; $i -lt $docs; $i++) { Write-SharedMemory @id -Document $text; $null = Read-SharedMemory @id -Document } }.GetNewClosure()
    }
    $m = Measure-Interleaved $blocks
    foreach ($kind in $objects.Keys) {
        Add-Row -Section Coordination -Measure "$kind 100,000 x `$obj.AddInt64(64, 1)" -ShmPS $m["$kind AddInt64"] -Baseline $m["$kind read+write"] `
            -BaselineName '$obj.WriteInt64(64, $obj.ReadInt64(64) + 1), no lock (wrong, but the floor)' -Compare Time -Target 1.3 -Operations $n
        Add-Row -Section Coordination -Measure "$kind 200 x 4 KiB Write-SharedMemory -Document + Read-SharedMemory -Document" -ShmPS $m["$kind -Document"] -Baseline $m["$kind -Value"] `
            -BaselineName 'Write-SharedMemory -Value + Read-SharedMemory -Encoding utf8 of the same text' -Compare Time -Target 1.5 -Operations $docs
    }
    foreach ($o in $objects.Values) { $o.Dispose() }
    Invoke-Cleanup
}

#endregion

if ($Child) {
    Initialize-Native
    try {
        & "Invoke-${Child}Child"
        ConvertTo-Json -InputObject @($Rows) -Depth 6 | Set-Content -LiteralPath $ResultPath
    } finally {
        Invoke-Cleanup
    }
    exit 0
}

$started = Get-Date
$failed = $false
Initialize-Native
$loadStart = Get-LoadAverage
Remove-StaleBenchObjects
try {
    foreach ($s in $Section) {
        try {
            & "Invoke-${s}Section"
        } catch {
            $failed = $true
            Write-Warning "Section $s failed: $_`n$($_.ScriptStackTrace)"
            Add-SkippedRow -Section $s -Measure "$s (section failed)" -Reason "$_"
            Invoke-Cleanup
        }
    }
} finally {
    Invoke-Cleanup
}

$table = Format-ResultTable
$table
$missed = @($Rows | Where-Object { $_.Pass -eq $false }).Count
$measuredCount = @($Rows | Where-Object { $_.Pass -is [bool] }).Count
"{0} of {1} targets met, {2} missed; medians of {3} rounds after a warm-up; {4:N0} s" -f ($measuredCount - $missed), $measuredCount, $missed, $Repetitions, ((Get-Date) - $started).TotalSeconds

$report = [ordered]@{
    Date        = $started.ToString('o')
    DurationSeconds = [math]::Round(((Get-Date) - $started).TotalSeconds, 1)
    Machine     = Get-MachineInfo
    LoadAverage = [ordered]@{ Start = $loadStart; End = Get-LoadAverage }
    Repetitions = $Repetitions
    DataPath    = [ShmPS.SharedMemory]::DataPath
    Method      = 'Median of the timed rounds after one warm-up round; baseline and ShmPS interleaved in each round; full GC before every sample. Ratio: time measures ShmPS/baseline time, throughput measures ShmPS/baseline throughput.'
    Placement   = [ordered]@{
        Posix     = '/dev/shm (tmpfs)'
        SystemV   = 'System V segments (shmem)'
        File      = '/tmp (root file system on disk; data in the page cache); the one-shot 256 MiB rows: /dev/shm (tmpfs)'
        InputFile = '/tmp; cp destination /dev/shm'
        Listing   = 'fresh IPC + mount namespace (unshare -im, empty tmpfs on /dev/shm) when root; 10,000 objects = 3,334 SysV + 6,666 POSIX, within kernel.shmmni 4096'
        Processes = 'as Listing; every process of the machine in /proc, plus 200 that each map 4 POSIX objects and attach 2 segments'
        Anonymous = 'the machine''s own namespaces; up to about 300 processes, at least 100 of them each holding a mapped memfd and a shared anonymous mapping'
    }
    Rows        = @($Rows)
}
$dir = Split-Path $OutputPath -Parent
if ($dir -and -not (Test-Path $dir)) { New-Item -ItemType Directory $dir | Out-Null }
ConvertTo-Json -InputObject $report -Depth 8 | Set-Content -LiteralPath $OutputPath
Write-Host "Wrote $OutputPath"
if ($failed) { exit 1 }
