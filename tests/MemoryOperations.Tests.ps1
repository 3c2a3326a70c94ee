# The operations of TLPI chapter 50 on every kind, through the one mapping seam, checked against the
# kernel's own figures: Prefetch (fincore, rss of /proc/sysvipc/shm), Advise (VmFlags rr/sr in
# /proc/PID/smaps), Protect (the mapping's permissions in smaps, ProtectedRange never a signal, cmdlets
# unaffected), Pin/Unpin (VmLck in /proc/PID/status, "locked" in ipcs, MemoryLockLimitExceeded as uid
# 65534 under a low RLIMIT_MEMLOCK), and windows of at most 1 GiB: the methods at both ends of a 1 PB object.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
    $script:FileKinds = 'Posix', 'File' | ForEach-Object { @{ Kind = $_ } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Page = [Environment]::SystemPageSize

    function script:Get-Fincore([string] $Path) {
        $out = fincore -b -n -o RES -- $Path
        if ($LASTEXITCODE) { throw "fincore failed: $out" }
        [long]"$out".Trim()
    }

    function script:Get-KernelResident($Shm) {
        if ($Shm.Kind -eq 'SystemV') { (Get-SysvIpcTable shm -Id $Shm.Id).rss } else { Get-Fincore $Shm.Path }
    }

    function script:New-MemoryObject([string] $Kind, [long] $Size, [switch] $Sparse) {
        <# An object of the kind; files in /dev/shm, so that a sparse petabyte fits (tmpfs) and every kind is memory. #>
        if ($Kind -eq 'File') {
            New-TestSharedMemory File -Size $Size -Sparse:$Sparse -Path "/dev/shm/shmps-test-$env:SHMPS_TEST_RUN-$([Guid]::NewGuid().ToString('N').Substring(0, 8)).bin"
        }
        else { New-TestSharedMemory $Kind -Size $Size -Sparse:($Sparse -and $Kind -ne 'SystemV') }
    }

    function script:Get-Mapping($Shm) {
        <#
        This process's mappings of the object from /proc/self/smaps: Start, End, Perms and VmFlags. A System V
        segment shows as /SYSV<key> (deleted), a file as its path.
        #>
        $pattern = if ($Shm.Kind -eq 'SystemV') { '/SYSV{0:x8}' -f $Shm.Key } else { $Shm.Path }
        $current = $null
        foreach ($line in [IO.File]::ReadAllLines('/proc/self/smaps')) {
            if ($line -match '^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$') {
                if ($current) { $current }
                $current = if ($Matches[4] -like "$pattern*") {
                    [pscustomobject]@{ Start = [Convert]::ToInt64($Matches[1], 16); End = [Convert]::ToInt64($Matches[2], 16); Perms = $Matches[3]; VmFlags = '' }
                }
            }
            elseif ($current -and $line -like 'VmFlags:*') { $current.VmFlags = $line.Substring(8).Trim() }
        }
        if ($current) { $current }
    }

    function script:Get-VmLckKiB {
        [long](([IO.File]::ReadAllLines('/proc/self/status') | Where-Object { $_ -like 'VmLck:*' }) -replace '\D', '')
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Windows of the mapping seam' {
    It 'work at both ends of a sparse <Kind> object of 1 PB, with no mapping over 1 GiB' -TestCases $FileKinds {
        param($Kind)
        $shm = New-MemoryObject $Kind 1PB -Sparse
        $last = 1PB - 8
        $shm.WriteInt64(0, 42)
        $shm.WriteInt64($last, 43)
        $shm.ReadInt64(0) | Should -Be 42
        $shm.ReadInt64($last) | Should -Be 43
        $shm.AddInt64($last, 1) | Should -Be 44
        # Another process sees what the methods wrote at the far end.
        $far = python3 -c "import os; fd = os.open('$($shm.Path)', os.O_RDONLY); print(int.from_bytes(os.pread(fd, 8, $last), 'little'))"
        $far | Should -Be 44
        $shm.CompareExchangeInt32(0, 7, 42) | Should -Be 42
        $shm.Write(1PB - 3, [byte[]](1, 2, 3))
        $shm.Read(1PB - 3, 3) | Should -Be 1, 2, 3
        { $shm.ReadInt64(1PB - 4) } | Should -Throw -ErrorId 'OffsetOutOfRange'
        $shm.Prefetch(1PB - 4 * $Page, 4 * $Page)
        $shm.Advise('Random', 1PB - 4 * $Page, 4 * $Page)
        $shm.Protect('ReadOnly', 1PB - $Page, $Page)
        { $shm.WriteByte(1PB - 1, 1) } | Should -Throw -ErrorId 'ProtectedRange'
        $shm.ReadByte(1PB - 1) | Should -Be 3
        # A copy that crosses a window boundary lands in two windows.
        $shm.Write(1GB - 2, [byte[]](5, 6, 7, 8))
        $shm.Read(1GB - 2, 4) | Should -Be 5, 6, 7, 8
        $mappings = @(Get-Mapping $shm)
        $mappings.Count | Should -BeGreaterThan 0
        foreach ($m in $mappings) { ($m.End - $m.Start) | Should -BeLessOrEqual (1GB + $Page) }
        $shm.Close()
    }
}

Describe 'Prefetch' {
    It 'makes a whole <Kind> object resident, as the kernel counts it' -TestCases $EveryKind {
        param($Kind)
        $shm = New-MemoryObject $Kind (64 * $Page) -Sparse
        Get-KernelResident $shm | Should -Be 0
        $shm.Prefetch(0, 64 * $Page)
        Get-KernelResident $shm | Should -Be (64 * $Page)
        $shm.ResidentBytes | Should -Be (64 * $Page)
        # The data stays what it was: zeros, and nothing is written.
        [Linq.Enumerable]::Sum([int[]]$shm.Read(0, 64 * $Page)) | Should -Be 0
    }

    It 'makes part of a <Kind> object resident, whole pages from the one holding the offset' -TestCases $EveryKind {
        param($Kind)
        $shm = New-MemoryObject $Kind (64 * $Page) -Sparse
        $shm.Prefetch(8 * $Page + 100, 8 * $Page)
        Get-KernelResident $shm | Should -Be (9 * $Page)
        { $shm.Prefetch(60 * $Page, 8 * $Page) } | Should -Throw -ErrorId 'OffsetOutOfRange'
    }
}

Describe 'Advise' {
    It 'marks this session''s <Kind> mapping Random (rr) or Sequential (sr) in smaps' -TestCases $EveryKind {
        param($Kind)
        $shm = New-MemoryObject $Kind (16 * $Page)
        $shm.Advise('Random', 0, 16 * $Page)
        (Get-Mapping $shm).VmFlags -split ' ' | Should -Contain 'rr'
        $shm.Advise('Sequential', 0, 16 * $Page)
        $flags = (Get-Mapping $shm).VmFlags -split ' '
        $flags | Should -Contain 'sr'
        $flags | Should -Not -Contain 'rr'
        $shm.Advise('Normal', 0, 16 * $Page)
        (Get-Mapping $shm).VmFlags -split ' ' | Should -Not -Contain 'sr'
        $shm.Advise('WillNeed', 0, 16 * $Page)
        $shm.Advise('DontNeed', 0, 16 * $Page)
    }

    It 'keeps a <Kind> advice across a Detach() and the mapping made again' -TestCases $EveryKind {
        param($Kind)
        $shm = New-MemoryObject $Kind (16 * $Page)
        $shm.Advise('Random', 0, 16 * $Page)
        $shm.Detach()
        @(Get-Mapping $shm).Count | Should -Be 0
        $null = $shm.ReadByte(0)
        (Get-Mapping $shm).VmFlags -split ' ' | Should -Contain 'rr'
    }

    It 'refuses an unknown advice as an argument error and changes nothing' {
        $shm = New-MemoryObject Posix (4 * $Page)
        $shm.Attach()
        Get-ThrownId { $shm.Advise('Bogus', 0, $Page) } | Should -Be 'PSInvalidCastException'
        # A value PowerShell would not convert, as C# could pass it.
        Get-ThrownId { $shm.Advise([Enum]::ToObject([ShmPS.MemoryAdvice], 99), 0, $Page) } | Should -Be 'ArgumentOutOfRangeException'
        Get-ThrownId { $shm.Protect([Enum]::ToObject([ShmPS.MemoryProtection], 99), 0, $Page) } | Should -Be 'ArgumentOutOfRangeException'
        (Get-Mapping $shm).VmFlags -split ' ' | Should -Not -Contain 'rr'
    }
}

Describe 'Protect' {
    It 'makes a <Kind> range ReadOnly: method writes are ProtectedRange, reads and cmdlets work' -TestCases $EveryKind {
        param($Kind)
        $shm = New-MemoryObject $Kind (4 * $Page)
        $shm.WriteInt32(0, 11)
        $shm.Protect('ReadOnly', 0, $Page)
        { $shm.WriteInt32(0, 12) } | Should -Throw -ErrorId 'ProtectedRange'
        { $shm.AddInt32(0, 1) } | Should -Throw -ErrorId 'ProtectedRange'
        { $shm.Write($Page - 2, [byte[]](1, 2, 3, 4)) } | Should -Throw -ErrorId 'ProtectedRange'
        $shm.ReadInt32(0) | Should -Be 11
        $shm.WriteInt32($Page, 5)          # the next page is not protected
        (Get-Mapping $shm | Where-Object Perms -like 'r--*') | Should -Not -BeNullOrEmpty
        # Cmdlets do not use the session's mapping.
        $shm | Write-SharedMemory -Value 13 -As Int32
        $shm.ReadInt32(0) | Should -Be 13
        $shm.Protect('ReadWrite', 0, $Page)
        $shm.WriteInt32(0, 14)
        $shm | Read-SharedMemory -Count 1 -As Int32 | Should -Be 14
    }

    It 'makes a <Kind> range None: every method access is ProtectedRange, never a signal (child pwsh)' -TestCases $EveryKind {
        param($Kind)
        $shm = New-MemoryObject $Kind (4 * $Page)
        $shm.WriteInt32(8, 21)
        $identity = (Get-TestIdentity $shm).GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }
        $child = Invoke-ChildPwsh @"
`$o = Get-SharedMemory $identity
`$o.Protect('None', 0, 2 * $Page)
foreach (`$call in { `$o.ReadInt32(8) }, { `$o.WriteInt32(8, 1) }, { `$o.AddInt32(8, 1) }, { `$o.Read(0, 10) }, { `$o.Wake(8) }, { `$o.Prefetch(0, 10) }) {
    try { `$null = & `$call; 'done' } catch { `$_.Exception.ErrorId }
}
`$o | Read-SharedMemory -Offset 8 -Count 1 -As Int32
`$o.Protect('ReadWrite', 0, 2 * $Page)
`$o.ReadInt32(8)
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        ($child.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }) |
            Should -Be (@('ProtectedRange') * 6 + '21', '21')
    }

    It 'has the guard take a SEGV_ACCERR in a <Kind> copy as an error or a retry, never a death (child pwsh)' -TestCases $EveryKind {
        param($Kind)
        # The mapping is made PROT_NONE behind the object's back (as another thread's mprotect would), so
        # the copy itself faults with SIGSEGV (SEGV_ACCERR) and the guard must catch it.
        $shm = New-MemoryObject $Kind (4 * $Page)
        $shm.WriteInt32(8, 31)
        $identity = (Get-TestIdentity $shm).GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }
        $pattern = if ($Kind -eq 'SystemV') { '/SYSV{0:x8}' -f $shm.Key } else { $shm.Path }
        $child = Invoke-ChildPwsh @"
`$o = Get-SharedMemory $identity
`$o.Attach()
`$line = Get-Content /proc/self/maps | Where-Object { `$_ -like '*$pattern*' } | Select-Object -First 1
`$start = [Convert]::ToInt64((`$line -split '-')[0], 16)
`$libc = [ShmPS.SharedMemory].Assembly.GetType('ShmPS.Native.Libc')
`$libc.GetMethod('Protect', [Reflection.BindingFlags]'NonPublic,Public,Static').Invoke(`$null, @([IntPtr]`$start, [UIntPtr][uint64]$Page, 0))
try { `$o.ReadInt32(8) } catch { `$_.Exception.ErrorId }
'alive'
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $lines = $child.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }
        $lines[-1] | Should -Be 'alive'
        # A file is read again with pread after the fault; a segment has no other way: MemoryFault.
        $lines[0] | Should -Be ($Kind -eq 'SystemV' ? 'MemoryFault' : '31')
    }
}

Describe 'Pin' {
    It 'locks this session''s mapping of a <Kind> object (VmLck) until Unpin()' -TestCases $FileKinds {
        param($Kind)
        $shm = New-MemoryObject $Kind 1MB
        $before = Get-VmLckKiB
        $shm.IsPinned | Should -BeFalse
        $shm.Pin()
        $shm.IsPinned | Should -BeTrue
        (Get-VmLckKiB) - $before | Should -Be 1024
        Get-KernelResident $shm | Should -Be 1MB
        $shm.Unpin()
        $shm.IsPinned | Should -BeFalse
        Get-VmLckKiB | Should -Be $before
    }

    It 'ends the lock of a <Kind> mapping with Close()' -TestCases $FileKinds {
        param($Kind)
        $shm = New-MemoryObject $Kind 1MB
        $before = Get-VmLckKiB
        $shm.Pin()
        (Get-VmLckKiB) - $before | Should -Be 1024
        $shm.Close()
        Get-VmLckKiB | Should -Be $before
        $shm.IsPinned | Should -BeFalse
    }

    It 'locks a System V segment itself (SHM_LOCK) until Unpin(), whoever pinned it, as ipcs shows' {
        $shm = New-MemoryObject SystemV 1MB
        $shm.Pin()
        $shm.IsPinned | Should -BeTrue
        $shm.IsLocked | Should -BeTrue -Because 'IsLocked is kept as the former name of IsPinned'
        (Get-IpcsRow $shm.Id).Status | Should -Match 'locked'
        # ipcs -m -i shows the lock as the SHM_LOCKED bit (02000) of mode.
        ((ipcs -m -i $shm.Id) -join "`n") -match 'mode=(\d+)' | Should -BeTrue
        [Convert]::ToInt32($Matches[1], 8) -band 0x400 | Should -Be 0x400
        [Convert]::ToInt32("$((Get-SysvIpcTable shm -Id $shm.Id).perms)", 8) -band 0x400 | Should -Be 0x400
        $shm.Close()
        (Get-IpcsRow $shm.Id).Status | Should -Match 'locked' -Because 'the lock belongs to the segment'
        $other = Get-SharedMemory -Id $shm.Id
        $other.IsPinned | Should -BeTrue
        $other.Unpin()
        $other.IsPinned | Should -BeFalse
        (Get-IpcsRow $shm.Id).Status | Should -Not -Match 'locked'
    }

    It 'is MemoryLockLimitExceeded, naming ulimit -l, for uid 65534 under a low RLIMIT_MEMLOCK (<Kind>)' -TestCases $EveryKind {
        param($Kind)
        $make = switch ($Kind) {
            'Posix' { "New-SharedMemory -Name '/shmps-test-$env:SHMPS_TEST_RUN-memlock' -Size 1MB" }
            'SystemV' { "New-SharedMemory -Kind SystemV -Size 1MB" }
            'File' { "New-SharedMemory -Path '/dev/shm/shmps-test-$env:SHMPS_TEST_RUN-memlock.bin' -Size 1MB" }
        }
        $child = Invoke-ChildPwsh -Uid 65534 -Launcher 'prlimit', '--memlock=65536:65536' @"
`$o = $make
try {
    try { `$o.Pin(); 'pinned' } catch { `$_.Exception.ErrorId; `$_.Exception.Message }
    `$o.IsPinned
}
finally { `$o.Close(); `$o | Remove-SharedMemory -Confirm:`$false }
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $lines = $child.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }
        $lines[0] | Should -Be 'MemoryLockLimitExceeded'
        $lines[1] | Should -BeLike '*ulimit -l*'
        $lines[2] | Should -Be 'False'
    }
}
