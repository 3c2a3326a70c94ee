# The fourth kind, Anonymous: regions without a name (memfds and shared anonymous mappings), found through
# /proc, read and written through /proc/PID/fd or /proc/PID/map_files, and made with New-SharedMemory
# -Anonymous. The other process is python3 (os.memfd_create, mmap(-1, n, MAP_SHARED)): tests/fixtures/anon_holder.py.

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Holder = Join-Path $PSScriptRoot 'fixtures/anon_holder.py'

    function Start-Holder {
        param([string] $Label = ('shmps-test-' + [Guid]::NewGuid().ToString('N').Substring(0, 8)), [long] $Size = 8192, [string[]] $Extra = @())
        $p = Start-TestProcess python3 (@('-u', $Holder, $Label, $Size) + $Extra) -Ready
        $null, $holderPid, $memfd, $anon = -split $p.ReadyLine
        $p | Add-Member -NotePropertyMembers @{ Label = $Label; MemfdInode = [uint64]$memfd; AnonInode = [uint64]$anon } -PassThru
    }

    function ConvertFrom-Hex([string] $Hex) { [Convert]::FromHexString($Hex) }
}

AfterAll {
    Stop-TestProcess
    Get-SharedMemory -Kind Anonymous -ErrorAction SilentlyContinue -WarningAction SilentlyContinue |
        Where-Object IsHeldBySession | Remove-SharedMemory -ErrorAction SilentlyContinue
}

Describe 'Get-SharedMemory -Kind Anonymous' {
    BeforeAll {
        $script:P = Start-Holder
        $script:Listed = @(Get-SharedMemory -Kind Anonymous -WarningAction SilentlyContinue)
    }

    It 'lists the memfd once, by its label, though the process both holds and maps it' {
        $memfd = @($Listed | Where-Object Id -EQ $P.MemfdInode)
        $memfd.Count | Should -Be 1
        $memfd[0].Kind | Should -Be 'Anonymous'
        $memfd[0].Name | Should -Be "/memfd:$($P.Label)"
        $memfd[0].Label | Should -Be $P.Label
        $memfd[0].IsMemfd | Should -BeTrue
    }

    It 'lists the shared anonymous mapping as /dev/zero, its size and owner from the inode' {
        $anon = @($Listed | Where-Object Id -EQ $P.AnonInode)
        $anon.Count | Should -Be 1
        $anon[0].Name | Should -Be '/dev/zero'
        $anon[0].IsMemfd | Should -BeFalse
        $anon[0].Size | Should -Be 8192
        $anon[0].Owner | Should -Be 'root'
        # The kernel gives every shared anonymous mapping's file mode 0777.
        $anon[0].Mode | Should -Be '0777'
        $kernel = -split (stat -L -c '%s %u %a %i' $anon[0].Path)
        $kernel | Should -Be @("$($anon[0].Size)", "$($anon[0].OwnerId)", '777', "$($P.AnonInode)")
    }

    It 'lists one object per device and inode' {
        $keys = $Listed | ForEach-Object FileId
        @($keys | Select-Object -Unique).Count | Should -Be $keys.Count
    }

    It 'says which processes map or hold each region' {
        $memfd = $Listed | Where-Object Id -EQ $P.MemfdInode
        $user = $memfd.Processes | Where-Object ProcessId -EQ $P.Id
        $user.Mapped | Should -BeTrue
        # python's mmap keeps a duplicate of the descriptor it maps: every link to the memfd counts.
        $links = @(Get-ChildItem "/proc/$($P.Id)/fd" | Where-Object Target -EQ "/memfd:$($P.Label) (deleted)").Count
        $links | Should -BeGreaterThan 0
        $user.OpenDescriptors | Should -Be $links
        ($Listed | Where-Object Id -EQ $P.AnonInode).Processes.ProcessId | Should -Be $P.Id
    }

    It 'finds a region again by -Kind Anonymous -Id, and by its name' {
        (Get-SharedMemory -Kind Anonymous -Id $P.MemfdInode -WarningAction SilentlyContinue).Name | Should -Be "/memfd:$($P.Label)"
        (Get-SharedMemory -Kind Anonymous -Name "/memfd:$($P.Label)" -WarningAction SilentlyContinue).Id | Should -Be $P.MemfdInode
        (Get-SharedMemory -Kind Anonymous -Name '/memfd:shmps-test-*' -WarningAction SilentlyContinue).Id | Should -Contain $P.MemfdInode
        { Get-SharedMemory -Kind Anonymous -Id 2147483000 -ErrorAction Stop -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'is not in a listing without -Kind, and -Orphaned never lists a region: it exists only while held' {
        @(Get-SharedMemory -WarningAction SilentlyContinue | Where-Object Kind -EQ 'Anonymous').Count | Should -Be 0
        @(Get-SharedMemory -Kind Anonymous -Orphaned -WarningAction SilentlyContinue).Count | Should -Be 0
    }

    It 'takes a JSON or CSV row of itself back' {
        $memfd = $Listed | Where-Object Id -EQ $P.MemfdInode
        $row = $memfd | ConvertTo-Json -Depth 1 | ConvertFrom-Json
        $row.Kind | Should -Be 'Anonymous'
        $row.Id | Should -Be $P.MemfdInode
        ($row | Get-SharedMemory -WarningAction SilentlyContinue).Id | Should -Be $P.MemfdInode
        $csv = $memfd | ConvertTo-Csv | ConvertFrom-Csv
        ($csv | Get-SharedMemory -WarningAction SilentlyContinue).Id | Should -Be $P.MemfdInode
    }

    It 'completes -Name with -Kind Anonymous' {
        $line = "Get-SharedMemory -Kind Anonymous -Name /memfd:$($P.Label.Substring(0, 14))"
        $names = (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain "/memfd:$($P.Label)"
    }

    It 'lists the regions a container''s processes hold with -ProcessId' {
        $seen = Get-SharedMemory -ProcessId $P.Id -Kind Anonymous -WarningAction SilentlyContinue
        $seen.Id | Should -Contain $P.AnonInode
    }
}

Describe 'Reading and writing a region another process holds' {
    BeforeAll { $script:P = Start-Holder }

    It 'reads what python wrote, through map_files and through the memfd''s descriptor' -TestCases @(
        @{ Region = 'memfd'; Expected = 'memfd-data' }, @{ Region = 'anon'; Expected = 'anon-data' }) {
        param($Region, $Expected)
        $id = if ($Region -eq 'memfd') { $P.MemfdInode } else { $P.AnonInode }
        $shm = Get-SharedMemory -Kind Anonymous -Id $id -WarningAction SilentlyContinue
        Read-SharedMemory -InputObject $shm -Count $Expected.Length -Encoding ascii | Should -Be $Expected
    }

    It 'writes what python then reads (<Region>)' -TestCases @(@{ Region = 'memfd' }, @{ Region = 'anon' }) {
        param($Region)
        $id = if ($Region -eq 'memfd') { $P.MemfdInode } else { $P.AnonInode }
        $shm = Get-SharedMemory -Kind Anonymous -Id $id -WarningAction SilentlyContinue
        Write-SharedMemory -InputObject $shm -Offset 100 -Value ([byte[]](1, 2, 3, 250))
        Send-ProcessCommand $P "read $Region 100 4" | Should -Be '010203fa'
    }

    It 'keeps to the bounds of the region' {
        $shm = Get-SharedMemory -Kind Anonymous -Id $P.AnonInode -WarningAction SilentlyContinue
        { Read-SharedMemory -InputObject $shm -Offset 8190 -Count 4 -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.ReadSharedMemoryCommand'
    }

    It 'refuses to remove a region this session does not hold, with a clear id, and leaves it' {
        $shm = Get-SharedMemory -Kind Anonymous -Id $P.MemfdInode -WarningAction SilentlyContinue
        { Remove-SharedMemory -InputObject $shm -ErrorAction Stop } |
            Should -Throw -ErrorId 'AnonymousNotRemovable,ShmPS.Commands.RemoveSharedMemoryCommand'
        (Get-SharedMemory -Kind Anonymous -Id $P.MemfdInode -WarningAction SilentlyContinue).Id | Should -Be $P.MemfdInode
    }

    It 'says SharedMemoryNotFound once the holder has exited, and nothing crashes when it exits mid-copy' {
        $big = Start-Holder -Size 64MB
        $script = @"
`$shm = Get-SharedMemory -Kind Anonymous -Id $($big.MemfdInode) -WarningAction SilentlyContinue
`$buffer = [byte[]]::new(64MB)
'started'
`$ids = [Collections.Generic.List[string]]::new()
for (`$i = 0; `$i -lt 2000; `$i++) {
    try { Read-SharedMemory -Kind Anonymous -Id $($big.MemfdInode) -Count 64MB -ErrorAction Stop -WarningAction SilentlyContinue | Out-Null; `$ids.Add('ok') }
    catch { `$ids.Add(`$_.FullyQualifiedErrorId.Split(',')[0]); if (`$ids[-1] -eq 'SharedMemoryNotFound') { break } }
}
try { `$shm.Read(0, 16) | Out-Null; 'method:ok' } catch { 'method:' + `$_.Exception.InnerException.ErrorId }
(`$ids | Select-Object -Unique) -join ','
"@
        $child = Start-ChildPwsh $script
        Wait-ProcessLine $child 'started' 60
        Start-Sleep -Milliseconds 300
        Stop-TestProcess $big
        $child.WaitForExit(120000) | Should -BeTrue
        $child.ExitCode | Should -Be 0
        $out = $child.StandardOutput.ReadToEnd() -split "`n" | Where-Object { $_ }
        $out[-1] | Should -Match 'SharedMemoryNotFound$'
        $out[-1] -split ',' | Should -BeIn @('ok', 'SharedMemoryNotFound')
        $out[-2] | Should -Be 'method:SharedMemoryNotFound'
    }
}

Describe 'New-SharedMemory -Anonymous' {
    It 'makes a memfd held by this session, reached by another process at its Path' {
        $shm = New-SharedMemory -Anonymous -Size 64KB -Name shmps-made
        $shm.Kind | Should -Be 'Anonymous'
        $shm.Name | Should -Be '/memfd:shmps-made'
        $shm.Size | Should -Be 64KB
        $shm.Mode | Should -Be '0600'
        $shm.Path | Should -Match "^/proc/$PID/fd/\d+$"
        $shm.IsHeldBySession | Should -BeTrue
        (Get-Item -LiteralPath $shm.Path -Force).Target | Should -Be '/memfd:shmps-made (deleted)'
        Write-SharedMemory -InputObject $shm -Value 'shared by fd' -Encoding ascii
        $p = Start-Holder
        Send-ProcessCommand $p "readpath $($shm.Path) 0 12" | Should -Be ([Convert]::ToHexString([Text.Encoding]::ASCII.GetBytes('shared by fd')).ToLower())
        # Nothing else is held behind the user's back: the descriptor the session holds, no mapping.
        $shm.IsAttached | Should -BeFalse
        Remove-SharedMemory -InputObject $shm
        Test-Path -LiteralPath $shm.Path | Should -BeFalse
        { Get-SharedMemory -Kind Anonymous -Id $shm.Id -ErrorAction Stop -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'lives on while another process holds it after Remove, and goes when it lets go' {
        $shm = New-SharedMemory -Anonymous -Size 8KB
        $p = Start-Holder
        Send-ProcessCommand $p "open $($shm.Path)" | Should -Be 'ok'
        Remove-SharedMemory -InputObject $shm -WarningAction SilentlyContinue
        $still = Get-SharedMemory -Kind Anonymous -Id $shm.Id -WarningAction SilentlyContinue
        $still.Processes.ProcessId | Should -Be $p.Id
        $still.IsHeldBySession | Should -BeFalse
        Send-ProcessCommand $p 'close' | Should -Be 'ok'
        { Get-SharedMemory -Kind Anonymous -Id $shm.Id -ErrorAction Stop -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'seals it: Seals shows them, resizing is Sealed for ShmPS and EPERM for another process' {
        $shm = New-SharedMemory -Anonymous -Size 8KB -Seal Shrink, Grow
        try {
            "$($shm.Seals)" | Should -Be 'Shrink, Grow'
            { Resize-SharedMemory -InputObject $shm -Size 4KB -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'Sealed,ShmPS.Commands.ResizeSharedMemoryCommand'
            { Resize-SharedMemory -InputObject $shm -Size 16KB -ErrorAction Stop } |
                Should -Throw -ErrorId 'Sealed,ShmPS.Commands.ResizeSharedMemoryCommand'
            $p = Start-Holder
            Send-ProcessCommand $p "truncate $($shm.Path) 4096" | Should -Be 'EPERM'
            Send-ProcessCommand $p "truncate $($shm.Path) 65536" | Should -Be 'EPERM'
            (Get-SharedMemory -Kind Anonymous -Id $shm.Id -WarningAction SilentlyContinue).Size | Should -Be 8KB
            # Writing is still allowed: only the size is sealed.
            Write-SharedMemory -InputObject $shm -Value 'x' -Encoding ascii
        } finally { Remove-SharedMemory -InputObject $shm }
    }

    It 'refuses writes to a write-sealed region as Sealed' {
        $shm = New-SharedMemory -Anonymous -Size 4KB -Seal Write
        try {
            $shm.Seals | Should -Be ([ShmPS.SharedMemorySeals]::Write)
            { Write-SharedMemory -InputObject $shm -Value 'x' -Encoding ascii -ErrorAction Stop } |
                Should -Throw -ErrorId 'Sealed,ShmPS.Commands.WriteSharedMemoryCommand'
        } finally { Remove-SharedMemory -InputObject $shm }
    }

    It 'grows and shrinks an unsealed region' {
        $shm = New-SharedMemory -Anonymous -Size 8KB
        try {
            Resize-SharedMemory -InputObject $shm -Size 1MB
            (Get-SharedMemory -Kind Anonymous -Id $shm.Id -WarningAction SilentlyContinue).Size | Should -Be 1MB
            Resize-SharedMemory -InputObject $shm -Size 4KB -Confirm:$false
            (Get-SharedMemory -Kind Anonymous -Id $shm.Id -WarningAction SilentlyContinue).Size | Should -Be 4KB
        } finally { Remove-SharedMemory -InputObject $shm }
    }

    It 'says what it would make with -WhatIf, and makes nothing' {
        $before = @(Get-SharedMemory -Kind Anonymous -Name '/memfd:shmps-whatif' -ErrorAction SilentlyContinue -WarningAction SilentlyContinue).Count
        New-SharedMemory -Anonymous -Size 4KB -Name shmps-whatif -WhatIf | Should -BeNullOrEmpty
        @(Get-SharedMemory -Kind Anonymous -Name '/memfd:shmps-whatif' -ErrorAction SilentlyContinue -WarningAction SilentlyContinue).Count | Should -Be $before
    }
}

Describe 'Listing without root' {
    It 'shows the caller''s own regions, not root''s, and warns that the listing is partial' {
        $p = Start-Holder
        $script = @"
`$mine = New-SharedMemory -Anonymous -Size 4KB -Name nobody-region
`$listed = Get-SharedMemory -Kind Anonymous -WarningVariable w -WarningAction SilentlyContinue
"mine:" + [bool](`$listed | Where-Object Id -EQ `$mine.Id)
"root:" + [bool](`$listed | Where-Object Id -EQ $($p.MemfdInode))
"warned:" + [bool](`$w | Where-Object { "`$_" -match 'could not be inspected' })
"@
        $r = Invoke-ChildPwsh $script -Uid 65534
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output -split "`n" | Where-Object { $_ } | Should -Be @('mine:True', 'root:False', 'warned:True')
    }
}

Describe 'Write access follows the kernel''s checks' {
    It 'reads but does not write a region whose mode does not let the caller write, as another user' {
        $script = @"
`$shm = New-SharedMemory -Anonymous -Size 4KB -Mode 0400
try { Write-SharedMemory -InputObject `$shm -Value 'x' -Encoding ascii -ErrorAction Stop; 'write:ok' } catch { 'write:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
'read:' + (Read-SharedMemory -InputObject `$shm -Count 1).Count
"@
        $r = Invoke-ChildPwsh $script -Uid 65534
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output -split "`n" | Where-Object { $_ } | Should -Be @('write:PermissionDenied', 'read:1')
    }
}

Describe 'Huge pages' {
    It 'lists a shared anonymous mapping of huge pages as /anon_hugepage' {
        $pool = '/proc/sys/vm/nr_hugepages'
        $before = [int](Get-Content $pool)
        try {
            if ($before -lt 2) { sh -c "echo $($before + 2) > $pool" 2>$null }
            if ([int](Get-Content $pool) -lt 1) { Set-ItResult -Skipped -Because 'no huge page can be reserved here'; return }
            $p = Start-Holder -Extra huge
            $shm = Get-SharedMemory -Kind Anonymous -Id $p.AnonInode -WarningAction SilentlyContinue
            $shm.Name | Should -Be '/anon_hugepage'
            $shm.IsHugePages | Should -BeTrue
            Read-SharedMemory -InputObject $shm -Count 9 -Encoding ascii | Should -Be 'anon-data'
            Stop-TestProcess $p
        } finally {
            if ($before -lt 2) { sh -c "echo $before > $pool" 2>$null }
        }
    }
}
