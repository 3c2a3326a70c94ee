BeforeAll {
    . $PSScriptRoot/common.ps1

    # The child: 10,000 cycles that create, write, read, lock, unlock, resize and remove objects of all three
    # kinds, through cmdlets, pipelines and methods, then what it holds and what is left on the system,
    # measured before and after (once without forcing a garbage collection, once after one).
    $script:LeakChild = {
        param([int] $Cycles, [string] $Dir, [string] $Prefix, [int] $KeyBase, [int] $KeyCount)
        $Keys = [int[]]@(0..($KeyCount - 1) | ForEach-Object { $KeyBase + $_ })
        $ErrorActionPreference = 'Stop'
        $ConfirmPreference = 'None'
        $ProgressPreference = 'SilentlyContinue'
        $WarningPreference = 'SilentlyContinue'
        Set-Location $Dir
        "PID $PID"
        $sem0 = @(Get-Content /proc/sysvipc/sem | Select-Object -Skip 1 | ForEach-Object { ($_.Trim() -split '\s+')[1] })

        function Measure-Held {
            $shm = @(Get-Content /proc/sysvipc/shm | Select-Object -Skip 1 | ForEach-Object { , ($_.Trim() -split '\s+') })
            # key shmid perms size cpid lpid nattch ...: this run's segments are its keys, or made by this process.
            $ours = @($shm | Where-Object { [int]$_[0] -in $Keys -or $_[4] -eq "$PID" })
            $sem = @(Get-Content /proc/sysvipc/sem | Select-Object -Skip 1 | ForEach-Object { , ($_.Trim() -split '\s+') } | Where-Object { $_[1] -notin $sem0 })
            $maps = Get-Content "/proc/$PID/maps"
            [ordered]@{
                # Files, directories and objects: what ShmPS opens. Pipes, sockets and anonymous inodes are
                # never its own; they come and go with the processes this measurement starts (df) and the
                # runtime's finalizer, which made the count flaky on a busy machine.
                Descriptors        = @(Get-ChildItem "/proc/$PID/fd" | Where-Object { $_.LinkTarget -notmatch '^(pipe|socket|anon_inode):' }).Count
                DevShmMappings     = @($maps | Where-Object { $_ -match '/dev/shm/' }).Count
                SysVMappings       = @($maps | Where-Object { $_ -match 'SYSV' }).Count
                FileMappings       = @($maps | Where-Object { $_.Contains($Dir + '/') }).Count
                SysVAttached       = [int]($ours | ForEach-Object { [int]$_[6] } | Measure-Object -Sum).Sum
                SysVSegments       = $ours.Count
                # New semaphore sets with this run's keys or IPC_PRIVATE: sets with other keys belong to other
                # test runs on the machine, which would make the count flaky.
                SemaphoreSets      = @($sem | Where-Object { [int]$_[0] -in $Keys -or $_[0] -eq '0' }).Count
                NewSemaphoreSetsAnyKey = $sem.Count
                DevShmEntries      = @(Get-ChildItem /dev/shm -Filter "$Prefix*").Count
                Files              = @(Get-ChildItem $Dir -File).Count
                DevShmUsedBytes    = [long]((df --output=used -B1 /dev/shm | Select-Object -Last 1).Trim())
            }
        }

        $bytes = [byte[]](1..64)
        $errors = @{}
        $scenarios = @(
            {   # POSIX through cmdlets and pipelines; the objects are dropped without Close()
                param($i)
                $n = "/$Prefix-p$($i % 7)"
                New-SharedMemory -Name $n -Size 1MB | Write-SharedMemory -Value $bytes -PassThru | Read-SharedMemory -Count 8 | Out-Null
                Write-SharedMemory -Name $n -Offset 100 -Value 12345L
                $null = Read-SharedMemory -Name $n -Offset 100 -As Int64 -Count 1
                Lock-SharedMemory -Name $n -ScriptBlock { $null = $_.ReadInt64(100) }
                Get-SharedMemory -Name $n | Resize-SharedMemory -Size 512KB -Force -PassThru | Read-SharedMemory -Count 4 | Out-Null
                Remove-SharedMemory -Name $n
            }
            {   # POSIX through methods, closed
                param($i)
                $o = New-SharedMemory -Name "/$Prefix-m$($i % 7)" -Size 1MB
                $o.WriteInt64(0, $i); $null = $o.ReadInt64(0); $o.Write(8, $bytes); $null = $o.Read(8, 64)
                $l = $o.Lock(); $l.Release()
                $o | Remove-SharedMemory
                $o.Close()
            }
            {   # System V through cmdlets and pipelines, dropped without Close()
                param($i)
                $k = $Keys[[math]::Floor($i / $scenarios.Count) % $Keys.Count]
                New-SharedMemory -Key $k -Size 64KB | Write-SharedMemory -Value $bytes -PassThru | Read-SharedMemory -Count 8 | Out-Null
                Write-SharedMemory -Key $k -Offset 8 -Value 7L
                $null = Read-SharedMemory -Key $k -Count 16
                Lock-SharedMemory -Key $k -ScriptBlock { $null = $_.ReadInt64(8) }
                $lock = Lock-SharedMemory -Key $k
                Unlock-SharedMemory -Lock $lock
                Get-SharedMemory -Key $k | Remove-SharedMemory
            }
            {   # System V through methods, attached and detached, closed
                param($i)
                $o = New-SharedMemory -Key $Keys[[math]::Floor($i / $scenarios.Count) % $Keys.Count] -Size 64KB
                $o.Attach(); $o.WriteInt64(0, $i); $null = $o.ReadInt64(0); $o.Detach()
                $o.Write(8, $bytes); $null = $o.Read(8, 64)
                $l = $o.Lock(); $l.Release()
                Remove-SharedMemory -Id $o.Id
                $o.Close()
            }
            {   # System V removed while a method keeps it attached: marked, then freed by Close()
                param($i)
                $o = New-SharedMemory -Size 4096 -Private
                $o.Attach(); $o.WriteByte(0, 1)
                Remove-SharedMemory -InputObject $o
                $o.Close()
            }
            {   # File through cmdlets and pipelines, dropped without Close()
                param($i)
                $p = Join-Path $Dir "c$($i % 7)"
                New-SharedMemory -Path $p -Size 1MB | Write-SharedMemory -Value 'text' -PassThru | Read-SharedMemory -Count 4 -Encoding utf8 | Out-Null
                Lock-SharedMemory -Path $p -ScriptBlock { $null = $_.Size }
                Resize-SharedMemory -Path $p -Size 64KB -Force
                Get-ChildItem $p | Read-SharedMemory -Count 8 | Out-Null
                Remove-SharedMemory -Path $p -Force
            }
            {   # File through methods, closed
                param($i)
                $o = New-SharedMemory -Path (Join-Path $Dir "m$($i % 7)") -Size 64KB
                $o.WriteInt32(0, $i); $null = $o.ReadInt32(0); $o.Flush(); $o.Refresh()
                $l = $o.Lock($true, [timespan]::FromSeconds(1)); $l.Dispose()
                Remove-SharedMemory -InputObject $o -Force
                $o.Close()
            }
            {   # Objects used through methods, then removed through the pipeline and dropped without Close():
                # removal must not leave their memory held until the garbage collector runs
                param($i)
                $k = $Keys[[math]::Floor($i / $scenarios.Count) % $Keys.Count]
                $objects = @(
                    New-SharedMemory -Name "/$Prefix-r$($i % 7)" -Size 1MB
                    New-SharedMemory -Path (Join-Path $Dir "r$($i % 7)") -Size 64KB
                    New-SharedMemory -Key $k -Size 64KB
                )
                foreach ($o in $objects) { $o.WriteInt64(0, $i); $null = $o.Read(0, 8); $o.Lock().Release() }
                $objects | Remove-SharedMemory -Force
            }
            {   # Lock objects from the cmdlets, and Get-SharedMemory listings piped on
                param($i)
                $n = "/$Prefix-l$($i % 7)"
                $null = New-SharedMemory -Name $n -Size 64KB
                $lock = Lock-SharedMemory -Name $n
                $lock | Unlock-SharedMemory
                Get-SharedMemory -Name "/$Prefix-l*" | Write-SharedMemory -Value 1 -PassThru | Remove-SharedMemory
            }
        )

        function Invoke-Cycle([int] $i) {
            try { & $scenarios[$i % $scenarios.Count] $i }
            catch {
                $id = ($_.FullyQualifiedErrorId -split ',')[0]
                $key = "scenario $($i % $scenarios.Count): $id"
                if (-not $errors.Contains($key)) { $errors[$key] = "cycle ${i}: $_" }
                # Leave nothing behind a failed cycle, so that the next cycles can run.
                Get-ChildItem /dev/shm -Filter "$Prefix*" | Remove-Item -Force
                Get-ChildItem $Dir -File | Remove-Item -Force
                foreach ($k in $Keys) { Remove-SharedMemory -Key $k -ErrorAction SilentlyContinue }
            }
        }

        # What is on the system before anything runs; then a warm-up (JIT, module state, the runtime's own
        # descriptors) before the descriptors of the process itself are measured.
        $initial = Measure-Held
        for ($i = 0; $i -lt 2 * $scenarios.Count; $i++) { Invoke-Cycle $i }
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $before = Measure-Held
        foreach ($m in @($before.Keys)) { if ($m -ne 'Descriptors') { $before[$m] = $initial[$m] } }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt $Cycles; $i++) { Invoke-Cycle $i }
        $seconds = $sw.Elapsed.TotalSeconds
        $afterNoGc = Measure-Held
        # What the extra descriptors are, so that a failure names them.
        $targets = @(Get-ChildItem "/proc/$PID/fd" | ForEach-Object { $_.LinkTarget } | Where-Object { $_ -notlike "*.dll" }) | Group-Object -NoElement | ForEach-Object { "$($_.Count) x $($_.Name)" }
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $afterGc = Measure-Held
        [pscustomobject]@{ Cycles = $Cycles; Seconds = [math]::Round($seconds, 1); Before = $before; AfterNoGc = $afterNoGc; AfterGc = $afterGc; Errors = $errors; DescriptorsNoGc = @($targets) } |
            ConvertTo-Json -Depth 3 -Compress
    }
}

Describe 'Nothing is held or left behind after 10,000 cycles of every operation' -Tag Leak, Robustness {
    BeforeAll {
        $prefix = "shmps-leak-$env:SHMPS_TEST_RUN"
        $dir = Join-Path ([IO.Path]::GetTempPath()) "$prefix-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory $dir | Out-Null
        do {
            $base = (Get-Random -Minimum 0x10000 -Maximum 0x7fff0) * 0x1000
            $keys = @(0..1023 | ForEach-Object { $base + $_ })   # a fresh key for every System V cycle, 1,024 in turn
            $used = @(@(Get-SysvIpcTable shm; Get-SysvIpcTable sem) | Where-Object key -In $keys)
        } while ($used.Count)
        $childScript = "$dir.ps1"
        Set-Content $childScript $LeakChild.ToString()
        $cycles = if ($env:SHMPS_LEAK_CYCLES) { [int]$env:SHMPS_LEAK_CYCLES } else { 10000 }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $result = try {
            Invoke-ChildPwsh -TimeoutSeconds 240 "& '$childScript' -Cycles $cycles -Dir '$dir' -Prefix '$prefix' -KeyBase $base -KeyCount $($keys.Count)"
        }
        catch { [pscustomobject]@{ ExitCode = -1; Output = ''; Error = "$_" } }
        Write-Host "Leak child: exit code $($result.ExitCode) after $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s"
        $line = $result.Output -split '\r?\n' | Where-Object { $_ -like '{*' } | Select-Object -Last 1
        $r = if ($line) { $line | ConvertFrom-Json -AsHashtable } else { $null }
        if ($r) {
            Write-Host "  $($r.Cycles) cycles in $($r.Seconds) s"
            foreach ($m in $r.Before.Keys) { Write-Host ('  {0,-24} before {1,12}  after (no GC) {2,12}  after GC {3,12}' -f $m, $r.Before[$m], $r.AfterNoGc[$m], $r.AfterGc[$m]) }
        }

        function Assert-Same([string] $metric, [long] $slack = 0, [string] $why) {
            $r | Should -Not -BeNullOrEmpty -Because "the child must finish (exit code $($result.ExitCode)):`n$($result.Error)"
            foreach ($phase in 'AfterNoGc', 'AfterGc') {
                $r[$phase][$metric] | Should -BeLessOrEqual ($r.Before[$metric] + $slack) -Because "$metric $phase must end where it started ($($r.Before[$metric])$(if ($slack) { " + $slack slack: $why" }))"
            }
        }
    }
    AfterAll {
        Get-ChildItem /dev/shm -Filter "$prefix*" -ErrorAction SilentlyContinue | Remove-Item -Force -ErrorAction SilentlyContinue
        $childPid = ($result.Output -split '\r?\n' | Where-Object { $_ -match '^PID \d+$' } | Select-Object -First 1) -replace '^PID '
        foreach ($row in Get-SysvIpcTable shm) {
            if ($row.key -in $keys -or ($childPid -and $row.cpid -eq $childPid)) { ipcrm -m $row.shmid 2>$null }
        }
        $semIds = @(Get-SysvIpcTable sem | Where-Object key -In $keys | ForEach-Object { '-s'; $_.semid })
        if ($semIds) { ipcrm @semIds 2>$null }
        Remove-Item $dir, $childScript -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'runs every cycle without an error, in bounded time' {
        $result.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($result.Error)"
        $r | Should -Not -BeNullOrEmpty
        $r.Errors.Keys | Should -BeNullOrEmpty -Because ("every cycle must succeed; first failure of each kind:`n  " + (($r.Errors.GetEnumerator() | ForEach-Object { "$($_.Key): $($_.Value)" }) -join "`n  "))
    }
    # The runtime may open a descriptor or two lazily on its own (a timer or a thread pool wait handle)
    # after the warm-up: 2 descriptors of slack, far below one per cycle.
    It 'holds no more descriptors' { Assert-Same Descriptors 2 "descriptors the .NET runtime opens lazily; open without GC:`n  $($r.DescriptorsNoGc -join "`n  ")" }
    It 'maps no /dev/shm object' { Assert-Same DevShmMappings }
    It 'maps no System V segment' { Assert-Same SysVMappings }
    It 'maps no file' { Assert-Same FileMappings }
    It 'keeps no System V segment attached' { Assert-Same SysVAttached }
    It 'leaves no System V segment' { Assert-Same SysVSegments }
    It 'leaves no System V semaphore set' { Assert-Same SemaphoreSets }
    It 'leaves no /dev/shm entry' { Assert-Same DevShmEntries }
    It 'leaves no file' { Assert-Same Files }
    # /dev/shm is shared with every other process on the machine (other test runs create and remove objects
    # meanwhile), so its used space gets 4 MiB of slack; the cycles make 1 MiB objects, so a few held
    # objects exceed it, and descriptors and mappings above catch a single one.
    It 'frees /dev/shm space' { Assert-Same DevShmUsedBytes 4MB 'other processes use /dev/shm at the same time' }
}
