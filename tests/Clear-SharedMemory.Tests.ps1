# Clear-SharedMemory on every kind: the range reads as zeros for this process and for another process that
# maps the object the whole time (python3), the memory goes back to the system as the kernel reports it
# (fincore, df /dev/shm, stat's blocks, rss in /proc/sysvipc/shm), the size stays, the edges are zeroed by
# writing, a file system that cannot punch holes (ramfs) gets zeros and a warning, and another user without
# write permission is refused.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Page = [Environment]::SystemPageSize
    $script:Mapper = Join-Path $PSScriptRoot 'fixtures/mapper.py'

    function script:Get-Fincore([string] $Path) {
        $out = fincore -b -n -o RES -- $Path
        if ($LASTEXITCODE) { throw "fincore failed: $out" }
        [long]"$out".Trim()
    }

    function script:Get-ShmUsedKiB {
        <# df /dev/shm: its used 1K blocks. #>
        $line = (df -k --output=used /dev/shm)[-1]
        [long]$line.Trim()
    }

    function script:Get-KernelResident($Shm) {
        <# Bytes in memory by the kernel's own account: rss of /proc/sysvipc/shm, or fincore. #>
        if ($Shm.Kind -eq 'SystemV') { (Get-SysvIpcTable shm -Id $Shm.Id).rss } else { Get-Fincore $Shm.Path }
    }

    function script:New-FilledObject([string] $Kind, [int] $Pages) {
        <# An object of the kind, in /dev/shm for files too (so that every kind is memory), every byte 1..255. #>
        $size = $Pages * $Page
        $shm = if ($Kind -eq 'File') { New-TestSharedMemory File -Size $size -Path "/dev/shm/shmps-test-$env:SHMPS_TEST_RUN-$([Guid]::NewGuid().ToString('N').Substring(0, 8)).bin" }
        else { New-TestSharedMemory $Kind -Size $size }
        $data = [byte[]]::new($size)
        for ($i = 0; $i -lt $size; $i++) { $data[$i] = ($i % 255) + 1 }
        $shm | Write-SharedMemory -Value $data
        $shm
    }

    function script:Start-Mapper($Shm) {
        $target = Get-CTarget $Shm
        Start-TestProcess /usr/bin/python3 -ArgumentList $Mapper, $target[0], $target[1] -Ready
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Clear-SharedMemory' {
    It 'zeroes a <Kind> range for this and another process, and gives its memory back as the kernel counts it' -TestCases $EveryKind {
        param($Kind)
        $shm = New-FilledObject $Kind 64
        $mapper = Start-Mapper $shm
        try {
            $offset = 100
            $count = 40 * $Page
            Send-ProcessCommand $mapper "sum $offset $count" | Should -Not -Be '0'
            $residentBefore = Get-KernelResident $shm
            $residentBefore | Should -Be (64 * $Page)
            $dfBefore = Get-ShmUsedKiB

            $shm | Clear-SharedMemory -Offset $offset -Count $count

            # The kernel's count first: a read through a mapping gives a hole of tmpfs a page again.
            # Pages 1 to 40 hold the range: 1..39 are whole and given back, 0 and 40 are zeroed by writing.
            Get-KernelResident $shm | Should -Be (25 * $Page)
            if ($Kind -ne 'SystemV') { (Get-ShmUsedKiB) | Should -BeLessOrEqual ($dfBefore - 39 * $Page / 1KB) } # segments live on the kernel's own tmpfs
            $shm.Refresh()
            $shm.ResidentBytes | Should -Be (25 * $Page)
            (Get-KernelView $shm).Size | Should -Be (64 * $Page)
            # This process, through a cmdlet and through the object's own mapping.
            $read = $shm | Read-SharedMemory -Offset ($offset - 1) -Count ($count + 2)
            $read[0] | Should -Be ((($offset - 1) % 255) + 1)
            $read[-1] | Should -Be ((($offset + $count) % 255) + 1)
            [Linq.Enumerable]::Sum([int[]]$read[1..$count]) | Should -Be 0
            $shm.ReadByte($offset + $count - 1) | Should -Be 0
            # The other process, which mapped the object before and never let go.
            Send-ProcessCommand $mapper "sum $offset $count" | Should -Be '0'
            Send-ProcessCommand $mapper "sum 0 $offset" | Should -Not -Be '0'
        }
        finally { Stop-TestProcess $mapper }
    }

    It 'clears a whole <Kind> object by default and -PassThru returns it refreshed' -TestCases $EveryKind {
        param($Kind)
        $shm = New-FilledObject $Kind 16
        $got = $shm | Clear-SharedMemory -PassThru
        $got | Should -Be $shm
        $got.ResidentBytes | Should -Be 0
        Get-KernelResident $shm | Should -Be 0
        if ($Kind -ne 'SystemV') { (Get-FileStat $shm.Path).Allocated | Should -Be 0 }
        $got.Size | Should -Be (16 * $Page)
        [Linq.Enumerable]::Sum([int[]]($shm | Read-SharedMemory)) | Should -Be 0
    }

    It 'zeroes a <Kind> range within one page by writing, and leaves its neighbours' -TestCases $EveryKind {
        param($Kind)
        $shm = New-FilledObject $Kind 2
        Clear-SharedMemory -InputObject $shm -Offset 10 -Count 5
        $read = $shm | Read-SharedMemory -Offset 9 -Count 7
        $read | Should -Be 10, 0, 0, 0, 0, 0, 16
        Get-KernelResident $shm | Should -Be (2 * $Page)
    }

    It 'finds a <Kind> object by its identity, and -WhatIf changes nothing' -TestCases $EveryKind {
        param($Kind)
        $shm = New-FilledObject $Kind 4
        $identity = Get-TestIdentity $shm
        Clear-SharedMemory @identity -Offset $Page -WhatIf
        $shm | Read-SharedMemory -Offset $Page -Count 1 | Should -Be ((($Page) % 255) + 1)
        Clear-SharedMemory @identity -Offset $Page
        $shm | Read-SharedMemory -Offset $Page -Count 1 | Should -Be 0
        $shm | Read-SharedMemory -Offset ($Page - 1) -Count 1 | Should -Be ((($Page - 1) % 255) + 1)
    }

    It 'refuses a <Kind> range past the end with OffsetOutOfRange and clears nothing' -TestCases $EveryKind {
        param($Kind)
        $shm = New-FilledObject $Kind 2
        $shm | Clear-SharedMemory -Offset $Page -Count (2 * $Page) -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'OffsetOutOfRange,*'
        $shm | Read-SharedMemory -Offset $Page -Count 1 | Should -Be ((($Page) % 255) + 1)
        Get-ThrownId { $shm.Clear(-1, 1) } | Should -Be 'OffsetOutOfRange'
    }

    It 'refuses another user without write permission on a <Kind> object (uid 65534)' -TestCases $EveryKind {
        param($Kind)
        $shm = New-FilledObject $Kind 2
        Set-SharedMemoryPermission -InputObject $shm -Mode 0644
        $identity = (Get-TestIdentity $shm).GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }
        $child = Invoke-ChildPwsh -Uid 65534 @"
try { Clear-SharedMemory $identity -ErrorAction Stop; 'cleared' } catch { `$_.FullyQualifiedErrorId.Split(',')[0] }
"@
        $child.Output.Trim() | Should -Be 'PermissionDenied' -Because $child.Error
        $shm | Read-SharedMemory -Offset 0 -Count 1 | Should -Be 1
    }

    It 'writes zeros and warns that nothing was freed where the file system cannot punch holes (ramfs)' {
        $dir = New-TestDirectory
        mount -t ramfs ramfs $dir 2>&1 | Out-Null
        if ($LASTEXITCODE) { Set-ItResult -Skipped -Because 'ramfs cannot be mounted here'; return }
        try {
            $shm = New-SharedMemory -Path (Join-Path $dir 'x.bin') -Size (4 * $Page) -Sparse # ramfs reports no free space
            $ones = [byte[]]::new(4 * $Page)
            [Array]::Fill($ones, [byte]1)
            $shm | Write-SharedMemory -Value $ones
            $shm | Clear-SharedMemory -WarningVariable warned -WarningAction SilentlyContinue
            "$warned" | Should -BeLike '*cannot give memory back*'
            [Linq.Enumerable]::Sum([int[]]($shm | Read-SharedMemory)) | Should -Be 0
            $shm.Clear(0, $Page) | Should -BeFalse
            $shm.Close()
        }
        finally { umount $dir }
    }

    It 'survives another process shrinking a <Kind> object under a clear (child pwsh)' -TestCases @(@{ Kind = 'Posix' }, @{ Kind = 'File' }) {
        param($Kind)
        $shm = New-FilledObject $Kind 256
        $identity = (Get-TestIdentity $shm).GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }
        $child = Invoke-ChildPwsh @"
`$o = Get-SharedMemory $identity
`$job = Start-ThreadJob { for (`$i = 0; `$i -lt 200; `$i++) { & truncate -s 4096 '$($shm.Path)'; & truncate -s $(256 * $Page) '$($shm.Path)' } }
`$outcomes = for (`$i = 0; `$i -lt 200; `$i++) { try { `$null = `$o.Clear(100, $(200 * $Page)); 'cleared' } catch { `$_.Exception.ErrorId } }
`$job | Wait-Job | Out-Null
`$outcomes | Sort-Object -Unique
'alive'
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $lines = $child.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }
        $lines[-1] | Should -Be 'alive'
        $lines | Select-Object -SkipLast 1 | Should -BeIn 'cleared', 'OffsetOutOfRange'
    }
}
