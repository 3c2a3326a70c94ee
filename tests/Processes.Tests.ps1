# Who uses an object: Processes (from /proc/PID/maps, /proc/PID/fd, /proc/locks and the System V lock's
# semaphore), -IncludeProcess and -Orphaned on Get-SharedMemory, AttachCount for every kind, Resize
# refusing to shrink below what another process maps, and Remove warning who keeps the memory. Other
# processes are Python (mmap), a C program attached to a segment, flock(1), and uid 65534.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $EveryKind = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Sysv = Get-NativeTool sysv
    # Maps a file shared (Python's mmap), prints "ready PID", and keeps it mapped until a line on stdin.
    $script:MapPython = @'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, int(sys.argv[2]), offset=int(sys.argv[3]) if len(sys.argv) > 3 else 0)
os.close(fd)
print('ready', os.getpid(), flush=True)
sys.stdin.readline()
'@

    function Start-Mapper([string] $Path, [long] $Length, [long] $Offset = 0) {
        $p = Start-TestProcess python3 '-c', $MapPython, $Path, $Length, $Offset -Ready
        $p | Add-Member -NotePropertyName MapperId -NotePropertyValue ([int]($p.ReadyLine -split ' ')[1]) -PassThru
    }

    # flock(1) holding a shared lock while it runs a command; -o: the command does not inherit the descriptor.
    function Start-Flock([string] $Path) {
        $p = Start-TestProcess flock '--shared', '-o', $Path, 'sleep', '60'
        $inode = stat -c %i -- $Path
        if (-not (Wait-Until { Select-String -Quiet -Pattern ":$inode " -Path /proc/locks })) { throw "flock did not take the lock on $Path" }
        $p
    }

    function Get-LsofId([string] $Path) {
        @(lsof -t -- $Path 2>$null | ForEach-Object { [int]$_ }) | Sort-Object
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Processes' -Tag Processes {
    AfterEach { Stop-TestProcess }

    It 'names the Python process that maps a POSIX object, as lsof does, with its mapping and descriptor counts' {
        $shm = New-TestSharedMemory Posix -Size 8192
        $mapper = Start-Mapper $shm.Path 8192
        $got = Get-SharedMemory -Name $shm.Name
        $got.Processes.ProcessId | Should -Be (Get-LsofId $shm.Path)
        $entry = $got.Processes | Where-Object ProcessId -eq $mapper.MapperId
        $entry.ProcessName | Should -BeLike 'python*'
        $entry.UserName | Should -Be 'root'
        $entry.Mapped | Should -BeTrue
        $entry.MappedBytes | Should -Be 8192
        $entry.OpenDescriptors | Should -Be 1 # Python's mmap keeps a duplicate of the descriptor
        $entry.IsPartial | Should -BeFalse
        $got.AttachCount | Should -Be 1
        # As text (Export-Csv, strings), Processes reads as the processes, not as a type name.
        ($got | ConvertTo-Csv | ConvertFrom-Csv).Processes | Should -BeLike "*$($mapper.MapperId) (python*)*"
    }

    It 'names a flock(1) process holding a lock on a file mapping, as lsof does' {
        $shm = New-TestSharedMemory File -Size 4096
        $flock = Start-Flock $shm.Path
        $got = Get-SharedMemory -Path $shm.Path
        $got.Processes.ProcessId | Should -Be (Get-LsofId $shm.Path)
        $holder = $got.Processes | Where-Object ProcessId -eq $flock.Id
        $holder.HoldsLock | Should -BeTrue
        $holder.OpenDescriptors | Should -Be 1
        $holder.Mapped | Should -BeFalse
        $got.AttachCount | Should -Be 0
    }

    It 'names the C process attached to a System V segment by its /SYSV mapping, and the holder of its lock' {
        $shm = New-TestSharedMemory SystemV -Size 8192
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready
        $got = Get-SharedMemory -Id $shm.Id
        $got.Processes.ProcessId | Should -Be $holder.Id
        $got.Processes[0].Attached | Should -BeTrue
        $got.Processes[0].MappedBytes | Should -Be 8192
        $got.AttachCount | Should -Be 1

        $lock = $shm.Lock()
        try {
            $entry = (Get-SharedMemory -Id $shm.Id).Processes | Where-Object ProcessId -eq $PID
            $entry.HoldsLock | Should -BeTrue
            $entry.Attached | Should -BeFalse
        }
        finally { $lock.Dispose() }
        (Get-SharedMemory -Id $shm.Id).Processes | Where-Object HoldsLock | Should -BeNullOrEmpty
    }

    It 'shows this pwsh while an object''s methods keep it mapped (<Kind>)' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $shm.Processes | Should -BeNullOrEmpty
        $shm.AttachCount | Should -Be 0
        $shm.Attach()
        try {
            $shm.Refresh()
            $shm.Processes.ProcessId | Should -Be $PID
            $shm.Processes[0].Mapped | Should -BeTrue
            $shm.AttachCount | Should -Be 1
        }
        finally { $shm.Detach() }
    }

    It 'is read once per object and kept until Refresh' {
        $shm = New-TestSharedMemory Posix
        $shm.Processes | Should -BeNullOrEmpty
        $mapper = Start-Mapper $shm.Path 4096
        $shm.Processes | Should -BeNullOrEmpty
        $shm.Refresh()
        $shm.Processes.ProcessId | Should -Be $mapper.MapperId
    }

    It '-IncludeProcess fills Processes for every object of a listing' {
        $a = New-TestSharedMemory Posix
        $b = New-TestSharedMemory Posix
        $mapper = Start-Mapper $a.Path 4096
        $listed = Get-SharedMemory -Name "/shmps-test-$env:SHMPS_TEST_RUN-*" -IncludeProcess -WarningAction SilentlyContinue
        ($listed | Where-Object Name -eq $a.Name).Processes.ProcessId | Should -Be $mapper.MapperId
        ($listed | Where-Object Name -eq $b.Name).Processes | Should -BeNullOrEmpty
        $json = $listed | Where-Object Name -eq $a.Name | ConvertTo-Json -Depth 3 | ConvertFrom-Json
        $json.Processes.ProcessId | Should -Be $mapper.MapperId
    }

    It 'has a table view that fits an 80-column terminal' {
        $shm = New-TestSharedMemory Posix
        $null = Start-Mapper $shm.Path 4096
        $lines = (Get-SharedMemory -Name $shm.Name).Processes | Format-Table | Out-String -Width 80 -Stream | Where-Object { $_ }
        $lines[0] -split '\s+' -ne '' | Should -Be 'PID', 'Name', 'User', 'Mapped', 'MappedBytes', 'Fds', 'Attached', 'Lock', 'Partial'
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $lines[2] | Should -Match 'python'
    }
}

Describe 'Processes seen by a user who may not inspect them' -Tag Processes, Security {
    AfterEach { Stop-TestProcess }

    It 'reports a root process holding a lock as a partial entry, with a warning and no error' {
        $shm = New-TestSharedMemory Posix -Mode 0o644
        $flock = Start-Flock $shm.Path
        $result = Invoke-ChildPwsh -Uid 65534 @"
`$got = Get-SharedMemory -Name '$($shm.Name)' -IncludeProcess -WarningVariable w -WarningAction SilentlyContinue
`$entry = `$got.Processes | Where-Object ProcessId -eq $($flock.Id)
'{0} {1} {2} {3}' -f `$entry.HoldsLock, `$entry.IsPartial, `$entry.UserName, `$w.Count
"@
        $result.Error | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output.Trim() | Should -Be 'True True root 1'
    }

    It 'reports the root process attached to a segment, and its living creator, as partial entries' {
        $shm = New-TestSharedMemory SystemV -Mode 0o644
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready
        $result = Invoke-ChildPwsh -Uid 65534 @"
`$got = Get-SharedMemory -Id $($shm.Id)
`$got.Processes | ForEach-Object { '{0} {1}' -f `$_.ProcessId, `$_.IsPartial }
"@
        $result.Error | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        # The holder, and this pwsh (the creator, alive): either may be the one the kernel counts as attached.
        $result.Output.Trim() -split '\r?\n' | Should -Be (@("$($holder.Id) True", "$PID True") | Sort-Object { [int]($_ -split ' ')[0] })
    }
}

Describe 'Get-SharedMemory -Orphaned' -Tag Processes {
    AfterEach { Stop-TestProcess }

    It 'lists a <Kind> object nobody uses, and not while a process maps it' -TestCases @(
        @{ Kind = 'Posix' }, @{ Kind = 'File' }
    ) {
        $shm = New-TestSharedMemory $Kind
        $identity = if ($Kind -eq 'Posix') { @{ Name = $shm.Name } } else { @{ Path = $shm.Path } }
        (Get-SharedMemory @identity -Orphaned -WarningAction SilentlyContinue).Name | Should -Be $shm.Name
        $mapper = Start-Mapper $shm.Path 4096
        Get-SharedMemory @identity -Orphaned -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        Stop-TestProcess $mapper
        (Get-SharedMemory @identity -Orphaned -WarningAction SilentlyContinue).Name | Should -Be $shm.Name
    }

    It 'does not list an object a flock(1) process only locks' {
        $shm = New-TestSharedMemory Posix
        $null = Start-Flock $shm.Path
        Get-SharedMemory -Name $shm.Name -Orphaned -WarningAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'lists a System V segment only once nobody is attached and its creator and last user have exited' {
        $id = [int]((ipcmk -M 4096 -p 0600) -replace '\D', '')
        Register-TestSharedMemory -Id $id
        (Get-SharedMemory -Id $id -Orphaned -WarningAction SilentlyContinue).Id | Should -Be $id
        $holder = Start-TestProcess $Sysv 'hold', $id -Ready
        Get-SharedMemory -Id $id -Orphaned -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        Stop-TestProcess $holder
        (Get-SharedMemory -Id $id).LastProcessId | Should -Be $holder.Id
        (Get-SharedMemory -Id $id -Orphaned -WarningAction SilentlyContinue).Id | Should -Be $id
    }

    It 'does not list a segment whose creator (this pwsh) still runs' {
        $shm = New-TestSharedMemory SystemV
        $shm.CreatorProcessId | Should -Be $PID
        Get-SharedMemory -Id $shm.Id -Orphaned -WarningAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'feeds Remove-SharedMemory -WhatIf, which removes nothing' {
        $shm = New-TestSharedMemory Posix
        Get-SharedMemory -Name $shm.Name -Orphaned -WarningAction SilentlyContinue | Remove-SharedMemory -WhatIf
        Test-Path $shm.Path | Should -BeTrue
    }
}

Describe 'Resize-SharedMemory and other processes'' mappings' -Tag Processes {
    AfterEach { Stop-TestProcess }

    It 'refuses to shrink a <Kind> object below what Python maps, naming it; Python keeps running' -TestCases @(
        @{ Kind = 'Posix' }, @{ Kind = 'File' }
    ) {
        $shm = New-TestSharedMemory $Kind -Size 16384
        $mapper = Start-Mapper $shm.Path 8192 4096
        { Resize-SharedMemory -InputObject $shm -Size 8192 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryInUse,ShmPS.Commands.ResizeSharedMemoryCommand'
        $err = $null
        Resize-SharedMemory -InputObject $shm -Size 8192 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        $err[0].Exception.Message | Should -Match "$($mapper.MapperId) \(python"
        $err[0].Exception.Message | Should -Match 'byte 12288'
        (Get-Item $shm.Path).Length | Should -Be 16384
        # Python touches its whole mapping and answers: not killed by SIGBUS.
        $mapper.StandardInput.WriteLine()
        $mapper.WaitForExit(10000) | Should -BeTrue
        $mapper.ExitCode | Should -Be 0
    }

    It 'shrinks down to the end of what others map, and past it with -Force' {
        $shm = New-TestSharedMemory Posix -Size 16384
        $mapper = Start-Mapper $shm.Path 8192
        Resize-SharedMemory -InputObject $shm -Size 8192 -Confirm:$false
        (Get-Item $shm.Path).Length | Should -Be 8192
        Resize-SharedMemory -InputObject $shm -Size 100 -Force
        (Get-Item $shm.Path).Length | Should -Be 100
        $mapper.HasExited | Should -BeFalse # it would die only if it touched the memory now past the end
        Stop-TestProcess $mapper
    }

    It 'does not count this pwsh''s own mappings' {
        $shm = New-TestSharedMemory Posix -Size 16384
        $other = Get-SharedMemory -Name $shm.Name
        $other.Attach()
        try {
            Resize-SharedMemory -Name $shm.Name -Size 4096 -Confirm:$false
            (Get-Item $shm.Path).Length | Should -Be 4096
        }
        finally { $other.Close() }
    }
}

Describe 'Remove-SharedMemory and other processes' -Tag Processes {
    AfterEach { Stop-TestProcess }

    It 'warns that Python keeps a removed POSIX object''s memory' {
        $shm = New-TestSharedMemory Posix
        $mapper = Start-Mapper $shm.Path 4096
        Remove-SharedMemory -Name $shm.Name -WarningVariable w -WarningAction SilentlyContinue
        Test-Path $shm.Path | Should -BeFalse
        $w.Count | Should -Be 1
        "$w" | Should -Match "$($mapper.MapperId) \(python"
    }

    It 'warns that an attached C process keeps a removed segment' {
        $shm = New-TestSharedMemory SystemV
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready
        Remove-SharedMemory -Id $shm.Id -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -Match "$($holder.Id) \(sysv\)"
        "$w" | Should -Match "'$($shm.Name)' \(id $($shm.Id)\) is removed" -Because 'the segment is named as it was, not by the key it has once removed'
        $shm.Name | Should -Not -Be '0x00000000' -Because 'the fixture has a key'
    }

    It '-WhatIf names the <Who> that still uses a <Kind> object, before anything is removed' -TestCases @(
        @{ Kind = 'Posix'; Who = 'Python process (mmap)' }, @{ Kind = 'SystemV'; Who = 'C process (shmat)' }, @{ Kind = 'File'; Who = 'Python process (mmap)' }
    ) {
        $shm = New-TestSharedMemory $Kind
        $user = if ($Kind -eq 'SystemV') { Start-TestProcess $Sysv 'hold', $shm.Id -Ready } else { Start-Mapper $shm.Path 4096 }
        $userId = if ($Kind -eq 'SystemV') { $user.Id } else { $user.MapperId }
        $identity = (Get-TestIdentity $shm).GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }
        $r = Invoke-ChildPwsh "Remove-SharedMemory $identity -WhatIf"
        $r.ExitCode | Should -Be 0 -Because $r.Error
        ($r.Output -replace '\s+', ' ') | Should -Match "What if: .*Remove .* while $userId \((python3|sysv)\) still maps or holds it" -Because 'the process is named in the -WhatIf line'
        $r.Output | Should -Not -Match 'WARNING' -Because 'nothing was removed, so there is nothing to warn of afterwards'
        Get-SharedMemory -InputObject $shm | Should -Not -BeNullOrEmpty
    }

    It '-Confirm names the <Who> in its prompt; answered No, nothing is removed (<Kind>)' -TestCases @(
        @{ Kind = 'Posix'; Who = 'Python process' }, @{ Kind = 'SystemV'; Who = 'C process' }
    ) {
        $shm = New-TestSharedMemory $Kind
        $user = if ($Kind -eq 'SystemV') { Start-TestProcess $Sysv 'hold', $shm.Id -Ready } else { Start-Mapper $shm.Path 4096 }
        $userId = if ($Kind -eq 'SystemV') { $user.Id } else { $user.MapperId }
        $identity = (Get-TestIdentity $shm).GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }
        $r = Invoke-ChildPwsh "Remove-SharedMemory $identity -Confirm" -InputText "N`n"
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $prompt = $r.Output -replace '\s+', ' ' # the console wraps the prompt at its width
        $prompt | Should -Match "Are you sure"
        $prompt | Should -Match "Performing the operation .*while $userId \((python3|sysv)\) still maps or holds it"
        Get-SharedMemory -InputObject $shm | Should -Not -BeNullOrEmpty
    }

    It '-WhatIf names no process where nobody uses the object' {
        $shm = New-TestSharedMemory Posix
        $r = Invoke-ChildPwsh "Remove-SharedMemory -Name '$($shm.Name)' -WhatIf"
        $r.Output | Should -Match "What if: Performing the operation ""Remove POSIX shared memory object"" on target"
    }

    It 'removes an object nobody uses without a warning (<Kind>)' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind
        $shm | Remove-SharedMemory -Force -WarningVariable w
        $w | Should -BeNullOrEmpty
    }
}
