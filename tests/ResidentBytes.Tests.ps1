# ResidentBytes on every kind: System V as /proc/sysvipc/shm's rss, POSIX objects and files as util-linux
# fincore reports them (mincore over a mapping that is never touched): pages written by ShmPS and by other
# processes, pages dropped from the page cache, files larger than one mapping window, empty files, objects
# removed or replaced, the value kept until Refresh, nothing left open, and files shrunk meanwhile.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:FileKinds = 'Posix', 'File' | ForEach-Object { @{ Kind = $_ } }
    $script:EveryKind = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Page = [Environment]::SystemPageSize

    function Get-Fincore([string] $Path) {
        <# Bytes of the file in memory as fincore reports them. #>
        $out = fincore -b -n -o RES -- $Path
        if ($LASTEXITCODE) { throw "fincore failed: $out" }
        [long]"$out".Trim()
    }

    function Write-Pages([string] $Path, [long[]] $Offsets) {
        <# Another process (python3) writes one byte at each offset, through the file, without changing its size. #>
        $list = $Offsets -join ','
        python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); [os.pwrite(fd, b'x', o) for o in ($list,)]; os.close(fd)" $Path
        if ($LASTEXITCODE) { throw 'python3 failed' }
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'ResidentBytes' -Tag Residency {
    It 'agrees with the kernel for a <Kind> object: fincore, or rss in /proc/sysvipc/shm' -TestCases $EveryKind {
        param($Kind)
        $shm = New-TestSharedMemory $Kind -Size (10 * $Page) -Sparse:($Kind -ne 'SystemV')
        $shm | Write-SharedMemory -Value ([byte[]](1..10)) -Offset (2 * $Page)
        $shm | Write-SharedMemory -Value ([byte[]](1..10)) -Offset (7 * $Page + 5)
        $fresh = Get-SharedMemory -InputObject $shm
        $expected = if ($Kind -eq 'SystemV') { (Get-SysvIpcTable shm -Id $shm.Id).rss } else { Get-Fincore $shm.Path }
        $fresh.ResidentBytes | Should -Be $expected
        $fresh.ResidentBytes | Should -BeGreaterOrEqual (2 * $Page)
    }

    It 'counts only the pages written in a sparse <Kind> object, as fincore does' -TestCases $FileKinds {
        param($Kind)
        $shm = New-TestSharedMemory $Kind -Size (10 * $Page) -Sparse
        $shm.ResidentBytes | Should -Be 0
        Write-Pages $shm.Path 0, (4 * $Page + 100), (10 * $Page - 1)
        $shm.Refresh()
        $shm.ResidentBytes | Should -Be (3 * $Page)
        $shm.ResidentBytes | Should -Be (Get-Fincore $shm.Path)
    }

    It 'counts a file''s pages left in the page cache after the others are dropped (posix_fadvise DONTNEED)' {
        $shm = New-TestSharedMemory File -Size (10 * $Page)
        # A page per write: the page cache holds each in a folio of its own, which can be dropped alone.
        foreach ($i in 0..9) { $shm | Write-SharedMemory -Value (New-RandomBytes $Page) -Offset ($i * $Page) }
        # Written back first (fsync), since dirty pages cannot be dropped; then pages 3 to 9 dropped.
        python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 3*$Page, 7*$Page, os.POSIX_FADV_DONTNEED)" $shm.Path
        $LASTEXITCODE | Should -Be 0
        $fincore = Get-Fincore $shm.Path
        $fincore | Should -Be (3 * $Page) -Because 'the kernel keeps the three pages not dropped'
        $shm.Refresh()
        $shm.ResidentBytes | Should -Be $fincore
        Get-Fincore $shm.Path | Should -Be $fincore -Because 'measuring reads no page in'
    }

    It 'looks at a large object a window at a time: pages at both sides of each 64 MiB boundary' {
        $size = 200MB
        $shm = New-TestSharedMemory Posix -Size $size -Sparse
        $window = 16384 * $Page
        Write-Pages $shm.Path 0, ($window - 1), $window, (2 * $window + 1), ($size - 1)
        $shm.Refresh()
        $shm.ResidentBytes | Should -Be (5 * $Page)
        $shm.ResidentBytes | Should -Be (Get-Fincore $shm.Path)
    }

    It 'looks only at the data of a sparse <Kind> object of <Size> bytes, so measuring it ends (pages at both ends)' -TestCases @(
        @{ Kind = 'Posix'; Size = 1PB }, @{ Kind = 'File'; Size = 8TB }
    ) {
        $shm = New-TestSharedMemory $Kind -Size $Size -Sparse
        Write-Pages $shm.Path 0, ($Size - 1)
        # A window at a time over the whole size would take hours; a child with a time limit shows it ends.
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Script "(Get-SharedMemory -LiteralPath '$($shm.Path)').ResidentBytes"
        $child.ExitCode | Should -Be 0 -Because $child.Error
        [long]$child.Output | Should -Be (2 * $Page)
    }

    It 'is 0 for an empty file' {
        $path = New-TestPath
        $null = New-Item -ItemType File $path
        $shm = Get-SharedMemory -LiteralPath $path
        $shm.Size | Should -Be 0
        $shm.ResidentBytes | Should -Be 0
        Get-Fincore $path | Should -Be 0
    }

    It 'is measured once and kept until Refresh' {
        $shm = New-TestSharedMemory Posix -Size (10 * $Page) -Sparse
        Write-Pages $shm.Path 0
        $listed = Get-SharedMemory -Name $shm.Name
        $listed.ResidentBytes | Should -Be $Page
        Write-Pages $shm.Path (5 * $Page), (6 * $Page)
        $listed.ResidentBytes | Should -Be $Page -Because 'the first reading is kept'
        (Get-SharedMemory -InputObject $listed).ResidentBytes | Should -Be (3 * $Page) -Because 'Get-SharedMemory refreshes piped objects'
        Get-Fincore $shm.Path | Should -Be (3 * $Page)
    }

    It 'keeps no descriptor and no mapping once read' {
        $shm = New-TestSharedMemory Posix -Size (4 * $Page)
        $listed = Get-SharedMemory -Name $shm.Name
        $null = $listed.ResidentBytes
        $listed.IsAttached | Should -BeFalse
        Get-Content "/proc/$PID/maps" | Where-Object { $_ -like "*$($shm.Path)*" } | Should -BeNullOrEmpty
        Get-ChildItem "/proc/$PID/fd" | Where-Object { $_.LinkTarget -eq $shm.Path } | Should -BeNullOrEmpty
    }

    It 'is null, without an error, for an object removed or replaced since it was described' {
        $removed = New-TestSharedMemory Posix -Size (4 * $Page)
        $replaced = New-TestSharedMemory File -Size (4 * $Page)
        $gone = Get-SharedMemory -Name $removed.Name
        $old = Get-SharedMemory -LiteralPath $replaced.Path
        Remove-Item -LiteralPath $removed.Path
        # Made before the old file goes, so that it cannot get the old inode number.
        [IO.File]::WriteAllBytes("$($replaced.Path).new", [byte[]]::new(3 * $Page))
        Move-Item -LiteralPath "$($replaced.Path).new" $replaced.Path -Force
        $Error.Clear()
        $gone.ResidentBytes | Should -BeNullOrEmpty
        $old.ResidentBytes | Should -BeNullOrEmpty -Because 'the file described is no longer at the path'
        $Error | Should -BeNullOrEmpty
        (Get-SharedMemory -LiteralPath $replaced.Path).ResidentBytes | Should -Be (Get-Fincore $replaced.Path)
    }

    It 'survives another process shrinking and growing the object while it is measured' {
        $shm = New-TestSharedMemory Posix -Size 64MB -Sparse
        $churn = Start-TestProcess python3 '-c', @"
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
end = time.time() + 10
while time.time() < end:
    os.ftruncate(fd, 0)
    os.ftruncate(fd, 64 * 1024 * 1024)
    os.pwrite(fd, b'x', 32 * 1024 * 1024)
"@, $shm.Path
        $script = @"
`$shm = Get-SharedMemory -Name '$($shm.Name)'
`$end = [DateTime]::UtcNow.AddSeconds(3); `$n = 0
while ([DateTime]::UtcNow -lt `$end) { `$shm.Refresh(); if (`$null -ne `$shm.ResidentBytes) { `$n++ } }
`$n
"@
        $child = Invoke-ChildPwsh -Script $script
        $child.ExitCode | Should -Be 0 -Because "a fault while measuring would kill pwsh: $($child.Error)"
        [int]$child.Output | Should -BeGreaterThan 0
        Stop-TestProcess
    }

    It 'is in the list view of POSIX objects and files' -TestCases $FileKinds {
        param($Kind)
        $shm = New-TestSharedMemory $Kind -Size (2 * $Page)
        $shm | Write-SharedMemory -Value ([byte[]](1..10))
        $text = $shm | Format-List | Out-String
        $resident = (Get-SharedMemory -InputObject $shm).ResidentBytes
        $resident | Should -BeOfType [long] -Because 'the property stays the exact number'
        # The view shows it as lsipc would, with the exact bytes beside it.
        $text | Should -Match "ResidentBytes\s+:\s+$([regex]::Escape([ShmPS.ByteSize]::Describe($resident)))"
    }
}
