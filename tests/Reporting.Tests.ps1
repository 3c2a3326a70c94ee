# Failures and warnings that say what happened: the right id where another id used to come, nothing
# swallowed that hides state (a semaphore set left behind, a lock that could not be known), the process
# ids that could not be inspected, and no SharedMemoryClosed for an object that was never closed.

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:IsRoot = (id -u) -eq '0'
    $script:Nobody = 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'
}

AfterAll { Remove-TestSharedMemory }

Describe 'Detach() and Attach() on one thread while others copy (<Kind>, <Path>)' -ForEach @(
    @{ Kind = 'Posix'; Path = 'mapped' }, @{ Kind = 'File'; Path = 'mapped' }, @{ Kind = 'SystemV'; Path = 'mapped' }
    @{ Kind = 'Posix'; Path = 'syscall' }, @{ Kind = 'File'; Path = 'syscall' }
) {
    It 'never fails a 512 KiB Write, Read, stream read or (mapped) atomic add with SharedMemoryClosed: the object was never closed' {
        $make = switch ($Kind) {
            'Posix' { "New-SharedMemory -Name '$(New-TestName)' -Size 1MB" }
            'File' { "New-SharedMemory -Path '$(New-TestPath)' -Size 1MB" }
            'SystemV' { 'New-SharedMemory -Kind SystemV -Size 1MB' }
        }
        $launcher = if ($Path -eq 'syscall') { @{ Launcher = 'env', 'SHMPS_DATA_PATH=syscall' } } else { @{} }
        $r = Invoke-ChildPwsh @launcher -TimeoutSeconds 180 @"
`$o = $make
`$o.Attach()
`$stop = [Threading.ManualResetEventSlim]::new()
`$ps = [powershell]::Create()
`$null = `$ps.AddScript({ param(`$o, `$stop) `$n = 0; while (-not `$stop.IsSet) { `$o.Detach(); `$o.Attach(); `$n++ }; `$n }).AddArgument(`$o).AddArgument(`$stop)
`$handle = `$ps.BeginInvoke()
`$data = [byte[]]::new(512KB); `$data[7] = 7
`$buffer = [byte[]]::new(512KB)
`$failures = [Collections.Generic.List[string]]::new()
for (`$i = 0; `$i -lt 150; `$i++) {
    try { `$o.Write(512KB, `$data) } catch { `$failures.Add("Write `$(`$_.FullyQualifiedErrorId)") }
    if ('$Path' -eq 'mapped') { try { `$null = `$o.AddInt64(0, 1) } catch { `$failures.Add("AddInt64 `$(`$_.FullyQualifiedErrorId)") } }
    try { if (`$o.Read(512KB, 512KB)[7] -ne 7) { `$failures.Add('Read: wrong bytes') } } catch { `$failures.Add("Read `$(`$_.FullyQualifiedErrorId)") }
    try {
        `$s = `$o.OpenStream('Read'); `$null = `$s.Seek(512KB, 'Begin')
        `$got = 0; while (`$got -lt `$buffer.Length) { `$n = `$s.Read(`$buffer, `$got, `$buffer.Length - `$got); if (`$n -eq 0) { break }; `$got += `$n }
        `$s.Dispose()
        if (`$buffer[7] -ne 7) { `$failures.Add('stream: wrong bytes') }
    } catch { `$failures.Add("stream `$(`$_.FullyQualifiedErrorId) `$(`$_.Exception.InnerException.ErrorId)") }
}
`$stop.Set()
`$cycles = `$ps.EndInvoke(`$handle)
if ('$Path' -eq 'mapped' -and `$o.ReadInt64(0) -ne 150) { `$failures.Add("AddInt64 total `$(`$o.ReadInt64(0))") }
`$o.Close()
`$o | Remove-SharedMemory -Confirm:`$false
"cycles `$(`$cycles[0])"
`$failures | Group-Object | ForEach-Object { "`$(`$_.Count) x `$(`$_.Name)" }
"@
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $lines = @($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        [long]($lines[0] -replace '^cycles ') | Should -BeGreaterThan 10 -Because 'the other thread must really detach and attach meanwhile'
        @($lines | Select-Object -Skip 1) | Should -BeNullOrEmpty
    }
}

Describe 'Removing a System V segment another user may not remove' {
    It 'is PermissionDenied, as every other action, not SharedMemoryNotFound' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root to become another user'; return }
        $o = New-TestSharedMemory SystemV -Mode 0600
        $r = Invoke-ChildPwsh -Uid 65534 "Remove-SharedMemory -Id $($o.Id) -ErrorAction SilentlyContinue -ErrorVariable e; (`$e[0].FullyQualifiedErrorId -split ',')[0]"
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output.Trim() | Should -Be 'PermissionDenied'
        Get-SysvIpcTable shm -Id $o.Id | Should -Not -BeNullOrEmpty
    }
}

Describe 'A size the file system cannot hold' {
    It 'is FileTooLarge for 4 EiB (EFBIG from the file system), not FileSizeLimitExceeded, with no ulimit -f set' {
        $fs = (stat -f -c %T ([IO.Path]::GetTempPath())).Trim()
        if ($fs -notin 'ext2/ext3', 'ext4', 'xfs', 'btrfs') { Set-ItResult -Skipped -Because "the temporary directory is on $fs"; return }
        $r = Invoke-ChildPwsh "New-SharedMemory -Path '$(New-TestPath)' -Size (4PB * 1024) -Sparse -ErrorAction SilentlyContinue -ErrorVariable failed; 'id ' + `$failed[0].FullyQualifiedErrorId" -Launcher 'prlimit', '--fsize=unlimited'
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output.Trim() | Should -BeLike 'id FileTooLarge,*' -Because $r.Error
    }
}

Describe 'Set-SharedMemoryPermission -Mode 0666 by a non-owner' {
    It 'fails with PermissionDenied and does not warn that the object lets every user write' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root to become another user'; return }
        $o = New-TestSharedMemory Posix -Mode 0644
        $r = Invoke-ChildPwsh -Uid 65534 @"
Set-SharedMemoryPermission -Name '$($o.Name)' -Mode 0666 -ErrorAction SilentlyContinue -ErrorVariable e -WarningAction SilentlyContinue -WarningVariable w
"warnings `$(`$w.Count)"
(`$e[0].FullyQualifiedErrorId -split ',')[0]
"@
        $r.ExitCode | Should -Be 0 -Because $r.Error
        ($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }) | Should -Be 'warnings 0', 'PermissionDenied'
        (Get-FileStat "/dev/shm$($o.Name)").Mode | Should -Be '644'
    }

    It 'warns once the change is made, when it is' {
        $o = New-TestSharedMemory Posix
        Set-SharedMemoryPermission -InputObject $o -Mode 0666 -WarningVariable w -WarningAction SilentlyContinue
        $w.Count | Should -Be 1
        "$($w[0])" | Should -BeLike '*lets every user*write*'
    }
}

Describe 'A range whose end does not fit in a 64-bit number' {
    It 'names the true end, not a negative byte' {
        $o = New-TestSharedMemory Posix -Size 8192
        Read-SharedMemory -InputObject $o -Offset 4096 -Count ([long]::MaxValue) -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -BeLike 'OffsetOutOfRange,*'
        "$($e[0])" | Should -BeLike '*would end at byte 9223372036854779903*'
        "$($e[0])" | Should -Not -BeLike '*-9223372036854771713*'
    }
}

Describe 'Get-SharedMemory -ProcessId with -LiteralName' {
    It 'finds an object whose name -Name takes as a pattern, as that process sees it' {
        $name = "/shmps-test-[literal]-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        $o = New-SharedMemory -LiteralName $name -Size 64
        try {
            $found = @(Get-SharedMemory -ProcessId $PID -LiteralName $name)
            $found.Count | Should -Be 1
            $found[0].Name | Should -Be $name
            Get-SharedMemory -ProcessId $PID -LiteralName "$name-none" -ErrorAction SilentlyContinue -ErrorVariable e
            $e[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
        }
        finally { Remove-SharedMemory -LiteralName $name }
    }
}

Describe 'Processes that could not be inspected' {
    It 'are named by their ids in the warning' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root to drop its capabilities'; return }
        $sleeper = Start-TestProcess setpriv ($Nobody[1..3] + @('sleep', '60'))
        try {
            # Root without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, as in some sandboxes: another user's /proc/PID/maps is closed to it.
            $r = Invoke-ChildPwsh "Get-SharedMemory -IncludeProcess -WarningAction SilentlyContinue -WarningVariable w | Out-Null; `$w | ForEach-Object { `"`$_`" }" -Launcher 'setpriv', '--bounding-set=-sys_ptrace,-dac_read_search,-dac_override'
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $warning = $r.Output -split "`n" | Where-Object { $_ -like '*could not be inspected*' }
            $warning | Should -Not -BeNullOrEmpty
            $warning | Should -Match "\b$($sleeper.Id)\b"
        }
        finally { Stop-TestProcess $sleeper }
    }
}

Describe 'An unreadable /proc/locks' {
    It 'keeps a locked object out of -Orphaned, with a warning that locks are unknown' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root for a mount namespace'; return }
        $o = New-TestSharedMemory Posix -Mode 0644
        $holder = Start-TestProcess setpriv ($Nobody[1..3] + @('flock', '-s', "/dev/shm$($o.Name)", 'sleep', '60'))
        $closed = Join-Path (New-TestDirectory) 'locks'
        Set-Content $closed ''
        chmod 000 $closed
        try {
            Wait-Until { Select-String -Path /proc/locks -Pattern " $($holder.Id) " -Quiet } | Should -BeTrue
            # /proc/locks replaced by a file root cannot read without CAP_DAC_OVERRIDE; the holder (another user's) cannot be inspected either.
            $launcher = 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
                "mount --bind '$closed' /proc/locks && exec setpriv --bounding-set=-sys_ptrace,-dac_read_search,-dac_override `"`$0`" `"`$@`""
            $r = Invoke-ChildPwsh "Get-SharedMemory -Orphaned -WarningAction SilentlyContinue -WarningVariable w | Where-Object Name -eq '$($o.Name)' | ForEach-Object { 'listed' }; `$w | ForEach-Object { `"`$_`" }" -Launcher $launcher
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $r.Output | Should -Not -Match '(?m)^listed'
            $r.Output | Should -Match 'locks could not be read'
            $r.Output | Should -Match 'locked .*is unknown'
        }
        finally { Stop-TestProcess $holder }
    }
}

Describe 'A lock semaphore set that cannot be removed with its segment' {
    It 'is a warning naming the set, and the segment is removed' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root to become another user'; return }
        $key = New-TestKey
        # Root's set of two semaphores with the key: the segment's owner may not even look at it.
        perl -e "defined(semget($key, 2, 01600)) or die `"semget: `$!`"" | Out-Null
        $LASTEXITCODE | Should -Be 0
        $semid = (Get-SysvIpcTable sem -Key $key).semid
        try {
            $r = Invoke-ChildPwsh -Uid 65534 @"
`$o = New-SharedMemory -Key $key -Size 4096
Remove-SharedMemory -Key $key -WarningAction SilentlyContinue -WarningVariable w
`$w | ForEach-Object { "`$_" }
"@
            $r.ExitCode | Should -Be 0 -Because $r.Error
            Get-SysvIpcTable shm -Key $key | Should -BeNullOrEmpty -Because 'the segment itself is removed'
            $r.Output | Should -Match "semaphore set $semid"
            $r.Output | Should -Match 'may be left behind'
        }
        finally { ipcrm -s $semid }
    }
}

Describe 'ResidentBytes when no descriptor is left' {
    It 'is an error that says so (TooManyOpenFiles), not a null that reads as "may not"' {
        $o = New-TestSharedMemory Posix -Mode 0644
        $r = Invoke-ChildPwsh @"
`$o = Get-SharedMemory -Name '$($o.Name)'
`$held = [Collections.Generic.List[object]]::new()
try { while (`$true) { `$held.Add([IO.File]::OpenHandle('/dev/null')) } } catch { }
try { `$v = `$o.ResidentBytes; "value `$(`$null -eq `$v ? 'null' : `$v)" } catch { `$e = `$_.Exception; while (`$e -and -not `$e.PSObject.Properties['ErrorId']) { `$e = `$e.InnerException }; "error `$(`$e.ErrorId)" }
foreach (`$h in `$held) { `$h.Dispose() }
"after `$(`$null -ne `$o.ResidentBytes)"
"@ -Launcher 'prlimit', '--nofile=400'
        $r.ExitCode | Should -Be 0 -Because $r.Error
        ($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }) | Should -Be 'error TooManyOpenFiles', 'after True'
    }
}
