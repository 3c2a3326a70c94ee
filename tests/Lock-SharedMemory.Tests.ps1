BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $LockKinds = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/LockHelpers.ps1

    function Invoke-CounterRace {
        <#
        C programs and child pwsh processes all add 1 to the int64 at offset 0 many times (read, yield,
        write), under the lock or, with -NoLock, without it; all start together. Returns the final count.
        #>
        param(
            [Parameter(Mandatory)] $Shm,
            [switch] $NoLock,
            [int] $NativeCount = 3,
            [int] $NativeIterations = 2000,
            [int] $PwshCount = 1,
            [int] $PwshIterations = 150
        )
        $Shm.Write(0, [byte[]]::new(64))
        $mode = if ($NoLock) { 'nolock' } else { 'lock' }
        $increment = if ($NoLock) { '$shm | ForEach-Object $step' } else { 'Lock-SharedMemory -InputObject $shm -ScriptBlock $step' }
        $processes = @(
            for ($slot = 0; $slot -lt $NativeCount; $slot++) {
                Start-TestProcess $LockTool (@('inc') + (Get-LockToolTarget $Shm) + @("$slot", "$NativeIterations", $mode))
            }
            for ($slot = $NativeCount; $slot -lt $NativeCount + $PwshCount; $slot++) {
                Start-ChildPwsh @"
`$shm = Get-SharedMemory $(Get-IdentityArgument $Shm)
`$step = { `$v = `$_.ReadInt64(0); [Threading.Thread]::Yield() | Out-Null; `$_.WriteInt64(0, `$v + 1) }
`$shm.WriteInt64(16 + 8 * $slot, 1)
for (`$n = 0; `$shm.ReadInt64(8) -eq 0; `$n++) { if (`$n -gt 6000) { exit 4 }; Start-Sleep -Milliseconds 10 }
for (`$i = 0; `$i -lt $PwshIterations; `$i++) { $increment }
"@
            }
        )
        # Start everyone at once, when all are ready (each sets its flag at 16 + 8 * slot).
        $allReady = Wait-Until -TimeoutSeconds 60 {
            $failed = $processes | Where-Object HasExited
            if ($failed) { throw "A participant exited early ($($failed[0].ExitCode)): $($failed[0].StandardError.ReadToEnd())" }
            -not (0..($processes.Count - 1) | Where-Object { $Shm.ReadInt64(16 + 8 * $_) -eq 0 })
        }
        if (-not $allReady) { throw 'The participants did not all start.' }
        $Shm.WriteInt64(8, 1)
        foreach ($p in $processes) {
            if (-not $p.WaitForExit(60000)) { throw "Participant $($p.Id) did not finish." }
            $p.WaitForExit()
            if ($p.ExitCode) { throw "Participant failed ($($p.ExitCode)): $($p.StandardError.ReadToEnd())" }
        }
        $Shm.ReadInt64(0)
    }
}

Describe 'Lock-SharedMemory' -Tag 'Lock' {
    AfterEach {
        Stop-TestProcess
    }

    AfterAll {
        Remove-TestSharedMemory
    }

    Context 'mutual exclusion across processes' {
        It 'keeps every increment of C programs and pwsh processes that share a <Kind> lock' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            Invoke-CounterRace $shm | Should -Be (3 * 2000 + 1 * 150)
        }

        It 'loses increments in the same run on a <Kind> object without the lock (the race is real)' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            Invoke-CounterRace $shm -NoLock | Should -BeLessThan (3 * 2000 + 1 * 150)
        }
    }

    Context 'the lock object' {
        It 'describes a <Kind> lock and its mechanism' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $before = Get-Date
            $held = Lock-SharedMemory -InputObject $shm
            try {
                $held | Should -BeOfType ShmPS.SharedMemoryLock
                $held.Kind | Should -Be $Kind
                $held.Name | Should -Be $shm.Name
                $held.SharedMemory.Name | Should -Be $shm.Name
                $held.IsShared | Should -BeFalse
                $held.IsHeld | Should -BeTrue
                $held.AcquiredAt | Should -BeGreaterOrEqual $before.AddSeconds(-1)
                $held.AcquiredAt | Should -BeLessOrEqual (Get-Date).AddSeconds(1)
                if ($Kind -eq 'SystemV') {
                    $held.Mechanism | Should -BeLike ('*{0:x8}*' -f $shm.Key)
                } else {
                    $held.Mechanism | Should -BeLike "*flock*$($shm.Path)*"
                }
                Test-LockFree $shm | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
            }
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeTrue
        }

        It 'keeps the locked object usable through the lock object after Lock-SharedMemory -<Identity>' -TestCases @(
            @{ Kind = 'Posix'; Identity = 'Name' }, @{ Kind = 'File'; Identity = 'LiteralPath' }, @{ Kind = 'SystemV'; Identity = 'Key' }
        ) {
            $shm = New-LockTarget $Kind
            $shm.WriteInt64(0, 4242)
            $held = Invoke-Expression "Lock-SharedMemory $(Get-IdentityArgument $shm)"
            try {
                $held.SharedMemory.ReadInt64(0) | Should -Be 4242
                $held.SharedMemory.WriteInt64(0, 4343)
            } finally {
                $held | Unlock-SharedMemory
            }
            $shm.ReadInt64(0) | Should -Be 4343
        }
    }

    Context 'identities' {
        It 'locks the object named by <Parameters>' -TestCases @(
            @{ Kind = 'Posix'; Parameters = '-Name' }
            @{ Kind = 'Posix'; Parameters = '-Name without the slash' }
            @{ Kind = 'File'; Parameters = '-Path' }
            @{ Kind = 'File'; Parameters = '-LiteralPath' }
            @{ Kind = 'File'; Parameters = '-Name -Kind File' }
            @{ Kind = 'SystemV'; Parameters = '-Key' }
            @{ Kind = 'SystemV'; Parameters = '-Id' }
            @{ Kind = 'SystemV'; Parameters = 'the pipeline' }
        ) {
            $shm = New-LockTarget $Kind
            $held = switch ($Parameters) {
                '-Name' { Lock-SharedMemory -Name $shm.Name }
                '-Name without the slash' { Lock-SharedMemory -Name $shm.Name.TrimStart('/') }
                '-Path' { Lock-SharedMemory -Path $shm.Path }
                '-LiteralPath' { Lock-SharedMemory -LiteralPath $shm.Path }
                '-Name -Kind File' { Lock-SharedMemory -Name $shm.Path -Kind File }
                '-Key' { Lock-SharedMemory -Key $shm.Key }
                '-Id' { Lock-SharedMemory -Id $shm.Id }
                'the pipeline' { $shm | Lock-SharedMemory }
            }
            try {
                @($held).Count | Should -Be 1
                $held.Name | Should -Be $shm.Name
                Test-LockFree $shm | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
            }
            Test-LockFree $shm | Should -BeTrue
        }

        It 'reports an object that does not exist as SharedMemoryNotFound' {
            { Lock-SharedMemory -Name (New-TestName) -Timeout 1 -ErrorAction Stop } |
                Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.LockSharedMemoryCommand'
        }

        It 'refuses a System V segment without a key (LockNotSupported): no other process could find its lock' {
            $private = New-SharedMemory -Kind SystemV -Private -Size 4096
            Register-TestSharedMemory -InputObject $private
            { Lock-SharedMemory -InputObject $private -Timeout 1 -ErrorAction Stop } |
                Should -Throw -ErrorId 'LockNotSupported,ShmPS.Commands.LockSharedMemoryCommand'
        }
    }

    Context 'a holder that dies' {
        It 'releases a <Kind> lock when a C holder is killed with SIGKILL: a waiting Lock-SharedMemory gets it promptly' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $holder = Start-LockHolder $shm
            $ready = [Threading.ManualResetEventSlim]::new()
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0] -Timeout 30 -ScriptBlock { [Diagnostics.Stopwatch]::GetTimestamp() }' $shm $ready
            try {
                $waiting = $ps.BeginInvoke()
                $ready.Wait(30000) | Should -BeTrue
                Start-Sleep -Milliseconds 200
                $waiting.IsCompleted | Should -BeFalse -Because 'the holder is alive'
                $killedAt = [Diagnostics.Stopwatch]::GetTimestamp()
                kill -KILL $holder.Id
                $waiting.AsyncWaitHandle.WaitOne(15000) | Should -BeTrue
                $acquiredAt = $ps.EndInvoke($waiting)
                $ps.Streams.Error | Should -BeNullOrEmpty
                @($acquiredAt).Count | Should -Be 1
                ($acquiredAt[0] - $killedAt) / [Diagnostics.Stopwatch]::Frequency | Should -BeLessThan 3
            } finally {
                $ps.Stop()
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
            Test-LockFree $shm | Should -BeTrue
        }

        # A dying pwsh drops its flock with its descriptors and its semaphore adjustments with SEM_UNDO.
        It 'releases a <Kind> lock held by a child pwsh killed with SIGKILL' -TestCases @(@{ Kind = 'Posix' }, @{ Kind = 'SystemV' }) {
            $shm = New-LockTarget $Kind
            $holder = Start-PwshLockHolder $shm
            { Lock-SharedMemory -InputObject $shm -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
            $killedAt = [Diagnostics.Stopwatch]::StartNew()
            kill -KILL $holder.Id
            $held = Lock-SharedMemory -InputObject $shm -Timeout 20
            $killedAt.Elapsed.TotalSeconds | Should -BeLessThan 3
            $held.IsHeld | Should -BeTrue
            $held | Unlock-SharedMemory
        }
    }

    Context 'shared locks' {
        It '<Kind>: shared holders in different processes coexist and exclude an exclusive one' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $holder = Start-LockHolder $shm -Shared
            $held = Lock-SharedMemory -InputObject $shm -Shared -Timeout 5
            try {
                $held.IsShared | Should -BeTrue
                Test-LockFree $shm -Shared | Should -BeTrue -Because 'a third reader fits too'
                Test-LockFree $shm | Should -BeFalse -Because 'two readers hold the lock'
                Stop-TestProcess $holder
                Test-LockFree $shm | Should -BeFalse -Because "this session's shared lock still holds"
                if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(0, 2) }
            } finally {
                $held | Unlock-SharedMemory
            }
            Test-LockFree $shm | Should -BeTrue
        }

        It '<Kind>: a shared lock elsewhere makes an exclusive Lock-SharedMemory time out' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $null = Start-LockHolder $shm -Shared
            { Lock-SharedMemory -InputObject $shm -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
        }

        It '<Kind>: an exclusive lock elsewhere makes a shared Lock-SharedMemory time out' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $null = Start-LockHolder $shm
            { Lock-SharedMemory -InputObject $shm -Shared -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
        }

        It '<Kind>: an exclusive Lock-SharedMemory keeps out shared and exclusive lockers elsewhere' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            try {
                Test-LockFree $shm -Shared | Should -BeFalse
                Test-LockFree $shm | Should -BeFalse
                if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(0, 0) }
            } finally {
                $held | Unlock-SharedMemory
            }
            Test-LockFree $shm | Should -BeTrue
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(1, 0) }
        }
    }

    Context 'timeouts' {
        It '<Kind>: a -Timeout that expires is LockTimeout (OperationTimeout) and leaves nothing held' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $holder = Start-LockHolder $shm
            $result = Lock-SharedMemory -InputObject $shm -Timeout 0.3 -ErrorAction SilentlyContinue -ErrorVariable failure
            $result | Should -BeNullOrEmpty
            $failure.Count | Should -Be 1
            $failure[0].FullyQualifiedErrorId | Should -Be $LockTimeoutId
            $failure[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            $failure[0].TargetObject.Name | Should -Be $shm.Name
            Stop-TestProcess $holder
            Test-LockFree $shm | Should -BeTrue
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(1, 0) }
            { Unlock-SharedMemory -InputObject $shm -ErrorAction Stop } | Should -Throw -ErrorId 'LockNotHeld,ShmPS.Commands.UnlockSharedMemoryCommand'
            $held = Lock-SharedMemory -InputObject $shm -Timeout 5
            $held.IsHeld | Should -BeTrue
            $held | Unlock-SharedMemory
        }

        It 'takes -Timeout as <Form>' -TestCases @(
            @{ Form = 'seconds'; Timeout = 0.3 }
            @{ Form = 'a TimeSpan'; Timeout = [TimeSpan]::FromMilliseconds(300) }
            @{ Form = 'a TimeSpan string'; Timeout = '00:00:00.3' }
            @{ Form = 'zero (one try)'; Timeout = 0 }
        ) {
            $shm = New-LockTarget Posix
            $null = Start-LockHolder $shm
            { Lock-SharedMemory -InputObject $shm -Timeout $Timeout -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
        }

        It 'refuses a negative -Timeout' {
            $shm = New-LockTarget Posix
            { Lock-SharedMemory -InputObject $shm -Timeout -1 } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,ShmPS.Commands.LockSharedMemoryCommand'
            Test-LockFree $shm | Should -BeTrue
        }

        It 'takes a free lock with -Timeout <Form>' -TestCases @(
            @{ Form = '0'; Timeout = 0 }
            @{ Form = '[TimeSpan]::MaxValue'; Timeout = [TimeSpan]::MaxValue }
        ) {
            $shm = New-LockTarget Posix
            $held = Lock-SharedMemory -InputObject $shm -Timeout $Timeout
            $held.IsHeld | Should -BeTrue
            Test-LockFree $shm | Should -BeFalse
            $held | Unlock-SharedMemory
        }
    }

    Context 'interop with flock(1)' {
        It '<Kind>: flock -n fails while Lock-SharedMemory holds the lock and succeeds after Unlock-SharedMemory' -TestCases @(
            @{ Kind = 'Posix' }, @{ Kind = 'File' }
        ) {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            flock -n $shm.Path -c true
            $LASTEXITCODE | Should -Be 1
            $held | Unlock-SharedMemory
            flock -n $shm.Path -c true
            $LASTEXITCODE | Should -Be 0
        }

        It '<Kind>: flock -s -n shares a -Shared lock; flock -x -n does not' -TestCases @(
            @{ Kind = 'Posix' }, @{ Kind = 'File' }
        ) {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm -Shared
            try {
                flock -n -s $shm.Path -c true
                $LASTEXITCODE | Should -Be 0
                flock -n -x $shm.Path -c true
                $LASTEXITCODE | Should -Be 1
            } finally {
                $held | Unlock-SharedMemory
            }
        }

        It '<Kind>: Lock-SharedMemory waits for flock(1) and times out while it holds the lock' -TestCases @(
            @{ Kind = 'Posix' }, @{ Kind = 'File' }
        ) {
            $shm = New-LockTarget $Kind
            $flock = Start-TestProcess flock $shm.Path, '-c', 'sleep 2'
            Wait-Until { -not (Test-LockFree $shm) } | Should -BeTrue
            { Lock-SharedMemory -InputObject $shm -Timeout 0.5 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
            $held = Lock-SharedMemory -InputObject $shm -Timeout 20
            $flock.HasExited | Should -BeTrue -Because 'the lock is free only when flock(1) is done'
            $held | Unlock-SharedMemory
        }
    }

    Context 'System V semaphores with a C program' {
        It 'uses a semaphore set with the segment key that a C program locks with semop, both ways' {
            $shm = New-LockTarget SystemV
            $held = Lock-SharedMemory -InputObject $shm
            try {
                Get-SemaphoreValues $shm | Should -Be @(0, 0)
                & $LockTool try sysv ('0x{0:x8}' -f $shm.Key) ex
                $LASTEXITCODE | Should -Be 1
            } finally {
                $held | Unlock-SharedMemory
            }
            & $LockTool try sysv ('0x{0:x8}' -f $shm.Key) ex
            $LASTEXITCODE | Should -Be 0

            $holder = Start-LockHolder $shm
            Get-SemaphoreValues $shm | Should -Be @(0, 0)
            { Lock-SharedMemory -InputObject $shm -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
            Stop-TestProcess $holder
            Get-SemaphoreValues $shm | Should -Be @(1, 0) -Because 'SEM_UNDO gives back what the killed holder took'
            $held = Lock-SharedMemory -InputObject $shm -Timeout 5
            $held | Unlock-SharedMemory
        }

        It 'creates the semaphore set with the segment key, 2 semaphores and the segment read/write bits' {
            $key = New-LockKey
            $shm = New-TestSharedMemory SystemV -Key $key -Mode '0640'
            Lock-SharedMemory -InputObject $shm -ScriptBlock { } | Out-Null
            $row = ipcs -s | Where-Object { $_ -match ('^0x{0:x8}\s' -f $key) }
            @($row).Count | Should -Be 1
            $key, $semid, $owner, $perms, $count = -split $row
            $perms | Should -Be '640'
            $count | Should -Be 2
        }

        It 'refuses a key whose semaphore set of another program has 3 semaphores (LockConflict) and leaves it unchanged' {
            $key = New-LockKey
            $shm = New-TestSharedMemory SystemV -Key $key
            & $LockTool semset ('0x{0:x8}' -f $key) 3
            $LASTEXITCODE | Should -Be 0
            $before = Get-SemaphoreValues -Key $key -OperationTime
            $failure = { Lock-SharedMemory -InputObject $shm -Timeout 1 -ErrorAction Stop } |
                Should -Throw -ErrorId 'LockConflict,ShmPS.Commands.LockSharedMemoryCommand' -PassThru
            $failure.CategoryInfo.Category | Should -Be 'ResourceExists'
            Get-SemaphoreValues -Key $key -OperationTime | Should -Be $before
        }
    }

    Context 'another user' {
        # Root bypasses permission checks: the other side runs as nobody, on objects it may use.
        It '<Kind>: a process of another user with access to the object takes the same lock' -TestCases $LockKinds {
            # flock needs only a read-only descriptor; semop needs write (alter) permission on the set.
            $shm = New-LockTarget $Kind -Mode $(if ($Kind -eq 'SystemV') { '0666' } else { '0644' })
            $try = @('try') + (Get-LockToolTarget $shm) + 'ex'
            $held = Lock-SharedMemory -InputObject $shm
            try {
                (Invoke-AsNobody $LockTool @try).ExitCode | Should -Be 1
            } finally {
                $held | Unlock-SharedMemory
            }
            (Invoke-AsNobody $LockTool @try).ExitCode | Should -Be 0
        }

        It 'System V: a user given access with Set-SharedMemoryPermission after the first lock can take the lock too' {
            $shm = New-LockTarget SystemV
            Set-SharedMemoryPermission -InputObject $shm -Mode '0666' -WarningAction SilentlyContinue
            $try = @('try') + (Get-LockToolTarget $shm) + 'ex'
            $held = Lock-SharedMemory -InputObject $shm
            try {
                $busy = Invoke-AsNobody $LockTool @try
                $busy.Output | Should -BeNullOrEmpty -Because 'the semaphore set should let in whoever may use the segment'
                $busy.ExitCode | Should -Be 1
            } finally {
                $held | Unlock-SharedMemory
            }
            (Invoke-AsNobody $LockTool @try).ExitCode | Should -Be 0
        }
    }

    Context '-ScriptBlock' {
        It 'outputs what the block outputs, holding a <Kind> lock while it runs' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $out = Lock-SharedMemory -InputObject $shm -ScriptBlock { 1; 'two'; Test-LockFree $_ }
            $out | Should -Be @(1, 'two', $false)
            Test-LockFree $shm | Should -BeTrue
        }

        It 'passes the object as <Variable>' -TestCases @(
            @{ Variable = '$_'; Block = { $_ } }
            @{ Variable = '$PSItem'; Block = { $PSItem } }
        ) {
            $shm = New-LockTarget Posix
            $shm.WriteInt64(0, 77)
            $seen = Lock-SharedMemory -Name $shm.Name -ScriptBlock $Block
            @($seen).Count | Should -Be 1
            $seen | Should -BeOfType ShmPS.PosixSharedMemory
            $seen.Name | Should -Be $shm.Name
            $seen = Lock-SharedMemory -InputObject $shm -ScriptBlock $Block
            [object]::ReferenceEquals($seen, $shm) | Should -BeTrue
            $seen = $shm | Lock-SharedMemory -ScriptBlock $Block
            [object]::ReferenceEquals($seen, $shm) | Should -BeTrue
        }

        It 'runs the block once per object from the pipeline, each under its own lock' {
            $a = New-LockTarget Posix
            $b = New-LockTarget File
            $names = $a, $b | Lock-SharedMemory -ScriptBlock { $_.Name; Test-LockFree $_ }
            $names | Should -Be @($a.Name, $false, $b.Name, $false)
        }

        It 'releases a <Kind> lock when the block throws' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            { Lock-SharedMemory -InputObject $shm -ScriptBlock { throw 'boom' } } | Should -Throw 'boom'
            Test-LockFree $shm | Should -BeTrue
            $held = Lock-SharedMemory -InputObject $shm -Timeout 1
            $held.IsHeld | Should -BeTrue -Because 'the session no longer counts the lock as held'
            $held | Unlock-SharedMemory
        }

        It 'releases a <Kind> lock when the block breaks out of an enclosing loop' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $iterations = 0
            foreach ($i in 1..3) {
                $iterations++
                Lock-SharedMemory -InputObject $shm -ScriptBlock { break }
                $iterations = 100
            }
            $iterations | Should -Be 1 -Because 'break left the loop'
            Test-LockFree $shm | Should -BeTrue
            $held = Lock-SharedMemory -InputObject $shm -Timeout 1
            $held | Unlock-SharedMemory
        }

        It 'releases the lock when the block continues an enclosing loop' {
            $shm = New-LockTarget Posix
            $iterations = 0
            foreach ($i in 1..3) {
                $iterations++
                Lock-SharedMemory -InputObject $shm -ScriptBlock { continue }
            }
            $iterations | Should -Be 3
            Test-LockFree $shm | Should -BeTrue
        }

        It 'passes on output written before the block ends with break or throw' {
            $shm = New-LockTarget Posix
            $out = foreach ($i in 1..2) { Lock-SharedMemory -InputObject $shm -ScriptBlock { 'before break'; break } }
            $out | Should -Be 'before break'
            $out = try { Lock-SharedMemory -InputObject $shm -ScriptBlock { 'before throw'; throw 'boom' } } catch { }
            $out | Should -Be 'before throw'
        }

        It 'releases a <Kind> lock when the pipeline is stopped (Ctrl+C) inside the block' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0] -ScriptBlock { Start-Sleep 30 }' $shm
            try {
                $running = $ps.BeginInvoke()
                Wait-Until { -not (Test-LockFree $shm) } | Should -BeTrue -Because 'the block runs under the lock'
                $stopping = $ps.BeginStop($null, $null)
                $stopping.AsyncWaitHandle.WaitOne(5000) | Should -BeTrue -Because 'Stop() ends the block promptly'
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                Wait-Until { Test-LockFree $shm } -TimeoutSeconds 2 | Should -BeTrue
                $running.IsCompleted | Should -BeTrue
            } finally {
                $ps.Stop()
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
        }

        It 'is not run when the lock cannot be had' {
            $shm = New-LockTarget Posix
            $null = Start-LockHolder $shm
            $script:ran = $false
            { Lock-SharedMemory -InputObject $shm -Timeout 0.2 -ScriptBlock { $script:ran = $true } -ErrorAction Stop } |
                Should -Throw -ErrorId $LockTimeoutId
            $script:ran | Should -BeFalse
        }
    }

    Context 'Ctrl+C while waiting' {
        It 'cancels a wait for a <Kind> lock held elsewhere promptly and holds nothing' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $holder = Start-LockHolder $shm
            $ready = [Threading.ManualResetEventSlim]::new()
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0]; "acquired"' $shm $ready
            try {
                $waiting = $ps.BeginInvoke()
                $ready.Wait(30000) | Should -BeTrue
                Start-Sleep -Milliseconds 200
                $waiting.IsCompleted | Should -BeFalse -Because 'the lock is held elsewhere and there is no timeout'
                $stopping = $ps.BeginStop($null, $null)
                $stopping.AsyncWaitHandle.WaitOne(5000) | Should -BeTrue -Because 'Stop() cancels the wait promptly'
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                Stop-TestProcess $holder
                Start-Sleep -Milliseconds 200
                Test-LockFree $shm | Should -BeTrue -Because 'the cancelled wait must not take the lock later'
                if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(1, 0) }
            } finally {
                $ps.Stop()
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
        }
    }

    Context 'Stop() while the Lock() method waits' {
        It 'stops a <Kind> $shm.Lock() without a timeout within 2 s, and it never takes the lock afterwards' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $holder = Start-LockHolder $shm
            $ready = [Threading.ManualResetEventSlim]::new()
            $ps = New-RunspacePowerShell '$held = $args[0].Lock(); "acquired"' $shm $ready
            try {
                $waiting = $ps.BeginInvoke()
                $ready.Wait(30000) | Should -BeTrue
                Start-Sleep -Milliseconds 300
                $waiting.IsCompleted | Should -BeFalse -Because 'the lock is held elsewhere and there is no timeout'
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                $ps.Streams.Information + $ps.Streams.Warning | Should -BeNullOrEmpty
                Stop-TestProcess $holder
                Start-Sleep -Milliseconds 300
                Test-LockFree $shm | Should -BeTrue -Because 'the stopped wait must not take the lock later'
                if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(1, 0) }
                # Nothing is left in that runspace's registry either: it can lock again.
                $ps.Commands.Clear()
                $null = $ps.AddScript('$args[0].Lock($false, [TimeSpan]::FromSeconds(5)).Dispose(); "again"').AddArgument($shm)
                $ps.Invoke() | Should -Be 'again'
            } finally {
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
        }

        It 'stops a $shm.Lock() that waits for a lock another runspace of this process holds' {
            $shm = New-LockTarget SystemV
            $held = Lock-SharedMemory -InputObject $shm
            $ready = [Threading.ManualResetEventSlim]::new()
            $ps = New-RunspacePowerShell '$held = $args[0].Lock($true); "acquired"' $shm $ready
            try {
                $waiting = $ps.BeginInvoke()
                $ready.Wait(30000) | Should -BeTrue
                Start-Sleep -Milliseconds 300
                $waiting.IsCompleted | Should -BeFalse
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
            } finally {
                $held | Unlock-SharedMemory
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
            Start-Sleep -Milliseconds 300
            Test-LockFree $shm | Should -BeTrue -Because 'another process can take the lock'
            Get-SemaphoreValues $shm | Should -Be @(1, 0)
        }

        It 'ends a wait of the method form that takes a CancellationToken when the token is cancelled' {
            # SharedMemoryLock.AcquireForMethod(shm, shared, timeout, token): what a Lock(shared, timeout, token) overload calls.
            $shm = New-LockTarget SystemV
            $null = Start-LockHolder $shm
            $acquire = [ShmPS.SharedMemoryLock].GetMethods([Reflection.BindingFlags]'NonPublic,Static') |
                Where-Object { $_.Name -eq 'AcquireForMethod' -and $_.GetParameters().Count -eq 4 }
            $source = [Threading.CancellationTokenSource]::new([TimeSpan]::FromMilliseconds(300))
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $arguments = [object[]]@($shm.psobject.BaseObject, $false, $null, $source.Token)
            $failure = { $acquire.Invoke($null, $arguments) } | Should -Throw -PassThru
            $failure.Exception.InnerException | Should -BeOfType OperationCanceledException
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
            Stop-TestProcess
            Test-LockFree $shm | Should -BeTrue
        }

        It 'releases a <Kind> lock that comes free just as the wait is stopped, and keeps no record of it' -TestCases $LockKinds {
            # SharedMemoryLock.Acquire asks whether the pipeline stops before each wait and once more after
            # taking the lock: here the answer changes between the two.
            $shm = New-LockTarget $Kind
            $script:asked = 0
            $stopping = [Func[bool]] { $script:asked++; $script:asked -gt 1 }
            $acquire = [ShmPS.SharedMemoryLock].GetMethod('Acquire', [Reflection.BindingFlags]'NonPublic,Static')
            $runspace = [Management.Automation.Runspaces.Runspace]::DefaultRunspace.InstanceId
            $arguments = [object[]]@($shm.psobject.BaseObject, $false, $null, $runspace, [Threading.CancellationToken]::None, $stopping)
            $failure = { $acquire.Invoke($null, $arguments) } |
                Should -Throw -PassThru
            $failure.Exception.InnerException | Should -BeOfType OperationCanceledException
            $script:asked | Should -Be 2
            Test-LockFree $shm | Should -BeTrue
            $again = Lock-SharedMemory -InputObject $shm -Timeout 1
            $again | Unlock-SharedMemory
        }
    }

    Context 'one session, several runspaces' {
        It 'refuses to lock a <Kind> object twice in one session (LockAlreadyHeld) and keeps the first lock' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            try {
                { Lock-SharedMemory -InputObject $shm -Timeout 5 -ErrorAction Stop } |
                    Should -Throw -ErrorId 'LockAlreadyHeld,ShmPS.Commands.LockSharedMemoryCommand'
                { Lock-SharedMemory -InputObject $shm -Shared -Timeout 5 -ErrorAction Stop } |
                    Should -Throw -ErrorId 'LockAlreadyHeld,ShmPS.Commands.LockSharedMemoryCommand'
                $held.IsHeld | Should -BeTrue
                Test-LockFree $shm | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
            }
            Test-LockFree $shm | Should -BeTrue
        }

        It 'refuses a second lock on the same <Kind> object found by another identity' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            try {
                { Invoke-Expression "Lock-SharedMemory $(Get-IdentityArgument $shm) -Timeout 5 -ErrorAction Stop" } |
                    Should -Throw -ErrorId 'LockAlreadyHeld,ShmPS.Commands.LockSharedMemoryCommand'
            } finally {
                $held | Unlock-SharedMemory
            }
        }

        It 'makes another runspace of this process wait for a <Kind> lock instead of refusing' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            $short = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0] -Timeout 0.3' $shm
            $ready = [Threading.ManualResetEventSlim]::new()
            $long = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0] -Timeout 30 -ScriptBlock { "acquired" }' $shm $ready
            try {
                $null = $short.Invoke()
                $short.Streams.Error.Count | Should -Be 1
                $short.Streams.Error[0].FullyQualifiedErrorId | Should -Be $LockTimeoutId
                $waiting = $long.BeginInvoke()
                $ready.Wait(30000) | Should -BeTrue
                Start-Sleep -Milliseconds 200
                $waiting.IsCompleted | Should -BeFalse -Because 'this runspace holds the lock'
                $held | Unlock-SharedMemory
                $waiting.AsyncWaitHandle.WaitOne(15000) | Should -BeTrue
                $long.EndInvoke($waiting) | Should -Be 'acquired'
            } finally {
                $held | Unlock-SharedMemory
                foreach ($ps in $short, $long) { $ps.Stop(); $ps.Runspace.Dispose(); $ps.Dispose() }
            }
            Test-LockFree $shm | Should -BeTrue
        }
    }

    Context 'the Lock() method' {
        It 'returns a <Kind> lock that Dispose() releases' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = $shm.Lock()
            $held | Should -BeOfType ShmPS.SharedMemoryLock
            $held.IsHeld | Should -BeTrue
            Test-LockFree $shm | Should -BeFalse
            $held.Dispose()
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeTrue
            { $held.Dispose() } | Should -Not -Throw
            Test-LockFree $shm | Should -BeTrue
        }

        It 'takes a shared lock and a timeout' {
            $shm = New-LockTarget Posix
            $held = $shm.Lock($true, [TimeSpan]::FromSeconds(1))
            try {
                $held.IsShared | Should -BeTrue
                Test-LockFree $shm -Shared | Should -BeTrue
                Test-LockFree $shm | Should -BeFalse
            } finally {
                $held.Dispose()
            }
        }

        It 'fails with LockTimeout when the lock is held elsewhere' {
            $shm = New-LockTarget SystemV
            $null = Start-LockHolder $shm
            $failure = { $shm.Lock($false, [TimeSpan]::FromMilliseconds(300)) } | Should -Throw -PassThru
            $failure.Exception.InnerException | Should -BeOfType TimeoutException
            $failure.Exception.InnerException.ErrorId | Should -Be 'LockTimeout'
        }

        It 'is refused (LockAlreadyHeld) while this session holds the lock' {
            $shm = New-LockTarget Posix
            $held = Lock-SharedMemory -InputObject $shm
            try {
                $failure = { $shm.Lock() } | Should -Throw -PassThru
                $failure.Exception.InnerException.ErrorId | Should -Be 'LockAlreadyHeld'
            } finally {
                $held | Unlock-SharedMemory
            }
        }
    }
}
