# Get-SharedMemory -UsedByProcessId: every shared region one process maps or holds, of all four kinds,
# exactly one object per device and inode among the shared lines of its maps, plus what it holds open.
# The process is /usr/bin/python3 (Debian's, which has sysv_ipc; tests/fixtures/anon_holder.py) mapping a POSIX object, a System V segment (sysv_ipc),
# a file read-write and a file read-only, beside its memfd and its shared anonymous mapping.

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Holder = Join-Path $PSScriptRoot 'fixtures/anon_holder.py'

    # The shared lines of a process's maps, as device:inode in decimal (the device as FileId writes it).
    function Get-SharedMapsKey([int] $ProcessId) {
        Get-Content "/proc/$ProcessId/maps" | ForEach-Object {
            $f = -split $_
            if ($f[1][3] -eq 's') {
                $major, $minor = $f[3] -split ':'
                "$([Convert]::ToUInt32($major, 16)):$([Convert]::ToUInt32($minor, 16)):$($f[4])"
            }
        } | Select-Object -Unique
    }

    # The key ShmPS's object stands for: FileId, or for a System V segment the shm device and its id (the maps inode).
    function Get-ObjectKey($Shm, [string] $SegmentDevice) {
        if ($Shm.Kind -eq 'SystemV') { "${SegmentDevice}:$($Shm.Id)" } else { $Shm.FileId }
    }
}

AfterAll {
    Stop-TestProcess
    Remove-TestSharedMemory
}

Describe 'Get-SharedMemory -UsedByProcessId' {
    BeforeAll {
        $script:Posix = New-TestSharedMemory Posix -Size 8KB
        $script:Segment = New-TestSharedMemory SystemV -Size 8KB
        $script:ReadWrite = New-TestSharedMemory File -Size 8KB
        $script:ReadOnly = New-TestSharedMemory File -Size 8KB
        $label = 'shmps-test-' + [Guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:P = Start-TestProcess /usr/bin/python3 @('-u', $Holder, $label, 8192, 'map', $Posix.Path, 'map', $ReadWrite.Path,
            'map', $ReadOnly.Path, 'ro', 'sysv', $Segment.Id) -Ready
        $null, $null, $memfd, $anon = -split $P.ReadyLine
        $script:MemfdInode = [uint64]$memfd
        $script:AnonInode = [uint64]$anon
        $script:Used = @(Get-SharedMemory -UsedByProcessId $P.Id)
        $line = Get-Content "/proc/$($P.Id)/maps" | Where-Object { $_ -match '/SYSV' } | Select-Object -First 1
        $major, $minor = (-split $line)[3] -split ':'
        $script:SegmentDevice = "$([Convert]::ToUInt32($major, 16)):$([Convert]::ToUInt32($minor, 16))"
    }

    It 'gives exactly one object per device and inode of the shared lines of its maps' {
        $expected = @(Get-SharedMapsKey $P.Id)
        $expected.Count | Should -BeGreaterOrEqual 6
        $keys = @($Used | ForEach-Object { Get-ObjectKey $_ $SegmentDevice })
        $keys.Count | Should -Be $expected.Count
        $keys | Sort-Object | Should -Be ($expected | Sort-Object)
    }

    It 'gives each region as its kind: <What>' -TestCases @(
        @{ What = 'the POSIX object'; Kind = 'Posix'; Match = { $_.Name -eq $Posix.Name } }
        @{ What = 'the System V segment'; Kind = 'SystemV'; Match = { $_.Id -eq $Segment.Id } }
        @{ What = 'the file mapped read-write'; Kind = 'File'; Match = { $_.FileId -eq $ReadWrite.FileId } }
        @{ What = 'the file mapped shared read-only'; Kind = 'File'; Match = { $_.FileId -eq $ReadOnly.FileId } }
        @{ What = 'the memfd'; Kind = 'Anonymous'; Match = { $_.Id -eq $MemfdInode } }
        @{ What = 'the shared anonymous mapping'; Kind = 'Anonymous'; Match = { $_.Id -eq $AnonInode } }
    ) {
        param($What, $Kind, $Match)
        $found = @($Used | Where-Object $Match)
        $found.Count | Should -Be 1
        $found[0].Kind | Should -Be $Kind
    }

    It 'is the inverse of Processes: the process uses every object it gives' {
        foreach ($shm in $Used) {
            $shm.Processes.ProcessId | Should -Contain $P.Id -Because "$($shm.Kind) $($shm.Name)"
        }
    }

    It 'takes -Kind to keep some kinds' {
        $anonymous = @(Get-SharedMemory -UsedByProcessId $P.Id -Kind Anonymous)
        $anonymous.Kind | Select-Object -Unique | Should -Be 'Anonymous'
        $anonymous.Id | Should -Contain $MemfdInode
        $anonymous.Id | Should -Contain $AnonInode
    }

    It 'gives a memfd only held open, not mapped: this session''s own' {
        $held = New-SharedMemory -Anonymous -Size 4KB
        try {
            (Get-SharedMemory -UsedByProcessId $PID -Kind Anonymous).Id | Should -Contain $held.Id
        } finally { Remove-SharedMemory -InputObject $held }
    }

    It 'says ProcessNotFound for a process that does not exist' {
        { Get-SharedMemory -UsedByProcessId 2147483000 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProcessNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }
}
