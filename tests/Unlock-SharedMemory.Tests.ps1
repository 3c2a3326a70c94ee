BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $LockKinds = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/LockHelpers.ps1
    $script:LockNotHeldId = 'LockNotHeld,ShmPS.Commands.UnlockSharedMemoryCommand'
}

Describe 'Unlock-SharedMemory' -Tag 'Lock' {
    AfterEach {
        Stop-TestProcess
    }

    AfterAll {
        Remove-TestSharedMemory
    }

    Context 'lock objects' {
        It 'releases a <Kind> lock from the pipeline and outputs nothing' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            Test-LockFree $shm | Should -BeFalse
            $out = $held | Unlock-SharedMemory
            $out | Should -BeNullOrEmpty
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeTrue
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(1, 0) }
        }

        It 'releases a shared <Kind> lock' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm -Shared
            Test-LockFree $shm | Should -BeFalse
            Unlock-SharedMemory -Lock $held
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeTrue
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(1, 0) }
        }

        It 'releases several locks given by position' {
            $targets = 'Posix', 'File', 'SystemV' | ForEach-Object { New-LockTarget $_ }
            $locks = $targets | Lock-SharedMemory
            $locks.Count | Should -Be 3
            Unlock-SharedMemory $locks
            $locks.IsHeld | Should -Be @($false, $false, $false)
            $targets | ForEach-Object { Test-LockFree $_ | Should -BeTrue }
        }

        It 'releases a lock taken by the Lock() method' {
            $shm = New-LockTarget Posix
            $held = $shm.Lock()
            $held | Unlock-SharedMemory
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeTrue
        }

        It 'releasing a <Kind> lock twice is harmless and leaves alone the lock another process took since' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            $held | Unlock-SharedMemory
            $null = Start-LockHolder $shm
            { $held | Unlock-SharedMemory -ErrorAction Stop } | Should -Not -Throw
            { $held.Dispose() } | Should -Not -Throw
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeFalse -Because 'the other process still holds its lock'
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(0, 0) }
        }

        It 'releases a shared <Kind> lock twice without taking from the other shared holders' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $null = Start-LockHolder $shm -Shared
            $held = Lock-SharedMemory -InputObject $shm -Shared -Timeout 5
            $held | Unlock-SharedMemory
            $held | Unlock-SharedMemory
            Test-LockFree $shm | Should -BeFalse -Because 'the other reader still holds its lock'
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(0, 2) }
        }

        It 'releases a lock taken in another runspace when given the lock object' {
            $shm = New-LockTarget Posix
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0]' $shm
            try {
                $held = $ps.Invoke()[0]
                $held.IsHeld | Should -BeTrue
                Test-LockFree $shm | Should -BeFalse
                $held | Unlock-SharedMemory
                Test-LockFree $shm | Should -BeTrue
            } finally {
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
        }

        It 'refuses $null' {
            { Unlock-SharedMemory -Lock $null } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,ShmPS.Commands.UnlockSharedMemoryCommand'
        }

        It 'releases quietly a System V lock whose semaphore set was removed' {
            $shm = New-LockTarget SystemV
            $held = Lock-SharedMemory -InputObject $shm
            ipcrm -S $shm.Key
            $LASTEXITCODE | Should -Be 0
            { $held | Unlock-SharedMemory -ErrorAction Stop } | Should -Not -Throw
            $held.IsHeld | Should -BeFalse
            $again = Lock-SharedMemory -InputObject $shm -Timeout 1
            $again | Unlock-SharedMemory
        }
    }

    Context "this session's lock on an object" {
        It 'releases the <Kind> lock on the object named by <Parameters>' -TestCases @(
            @{ Kind = 'Posix'; Parameters = '-Name' }
            @{ Kind = 'Posix'; Parameters = '-Name by position' }
            @{ Kind = 'File'; Parameters = '-Path' }
            @{ Kind = 'File'; Parameters = '-Path relative to the current location' }
            @{ Kind = 'File'; Parameters = '-LiteralPath' }
            @{ Kind = 'File'; Parameters = '-Name -Kind File' }
            @{ Kind = 'SystemV'; Parameters = '-Key' }
            @{ Kind = 'SystemV'; Parameters = '-Id' }
            @{ Kind = 'SystemV'; Parameters = '-InputObject' }
            @{ Kind = 'Posix'; Parameters = 'the pipeline' }
        ) {
            $shm = New-LockTarget $Kind
            $held = Lock-SharedMemory -InputObject $shm
            $release = {
                switch ($Parameters) {
                    '-Name' { Unlock-SharedMemory -Name $shm.Name -ErrorAction Stop }
                    '-Name by position' { Unlock-SharedMemory $shm.Name -ErrorAction Stop }
                    '-Path' { Unlock-SharedMemory -Path $shm.Path -ErrorAction Stop }
                    '-Path relative to the current location' {
                        Push-Location (Split-Path $shm.Path)
                        try { Unlock-SharedMemory -Path (Join-Path . (Split-Path $shm.Path -Leaf)) -ErrorAction Stop } finally { Pop-Location }
                    }
                    '-LiteralPath' { Unlock-SharedMemory -LiteralPath $shm.Path -ErrorAction Stop }
                    '-Name -Kind File' { Unlock-SharedMemory -Name $shm.Path -Kind File -ErrorAction Stop }
                    '-Key' { Unlock-SharedMemory -Key $shm.Key -ErrorAction Stop }
                    '-Id' { Unlock-SharedMemory -Id $shm.Id -ErrorAction Stop }
                    '-InputObject' { Unlock-SharedMemory -InputObject (Get-SharedMemory -Key $shm.Key) -ErrorAction Stop }
                    'the pipeline' { Get-SharedMemory -Name $shm.Name | Unlock-SharedMemory -ErrorAction Stop }
                }
            }
            $out = & $release
            $out | Should -BeNullOrEmpty
            $held.IsHeld | Should -BeFalse
            Test-LockFree $shm | Should -BeTrue
            { & $release } | Should -Throw -ErrorId $LockNotHeldId
            $again = Lock-SharedMemory -InputObject $shm -Timeout 1
            $again.IsHeld | Should -BeTrue -Because 'the session no longer counts the old lock'
            $again | Unlock-SharedMemory
        }

        It 'releases the locks on every object a wildcard -Name matches' {
            $prefix = New-TestName
            $a = New-SharedMemory -Name "$prefix-a" -Size 4096
            $b = New-SharedMemory -Name "$prefix-b" -Size 4096
            Register-TestSharedMemory -InputObject $a
            Register-TestSharedMemory -InputObject $b
            $locks = Lock-SharedMemory -Name "$prefix-*"
            $locks.Count | Should -Be 2
            Unlock-SharedMemory -Name "$prefix-*"
            $locks.IsHeld | Should -Be @($false, $false)
            Test-LockFree $a | Should -BeTrue
            Test-LockFree $b | Should -BeTrue
        }

        It 'reports LockNotHeld (InvalidOperation) for a <Kind> object this session has not locked' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $failure = { Unlock-SharedMemory -InputObject $shm -ErrorAction Stop } | Should -Throw -ErrorId $LockNotHeldId -PassThru
            $failure.CategoryInfo.Category | Should -Be 'InvalidOperation'
            $failure.TargetObject.Name | Should -Be $shm.Name
        }

        It 'reports LockNotHeld for a <Kind> lock another process holds, and leaves that lock alone' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $null = Start-LockHolder $shm
            { Unlock-SharedMemory -InputObject $shm -ErrorAction Stop } | Should -Throw -ErrorId $LockNotHeldId
            Test-LockFree $shm | Should -BeFalse
            if ($Kind -eq 'SystemV') { Get-SemaphoreValues $shm | Should -Be @(0, 0) }
        }

        It 'reports LockNotHeld for a <Kind> lock another runspace of this process holds, and leaves it held' -TestCases $LockKinds {
            $shm = New-LockTarget $Kind
            $ps = New-RunspacePowerShell 'Lock-SharedMemory -InputObject $args[0]' $shm
            try {
                $held = $ps.Invoke()[0]
                { Unlock-SharedMemory -InputObject $shm -ErrorAction Stop } | Should -Throw -ErrorId $LockNotHeldId
                $held.IsHeld | Should -BeTrue
                Test-LockFree $shm | Should -BeFalse
            } finally {
                $held | Unlock-SharedMemory
                $ps.Runspace.Dispose()
                $ps.Dispose()
            }
        }

        It 'writes LockNotHeld as a non-terminating error and still releases the other objects' {
            $free = New-LockTarget Posix
            $locked = New-LockTarget Posix
            $held = Lock-SharedMemory -InputObject $locked
            Unlock-SharedMemory -Name $free.Name, $locked.Name -ErrorAction SilentlyContinue -ErrorVariable failures
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -Be $LockNotHeldId
            $failures[0].TargetObject.Name | Should -Be $free.Name
            $held.IsHeld | Should -BeFalse
            Test-LockFree $locked | Should -BeTrue
        }

        It 'reports an object that does not exist as SharedMemoryNotFound' {
            { Unlock-SharedMemory -Name (New-TestName) -ErrorAction Stop } |
                Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.UnlockSharedMemoryCommand'
        }

        It 'releases the lock a -ScriptBlock holds, which then ends without error' {
            $shm = New-LockTarget Posix
            $out = Lock-SharedMemory -InputObject $shm -ScriptBlock {
                Unlock-SharedMemory -InputObject $_
                Test-LockFree $_
            }
            $out | Should -BeTrue
            Test-LockFree $shm | Should -BeTrue
        }
    }
}
