# Atomics on every object: AddInt32/AddInt64, CompareExchangeInt32/64, ExchangeInt32/64. Sequentially
# consistent, on the object's own mapping, agreeing with C's __atomic_* on the same word (a C program and
# pwsh add at once and the total is exact), guarded like every copy (a shrink beneath the word is an
# error in a child pwsh that lives on), misaligned offsets refused. And the Lock() overloads.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $Kinds = Get-TestKind -AsTestCase
    $FileKinds = 'Posix', 'File' | ForEach-Object { @{ Kind = $_ } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Futex = Get-NativeTool futex
}

AfterAll { Remove-TestSharedMemory }

Describe 'Atomic methods on every kind' -Tag Posix, SystemV, File {
    It '<Kind>: Add returns the new value, Exchange the old one, CompareExchange the value found' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $shm.AddInt32(0, 5) | Should -Be 5
        $shm.AddInt32(0, -7) | Should -Be -2
        $shm.ReadInt32(0) | Should -Be -2
        $shm.AddInt64(8, 3000000000) | Should -Be 3000000000
        $shm.AddInt64(8, 1) | Should -Be 3000000001
        $shm.ExchangeInt32(0, 42) | Should -Be -2
        $shm.ExchangeInt64(8, -1) | Should -Be 3000000001
        $shm.ReadInt64(8) | Should -Be -1

        $shm.CompareExchangeInt32(0, 100, 41) | Should -Be 42 -Because 'the comparand did not match: the value found'
        $shm.ReadInt32(0) | Should -Be 42 -Because 'nothing was stored'
        $shm.CompareExchangeInt32(0, 100, 42) | Should -Be 42
        $shm.ReadInt32(0) | Should -Be 100
        $shm.CompareExchangeInt64(8, 7, -1) | Should -Be -1
        $shm.ReadInt64(8) | Should -Be 7
        $shm.CompareExchangeInt64(8, 9, 6) | Should -Be 7
        $shm.ReadInt64(8) | Should -Be 7
        $shm.Close()
    }

    It '<Kind>: a misaligned offset is an argument error and changes nothing; past the end is OffsetOutOfRange' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $shm.WriteInt64(0, 0)
        Get-ThrownId { $shm.AddInt64(4, 1) } | Should -Be 'ArgumentException'
        Get-ThrownId { $shm.AddInt32(2, 1) } | Should -Be 'ArgumentException'
        Get-ThrownId { $shm.CompareExchangeInt64(12, 1, 0) } | Should -Be 'ArgumentException'
        Get-ThrownId { $shm.ExchangeInt32(1, 1) } | Should -Be 'ArgumentException'
        $shm.ReadInt64(0) | Should -Be 0
        Get-ThrownId { $shm.AddInt64(4096, 1) } | Should -Be 'OffsetOutOfRange'
        Get-ThrownId { $shm.AddInt32(-4, 1) } | Should -Be 'OffsetOutOfRange'
        $shm.Close()
        Get-ThrownId { $shm.AddInt32(0, 1) } | Should -Be 'SharedMemoryClosed'
    }

    It '<Kind>: a C program (__atomic_add_fetch) and pwsh add at the same time, and the total is exact' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $shm.WriteInt64(64, 0)
        $target = Get-CTarget $shm
        $cAdds = 3000000
        $pwshAdds = 200000
        $c = Start-TestProcess $Futex ($target + 'add', '64', "$cAdds")
        for ($i = 0; $i -lt $pwshAdds; $i++) { $null = $shm.AddInt64(64, 1) }
        $c.WaitForExit(60000) | Should -BeTrue
        $c.StandardOutput.ReadToEnd().Trim() | Should -BeExactly 'done'
        $shm.ReadInt64(64) | Should -Be ($cAdds + $pwshAdds)
        $shm.Close()
    }

    It 'parallel jobs bump a counter with AddInt64 and no lock, and lose nothing' {
        $shm = New-TestSharedMemory Posix
        $jobs = 1..4 | ForEach-Object {
            Start-ChildPwsh "`$o = Get-SharedMemory -Name '$($shm.Name)'; for (`$i = 0; `$i -lt 20000; `$i++) { `$null = `$o.AddInt64(0, 1) }; `$o.Close(); 'done'"
        }
        foreach ($job in $jobs) {
            $job.WaitForExit(120000) | Should -BeTrue
            $job.ExitCode | Should -Be 0
        }
        $shm.ReadInt64(0) | Should -Be 80000
        $shm.Close()
    }

    It '<Kind>: the object shrunk beneath the word is OffsetOutOfRange, not SIGBUS (child pwsh)' -TestCases $FileKinds {
        $shm = New-TestSharedMemory $Kind -Size 65536
        $find = if ($Kind -eq 'Posix') { "Get-SharedMemory -Name '$($shm.Name)'" } else { "Get-SharedMemory -LiteralPath '$($shm.Path)'" }
        $script = @"
`$o = $find
`$o.AddInt64(32768, 1)
truncate -s 0 '$($shm.Path)'
foreach (`$call in { `$o.AddInt64(32768, 1) }, { `$o.CompareExchangeInt32(32768, 1, 0) }, { `$o.ExchangeInt64(32768, 1) }) {
    try { & `$call; 'no error' } catch { `$_.Exception.InnerException.ErrorId }
}
'alive'
"@
        $result = Invoke-ChildPwsh $script
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output.Trim() -split "`r?`n" | Should -Be '1', 'OffsetOutOfRange', 'OffsetOutOfRange', 'OffsetOutOfRange', 'alive'
    }

    It 'without the guarded routine (SHMPS_DATA_PATH=syscall) atomics are GuardUnavailable, and a value wait still works' {
        $shm = New-TestSharedMemory Posix
        $shm.WriteInt32(0, 3)
        $script = "`$o = Get-SharedMemory -Name '$($shm.Name)'; try { `$o.AddInt32(0, 1) } catch { `$_.Exception.InnerException.ErrorId }; Wait-SharedMemory -Name '$($shm.Name)' -Offset 0 -Value 3 -Timeout 10"
        $result = Invoke-ChildPwsh $script -Launcher 'env', 'SHMPS_DATA_PATH=syscall'
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output.Trim() -split "`r?`n" | Should -Be 'GuardUnavailable', '3'
    }
}

Describe 'Lock() overloads that read well' -Tag Posix, SystemV, File {
    It '<Kind>: Lock(), Lock(timeout), LockShared() and LockShared(timeout)' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $held = $shm.Lock()
        $held.IsShared | Should -BeFalse
        $held.Dispose()
        $held = $shm.Lock([timespan]::FromSeconds(2))
        $held.Dispose()
        $a = $shm.LockShared()
        $a.IsShared | Should -BeTrue
        $a.Dispose()
        $b = $shm.LockShared([timespan]::FromSeconds(2))
        $b.IsShared | Should -BeTrue
        $b.Dispose()
        $shm.Close()
    }
}
