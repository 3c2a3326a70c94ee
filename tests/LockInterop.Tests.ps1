# The System V lock with programs that know only the usual convention: one System V semaphore with the
# segment's key, 1 = free, taken with semop(-1, SEM_UNDO) and given back with semop(+1, SEM_UNDO).
# The other side is a C program written as TLPI 47.5/47.9 do (tests/native/lock.c binsem) and Python's
# sysv_ipc as its demos do; both ways round, on sets that ShmPS or the other program created.

BeforeDiscovery {
    $Peers = @(
        @{ Peer = 'a C program'; Creator = 'ShmPS' }
        @{ Peer = 'a C program'; Creator = 'the C program' }
        @{ Peer = 'Python sysv_ipc'; Creator = 'ShmPS' }
        @{ Peer = 'Python sysv_ipc'; Creator = 'Python sysv_ipc' }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/LockHelpers.ps1
    $script:LockConflictId = 'LockConflict,ShmPS.Commands.LockSharedMemoryCommand'

    function Test-PeerFree {
        <# Whether the other program could take the semaphore now (it takes it and gives it back). #>
        param([Parameter(Mandatory)][string] $Peer, [Parameter(Mandatory)][int] $Key)
        $code = if ($Peer -eq 'a C program') { Invoke-LockTool binsem try ('0x{0:x8}' -f $Key) } else { Invoke-SysvIpc $Key }
        switch ($code) { 0 { $true } 1 { $false } default { throw "$Peer failed ($code)" } }
    }

    function Start-PeerHolder {
        param([Parameter(Mandatory)][string] $Peer, [Parameter(Mandatory)][int] $Key)
        if ($Peer -eq 'a C program') {
            $p = Start-TestProcess $LockTool @('binsem', 'hold', ('0x{0:x8}' -f $Key))
            Wait-ProcessLine $p 'locked'
            $p
        } else {
            Start-SysvIpcHolder $Key
        }
    }

    function New-PeerSet {
        <# The set as its creator makes it: ShmPS by locking once, the others by taking the semaphore once. #>
        param([Parameter(Mandatory)][string] $Creator, [Parameter(Mandatory)] $Shm)
        switch ($Creator) {
            'ShmPS' { Lock-SharedMemory -InputObject $Shm -ScriptBlock { } }
            'the C program' { Invoke-LockTool binsem try ('0x{0:x8}' -f $Shm.Key) | Should -Be 0 }
            'Python sysv_ipc' { Invoke-SysvIpc $Shm.Key -Open create | Should -Be 0 }
        }
    }
}

Describe 'System V lock interop' -Tag 'Lock' {
    AfterEach {
        Stop-TestProcess
    }

    AfterAll {
        Remove-TestSharedMemory
    }

    Context 'the binary-semaphore convention' {
        It '<Peer> cannot take the semaphore while ShmPS holds the lock, on a set made by <Creator>' -TestCases $Peers {
            $shm = New-LockSegment
            New-PeerSet $Creator $shm
            (Get-SemaphoreSet $shm.Key).Count | Should -Be $(if ($Creator -eq 'ShmPS') { 2 } else { 1 })
            Test-PeerFree $Peer $shm.Key | Should -BeTrue
            $held = Lock-SharedMemory -InputObject $shm -Timeout 5
            try {
                (Get-SemaphoreValues $shm)[0] | Should -Be 0 -Because 'semaphore 0 is taken'
                Test-PeerFree $Peer $shm.Key | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
            }
            (Get-SemaphoreValues $shm)[0] | Should -Be 1 -Because 'semaphore 0 is free again'
            Test-PeerFree $Peer $shm.Key | Should -BeTrue
        }

        It 'ShmPS times out (LockTimeout) while <Peer> holds the semaphore, on a set made by <Creator>, and gets it when the holder dies' -TestCases $Peers {
            $shm = New-LockSegment
            New-PeerSet $Creator $shm
            $holder = Start-PeerHolder $Peer $shm.Key
            { Lock-SharedMemory -InputObject $shm -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
            { Lock-SharedMemory -InputObject $shm -Shared -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId
            $failure = { $shm.Lock($false, [TimeSpan]::FromMilliseconds(300)) } | Should -Throw -PassThru
            $failure.Exception.InnerException.ErrorId | Should -Be 'LockTimeout'
            (Get-SemaphoreValues $shm)[0] | Should -Be 0 -Because 'ShmPS raised nothing while it waited'
            Stop-TestProcess $holder
            (Get-SemaphoreValues $shm)[0] | Should -Be 1 -Because 'SEM_UNDO gave the semaphore back'
            $held = Lock-SharedMemory -InputObject $shm -Timeout 5
            $held.IsHeld | Should -BeTrue
            $held | Unlock-SharedMemory
        }

        It 'keeps semaphore 0 taken, and at 0, while ShmPS readers hold shared locks' {
            $shm = New-LockSegment
            New-PeerSet ShmPS $shm
            $cReader = Start-LockHolder $shm -Shared
            Get-SemaphoreValues $shm | Should -Be @(0, 2) -Because 'one reader: semaphore 1 is 1 + readers'
            $held = Lock-SharedMemory -InputObject $shm -Shared -Timeout 5
            try {
                Get-SemaphoreValues $shm | Should -Be @(0, 3)
                Test-PeerFree 'a C program' $shm.Key | Should -BeFalse
                Test-PeerFree 'Python sysv_ipc' $shm.Key | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
            }
            Get-SemaphoreValues $shm | Should -Be @(0, 2) -Because 'the other reader still holds'
            Test-PeerFree 'Python sysv_ipc' $shm.Key | Should -BeFalse
            $held = Lock-SharedMemory -InputObject $shm -Shared -Timeout 5
            Stop-TestProcess $cReader
            $held | Unlock-SharedMemory
            Get-SemaphoreValues $shm | Should -Be @(1, 0) -Because 'the last reader gave semaphore 0 back'
            Test-PeerFree 'Python sysv_ipc' $shm.Key | Should -BeTrue
        }

        It 'repairs a reader group whose last reader was killed: the next ShmPS lock frees semaphore 0' {
            $shm = New-LockSegment
            New-PeerSet ShmPS $shm
            $reader = Start-LockHolder $shm -Shared
            Stop-TestProcess $reader
            Get-SemaphoreValues $shm | Should -Be @(0, 1) -Because 'SEM_UNDO took back the count, not the semaphore the group held'
            $held = Lock-SharedMemory -InputObject $shm -Timeout 5
            Get-SemaphoreValues $shm | Should -Be @(0, 0)
            $held | Unlock-SharedMemory
            Get-SemaphoreValues $shm | Should -Be @(1, 0)
            Test-PeerFree 'a C program' $shm.Key | Should -BeTrue
        }

        It 'takes a shared lock on a one-semaphore set as the exclusive one, and says so' {
            $shm = New-LockSegment
            New-PeerSet 'Python sysv_ipc' $shm
            $held = Lock-SharedMemory -InputObject $shm -Shared -Timeout 5
            try {
                $held.IsShared | Should -BeTrue
                $held.Mechanism | Should -BeLike '*shared taken as exclusive*one semaphore*'
                Get-SemaphoreValues $shm | Should -Be @(0)
                Test-PeerFree 'Python sysv_ipc' $shm.Key | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
            }
            Get-SemaphoreValues $shm | Should -Be @(1)
        }

        It 'keeps increments of C programs that use only the convention and of ShmPS (sysv_ipc made the set)' {
            $shm = New-LockSegment
            New-PeerSet 'Python sysv_ipc' $shm
            $shm.WriteInt64(0, 0)
            $writers = 1..2 | ForEach-Object { Start-TestProcess $LockTool @('inc', 'sysv', ('0x{0:x8}' -f $shm.Key), "$_", '1500', 'lock') }
            $shm.WriteInt64(8, 1)
            for ($i = 0; $i -lt 150; $i++) {
                Lock-SharedMemory -InputObject $shm -ScriptBlock { $v = $_.ReadInt64(0); [Threading.Thread]::Yield() | Out-Null; $_.WriteInt64(0, $v + 1) }
            }
            foreach ($w in $writers) { $w.WaitForExit(60000) | Should -BeTrue; $w.ExitCode | Should -Be 0 }
            $shm.ReadInt64(0) | Should -Be (2 * 1500 + 150)
        }
    }

    Context 'creating and finding the set (TLPI 47.5)' {
        It 'waits, up to the timeout, for a set its creator has not initialised, and takes it once initialised' {
            $shm = New-LockSegment
            Invoke-LockTool semset ('0x{0:x8}' -f $shm.Key) 1 | Should -Be 0
            $failure = { Lock-SharedMemory -InputObject $shm -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId $LockTimeoutId -PassThru
            $failure.Exception.Message | Should -BeLike '*not been initialised*'
            $ready = [Threading.ManualResetEventSlim]::new()
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0] -Timeout 30 -ScriptBlock { "acquired" }' $shm $ready
            try {
                $waiting = $ps.BeginInvoke()
                $ready.Wait(30000) | Should -BeTrue
                Start-Sleep -Milliseconds 300
                $waiting.IsCompleted | Should -BeFalse -Because 'the set is not initialised'
                Invoke-LockTool semop ('0x{0:x8}' -f $shm.Key) 0 1 | Should -Be 0
                $waiting.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
                $ps.EndInvoke($waiting) | Should -Be 'acquired'
            } finally {
                $ps.Stop(); $ps.Runspace.Dispose(); $ps.Dispose()
            }
            Get-SemaphoreValues $shm | Should -Be @(1)
        }

        It 'counts a one-semaphore set set to 1 with SETVAL as initialised, though its sem_otime is 0' {
            $shm = New-LockSegment
            Invoke-LockTool semset ('0x{0:x8}' -f $shm.Key) 1 1 | Should -Be 0
            (Get-SemaphoreSet $shm.Key).OperationTime | Should -Be 0
            $held = Lock-SharedMemory -InputObject $shm -Timeout 1
            $held | Unlock-SharedMemory
            Get-SemaphoreValues $shm | Should -Be @(1)
        }

        It 'creates one initialised set when several runspaces lock a new key at once' {
            $shm = New-LockSegment
            $start = [Threading.ManualResetEventSlim]::new()
            $runners = 1..4 | ForEach-Object {
                $ps = New-RunspacePowerShell '$args[2].Wait(30000) | Out-Null; Lock-SharedMemory -InputObject $args[0] -Timeout 20 -ScriptBlock { "done" }' $shm
                $null = $ps.AddArgument($null).AddArgument($start)
                [pscustomobject]@{ PowerShell = $ps; Result = $ps.BeginInvoke() }
            }
            try {
                Start-Sleep -Milliseconds 500
                $start.Set()
                foreach ($r in $runners) {
                    $r.Result.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue
                    $r.PowerShell.EndInvoke($r.Result) | Should -Be 'done'
                    $r.PowerShell.Streams.Error | Should -BeNullOrEmpty
                }
            } finally {
                foreach ($r in $runners) { $r.PowerShell.Stop(); $r.PowerShell.Runspace.Dispose(); $r.PowerShell.Dispose() }
            }
            @(Get-SemaphoreSet $shm.Key).Count | Should -Be 1
            $set = Get-SemaphoreValues $shm -OperationTime
            $set[0..1] | Should -Be @(1, 0)
            $set[2] | Should -BeGreaterThan 0 -Because 'the creator initialised it with a semop'
        }
    }

    Context 'sets ShmPS does not recognise' {
        It 'refuses <Case> with LockConflict (ResourceExists), exclusive or shared, and leaves the set unchanged' -TestCases @(
            @{ Case = 'a set of 3 semaphores'; Count = 3; Value = $null }
            @{ Case = 'a one-semaphore set at 5'; Count = 1; Value = 5 }
            @{ Case = 'a two-semaphore set with semaphore 0 at 2'; Count = 2; Value = 2 }
            @{ Case = 'a two-semaphore set with readers counted while semaphore 0 is free'; Count = 2; Value = 1 }
        ) {
            $shm = New-LockSegment
            $semset = @('semset', ('0x{0:x8}' -f $shm.Key), "$Count") + @(if ($null -ne $Value) { "$Value" })
            Invoke-LockTool @semset | Should -Be 0
            $before = Get-SemaphoreValues $shm -OperationTime
            foreach ($shared in $false, $true) {
                $failure = { Lock-SharedMemory -InputObject $shm -Shared:$shared -Timeout 1 -ErrorAction Stop } |
                    Should -Throw -ErrorId $LockConflictId -PassThru
                $failure.CategoryInfo.Category | Should -Be 'ResourceExists'
                $failure.Exception.Message | Should -BeLike ('*0x{0:x8}*' -f $shm.Key)
            }
            $failure = { $shm.Lock() } | Should -Throw -PassThru
            $failure.Exception.InnerException.ErrorId | Should -Be 'LockConflict'
            Get-SemaphoreValues $shm -OperationTime | Should -Be $before
            (Get-SemaphoreSet $shm.Key).Mode | Should -Be '600' -Because 'ShmPS did not take the set over'
        }

        It 'stops waiting with LockConflict when another program puts the set in a state it does not know' {
            $shm = New-LockSegment
            $null = Start-PeerHolder 'a C program' $shm.Key
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0] -Timeout 30' $shm
            try {
                $waiting = $ps.BeginInvoke()
                Start-Sleep -Milliseconds 500
                Invoke-LockTool semop ('0x{0:x8}' -f $shm.Key) 0 5 | Should -Be 0
                $waiting.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
                $null = $ps.EndInvoke($waiting)
                $ps.Streams.Error.Count | Should -Be 1
                $ps.Streams.Error[0].FullyQualifiedErrorId | Should -Be $LockConflictId
            } finally {
                $ps.Stop(); $ps.Runspace.Dispose(); $ps.Dispose()
            }
            Get-SemaphoreValues $shm | Should -Be @(5) -Because 'ShmPS took nothing from it'
        }
    }
}

Describe 'System V lock constants agree with the C headers' -Tag 'Lock', 'Native' {
    BeforeAll {
        $script:CLayout = @{}
        foreach ($line in & (Get-NativeTool locklayout)) {
            $name, $value = -split $line
            $CLayout[$name] = [long]$value
        }
        $sem = [ShmPS.SharedMemory].Assembly.GetType('ShmPS.Native.Libc+Sem')
        $script:Managed = @{}
        foreach ($f in $sem.GetFields([Reflection.BindingFlags]'Public,NonPublic,Static')) {
            if ($f.IsLiteral) { $Managed[$f.Name] = [long]$f.GetValue($null) }
        }
    }

    It 'Libc.Sem.<Name> is <CName> in C' -TestCases @(
        @{ Name = 'GETPID'; CName = 'GETPID' }
        @{ Name = 'GETVAL'; CName = 'GETVAL' }
        @{ Name = 'GETALL'; CName = 'GETALL' }
        @{ Name = 'OperationTimeOffset'; CName = 'offsetof(struct semid_ds, sem_otime)' }
    ) {
        $Managed[$Name] | Should -Be $CLayout[$Name]
    }

    It 'reads sem_otime as 8 bytes into a buffer large enough for struct semid_ds' {
        $CLayout['OperationTimeSize'] | Should -Be 8
        $CLayout['SemidDsSize'] | Should -BeLessOrEqual $Managed['SemidDsBufferSize']
    }

    It 'declares no constant in Libc.Sem that is not checked here' {
        $Managed.Keys | Where-Object { $_ -notin 'GETPID', 'GETVAL', 'GETALL', 'OperationTimeOffset', 'SemidDsBufferSize' } | Should -BeNullOrEmpty
    }
}
