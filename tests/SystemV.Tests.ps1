# System V shared memory as a full kind: creation by key, private segments, listing and lookups, data
# exchanged with C programs, agreement with ipcs, lsipc and /proc/sysvipc/shm, permissions enforced
# for another user, removal of attached segments, and the errors for what cannot be done.

BeforeDiscovery {
    $script:KeyRanges = @(
        @{ Range = 'below 0x00010000, shown with leading zeros'; Min = 1; Max = 0xFFFF }
        @{ Range = 'below 0x80000000'; Min = 0x10000; Max = [int]::MaxValue }
        @{ Range = 'at or above 0x80000000 (negative as Int32)'; Min = [int]::MinValue; Max = -2 }
    )
    $script:Modes = '0600', '0640', '0604', '0660', '0444', '0400', '0666' | ForEach-Object { @{ Mode = $_ } }
    $script:BadSizes = @(@{ Size = 0 }, @{ Size = -1 }, @{ Size = -4096 })
    # What uid 65534 (neither owner nor in the group) may do under each mode; a read-write attachment
    # needs both read and write permission.
    $script:OtherAccess = @(
        @{ Mode = '0600'; CanRead = $false; CanWrite = $false }
        @{ Mode = '0660'; CanRead = $false; CanWrite = $false }
        @{ Mode = '0644'; CanRead = $true; CanWrite = $false }
        @{ Mode = '0604'; CanRead = $true; CanWrite = $false }
        @{ Mode = '0666'; CanRead = $true; CanWrite = $true }
    )
    $script:OutOfRange = @(
        @{ Offset = 3333; Count = 1 }
        @{ Offset = 3330; Count = 4 }
        @{ Offset = 0; Count = 3334 }
        @{ Offset = -1; Count = 1 }
    )
    $script:CompletingCommands = 'Get-SharedMemory', 'Read-SharedMemory', 'Remove-SharedMemory' | ForEach-Object { @{ Command = $_ } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/Processes.ps1

    $Sysv = Get-NativeTool sysv
    $Created = [Collections.Generic.List[int]]::new()      # ids of every segment made here
    $Holders = [Collections.Generic.List[Diagnostics.Process]]::new()
    $PosixNames = [Collections.Generic.List[string]]::new()

    function Get-ShmTable {
        <# /proc/sysvipc/shm as objects whose properties are the header's column names. #>
        $lines = Get-Content /proc/sysvipc/shm
        $columns = -split $lines[0]
        foreach ($line in $lines | Select-Object -Skip 1) {
            $values = -split $line
            $row = [ordered]@{}
            for ($i = 0; $i -lt $columns.Count; $i++) { $row[$columns[$i]] = [long]$values[$i] }
            [pscustomobject]$row
        }
    }

    function Get-ShmRow([int] $Id) { Get-ShmTable | Where-Object shmid -EQ $Id }

    function New-TestKey {
        <# A random key that no segment has now: the tests share the system with others. #>
        param([int] $Min = [int]::MinValue, [int] $Max = [int]::MaxValue)
        $used = @(Get-ShmTable | ForEach-Object key)
        do { $key = [Security.Cryptography.RandomNumberGenerator]::GetInt32($Min, $Max) }
        while ($key -in 0, -1 -or $key -in $used)
        $key
    }

    function New-TestSegment {
        <# New-SharedMemory -Kind SystemV with a fresh key, remembered for cleanup. #>
        [CmdletBinding()]
        param([long] $Size = 4096, [string] $Mode, [int] $Key = (New-TestKey))
        $extra = @{}
        if ($Mode) { $extra.Mode = $Mode }
        $shm = New-SharedMemory -Key $Key -Size $Size @extra
        $Created.Add($shm.Id)
        $shm
    }

    function Start-Holder([int] $Id) {
        <# sysv hold: another process attached to the segment until Stop-NativeProcess. #>
        $p = Start-NativeProcess $Sysv 'hold', $Id
        $Holders.Add($p)
        $p
    }

    function ConvertTo-UnixTime($Time) {
        if ($null -eq $Time) { 0 } else { [DateTimeOffset]::new([datetime]$Time).ToUnixTimeSeconds() }
    }

    function ConvertTo-ProcPerms([ShmPS.SystemVSharedMemory] $Shm) {
        [int]$Shm.Mode -bor ($Shm.IsMarkedForDeletion ? 0x200 : 0) -bor ($Shm.IsLocked ? 0x400 : 0)
    }

    function Get-IpcsRow([int] $Id) {
        <# The `ipcs -m` line of a segment: key shmid owner perms bytes nattch [status]. #>
        $out = ipcs -m
        if ($LASTEXITCODE) { throw "ipcs failed: $out" }
        foreach ($line in $out) {
            $f = -split $line
            if ($f.Count -ge 6 -and $f[0] -like '0x*' -and $f[1] -eq "$Id") {
                return [pscustomobject]@{ Key = $f[0]; Id = [int]$f[1]; Owner = $f[2]; Perms = $f[3]; Bytes = [long]$f[4]
                    Nattch = [int]$f[5]; Status = ($f.Count -gt 6 ? ($f[6..($f.Count - 1)] -join ' ') : '') }
            }
        }
    }

    function Wait-Gone([int] $Id) {
        for ($i = 0; $i -lt 40 -and (Get-ShmRow $Id); $i++) { Start-Sleep -Milliseconds 50 }
    }
}

AfterAll {
    foreach ($p in $Holders) { Stop-NativeProcess $p }
    foreach ($id in $Created) {
        if (Get-ShmRow $id) { ipcrm -m $id 2>&1 | Out-Null }
    }
    foreach ($name in $PosixNames) { Remove-SharedMemory -Name $name -ErrorAction SilentlyContinue }
}

Describe 'New-SharedMemory -Kind SystemV' -Tag SystemV {
    It 'creates a segment with a key <Range> given as a hex literal and shows it as 0x%08x' -TestCases $KeyRanges {
        param($Min, $Max)
        $key = New-TestKey -Min $Min -Max $Max
        $hex = '{0:x8}' -f $key
        # The literal as a user types it: PowerShell reads 0x80000000 and above as a negative Int32.
        $shm = & ([scriptblock]::Create("New-SharedMemory -Key 0x$hex -Size 4096"))
        $Created.Add($shm.Id)

        $shm | Should -BeOfType ShmPS.SystemVSharedMemory
        $shm.Kind | Should -Be 'SystemV' -Because '-Key implies the kind'
        $shm.Key | Should -Be $key
        $shm.Name | Should -BeExactly "0x$hex"
        (Get-ShmRow $shm.Id).key | Should -Be $key
        (Get-IpcsRow $shm.Id).Key | Should -BeExactly "0x$hex"
        (Get-SharedMemory -Key $key).Id | Should -Be $shm.Id
    }

    It 'draws a different nonzero key for each segment when -Key is omitted' {
        $segments = 1..3 | ForEach-Object {
            $s = New-SharedMemory -Kind SystemV -Size 4096
            $Created.Add($s.Id)
            $s
        }
        $keys = $segments.Key
        $keys | Should -Not -Contain 0
        $keys | Should -Not -Contain -1
        @($keys | Select-Object -Unique).Count | Should -Be 3
        foreach ($s in $segments) {
            (Get-ShmRow $s.Id).key | Should -Be $s.Key
            $s.Name | Should -BeExactly ('0x{0:x8}' -f $s.Key)
        }
    }

    It 'makes an IPC_PRIVATE segment with -Private, found by -Id only' {
        $a = New-SharedMemory -Private -Size 4096
        $Created.Add($a.Id)
        $b = New-SharedMemory -Private -Size 4096
        $Created.Add($b.Id)

        $a.Kind | Should -Be 'SystemV' -Because '-Private implies the kind'
        $a.Key | Should -Be 0
        $a.Name | Should -BeExactly '0x00000000'
        $b.Id | Should -Not -Be $a.Id
        (Get-ShmRow $a.Id).key | Should -Be 0
        (Get-SharedMemory -Id $a.Id).Id | Should -Be $a.Id
    }

    It 'gives the segment exactly mode <Mode>, warning only if others may write' -TestCases $Modes {
        param($Mode)
        $shm = New-TestSegment -Mode $Mode -WarningVariable warnings -WarningAction SilentlyContinue
        $expected = [Convert]::ToInt32($Mode, 8)
        [int]$shm.Mode | Should -Be $expected
        (Get-ShmRow $shm.Id).perms | Should -Be ([Convert]::ToString($expected, 8))
        (Get-IpcsRow $shm.Id).Perms | Should -Be ([Convert]::ToString($expected, 8))
        @($warnings).Count -gt 0 | Should -Be (($expected -band 2) -ne 0)
    }

    It 'gives the segment mode 0600 by default' {
        $shm = New-TestSegment
        $shm.Permissions | Should -BeExactly 'rw-------'
        (Get-ShmRow $shm.Id).perms | Should -Be 600
    }

    It 'refuses a key that exists (SharedMemoryExists) and leaves that segment as it was' {
        $shm = New-TestSegment -Size 4096
        $data = New-RandomBytes 32
        $shm.Write(0, $data)
        { New-SharedMemory -Key $shm.Key -Size 8192 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryExists,ShmPS.Commands.NewSharedMemoryCommand'
        @(Get-ShmTable | Where-Object key -EQ $shm.Key).Count | Should -Be 1
        (Get-ShmRow $shm.Id).size | Should -Be 4096
        ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Count 32) | Should -Be (ConvertTo-Hex $data)
    }

    It 'opens the existing segment with -Force: same id, data kept' {
        $shm = New-TestSegment -Size 4096
        $data = New-RandomBytes 64
        Write-SharedMemory -Key $shm.Key -Value $data
        $again = New-SharedMemory -Key $shm.Key -Size 4096 -Force
        $again.Id | Should -Be $shm.Id
        ConvertTo-Hex $again.Read(0, 64) | Should -Be (ConvertTo-Hex $data)
    }

    It 'opens the existing segment with -Force as it is when the size differs, and warns' {
        $shm = New-TestSegment -Size 4096
        $again = New-SharedMemory -Key $shm.Key -Size 8192 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $again.Id | Should -Be $shm.Id
        $again.Size | Should -Be 4096
        (Get-ShmRow $shm.Id).size | Should -Be 4096
        $warnings | Should -Not -BeNullOrEmpty
    }

    It 'refuses size <Size> (InvalidSize) and creates nothing' -TestCases $BadSizes {
        param($Size)
        $key = New-TestKey
        { New-SharedMemory -Key $key -Size $Size -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSize,ShmPS.Commands.NewSharedMemoryCommand'
        Get-ShmTable | Where-Object key -EQ $key | Should -BeNullOrEmpty
    }

    It 'refuses a size above kernel.shmmax, naming the limit, and accepts shmmax itself' {
        $limit = 1MB
        $script = @"
`$r = [ordered]@{ Shmmax = [long](Get-Content /proc/sys/kernel/shmmax) }
try { `$null = New-SharedMemory -Key 0x5eed -Size ($limit + 1) -ErrorAction Stop; `$r.Over = 'created' }
catch { `$r.Over = `$_.FullyQualifiedErrorId; `$r.Message = `$_.Exception.Message }
`$r.Rows = @(Get-Content /proc/sysvipc/shm | Select-Object -Skip 1).Count
`$r.AtLimit = (New-SharedMemory -Key 0x5eed -Size $limit).Size
`$r | ConvertTo-Json -Compress
"@
        # The host's kernel.shmmax is usually far beyond memory: lower it in a new IPC namespace (needs
        # root), whose segments vanish with the child.
        unshare -i true 2>$null
        if ($LASTEXITCODE) {
            Set-ItResult -Skipped -Because 'lowering kernel.shmmax needs a new IPC namespace (unshare -i as root)'
            return
        }
        $launcher = 'unshare', '-i', 'sh', '-c', "sysctl -qw kernel.shmmax=$limit && exec `"`$0`" `"`$@`""
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Launcher $launcher -Script $script
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $r = $child.Output | ConvertFrom-Json
        $r.Shmmax | Should -Be $limit
        $r.Over | Should -BeExactly 'InsufficientSpace,ShmPS.Commands.NewSharedMemoryCommand'
        $r.Message | Should -Match 'shmmax'
        $r.Rows | Should -Be 0 -Because 'nothing is left half-created'
        $r.AtLimit | Should -Be $limit
    }

    It 'refuses -HugePages where the system has no free huge pages (HugePagesUnavailable)' {
        $free = [long]((Get-Content /proc/meminfo | Where-Object { $_ -like 'HugePages_Free:*' }) -split '\s+')[1]
        if ($free -gt 0) {
            Set-ItResult -Skipped -Because "this machine has $free free huge pages"
            return
        }
        $key = New-TestKey
        $record = { New-SharedMemory -Key $key -Size 2MB -HugePages -ErrorAction Stop } |
            Should -Throw -ErrorId 'HugePagesUnavailable,ShmPS.Commands.NewSharedMemoryCommand' -PassThru
        $record.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        Get-ShmTable | Where-Object key -EQ $key | Should -BeNullOrEmpty
    }
}

Describe 'Get-SharedMemory with System V segments' -Tag SystemV {
    It 'lists System V segments beside POSIX objects, and -Kind filters them' {
        $segment = New-TestSegment
        $name = New-TestName
        $posix = New-SharedMemory -Name $name -Size 4096
        $PosixNames.Add($name)

        $all = Get-SharedMemory
        $all | Where-Object { $_.Kind -eq 'SystemV' -and $_.Id -eq $segment.Id } | Should -HaveCount 1
        $all | Where-Object { $_.Kind -eq 'Posix' -and $_.Name -eq $posix.Name } | Should -HaveCount 1

        # Other processes may create or remove segments meanwhile: those present before and after must be listed.
        $before = @(Get-ShmTable).shmid
        $sysv = Get-SharedMemory -Kind SystemV
        $after = @(Get-ShmTable).shmid
        $sysv.Kind | Should -Not -Contain 'Posix'
        $sysv.Id | Should -Contain $segment.Id
        $before | Where-Object { $_ -in $after -and $_ -notin $sysv.Id } |
            Should -BeNullOrEmpty -Because 'every segment in /proc/sysvipc/shm is listed'

        $onlyPosix = Get-SharedMemory -Kind Posix
        $onlyPosix.Kind | Should -Not -Contain 'SystemV'
        $onlyPosix.Name | Should -Contain $posix.Name
    }

    It 'looks up several segments by -Key and by -Id' {
        $a = New-TestSegment -Size 4096
        $b = New-TestSegment -Size 8192
        $byKey = Get-SharedMemory -Key $a.Key, $b.Key
        $byKey.Id | Should -Be @($a.Id, $b.Id)
        $byKey | ForEach-Object { $_ | Should -BeOfType ShmPS.SystemVSharedMemory }
        $byId = Get-SharedMemory -Id $b.Id, $a.Id
        $byId.Key | Should -Be @($b.Key, $a.Key)
        $byId.Size | Should -Be @(8192, 4096)
    }

    It 'reports a missing key among several as a non-terminating error and still returns the others' {
        $a = New-TestSegment
        $b = New-TestSegment
        $missing = New-TestKey
        $found = Get-SharedMemory -Key $a.Key, $missing, $b.Key -ErrorVariable errors -ErrorAction SilentlyContinue
        $found.Id | Should -Be @($a.Id, $b.Id)
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports a missing key as SharedMemoryNotFound' {
        $key = New-TestKey
        { Get-SharedMemory -Key $key -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'reports a missing id as SharedMemoryNotFound' {
        # Index 32767 of the id (id % 32768) is never used while fewer than 32768 segments exist.
        $id = [int]::MaxValue
        Get-ShmRow $id | Should -BeNullOrEmpty
        { Get-SharedMemory -Id $id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'agrees with every column of /proc/sysvipc/shm for a 3333-byte segment attached by another process' {
        $shm = New-TestSegment -Size 3333 -Mode 0640
        Write-SharedMemory -Id $shm.Id -Value (New-RandomBytes 16)   # attach and detach: atime, dtime, lpid
        # Owner differs from creator, so swapped uid/cuid columns would show.
        Set-SharedMemoryPermission -Id $shm.Id -Owner 65534 -Group 65534
        $holder = Start-Holder $shm.Id

        $got = Get-SharedMemory -Id $shm.Id
        $row = Get-ShmRow $shm.Id

        $row.nattch | Should -Be 1
        $row.lpid | Should -Be $holder.Id
        $row.rss | Should -BeGreaterThan 0

        $got.Key | Should -Be $row.key
        $got.Id | Should -Be $row.shmid
        ConvertTo-ProcPerms $got | Should -Be ([Convert]::ToInt32("$($row.perms)", 8))
        $got.Size | Should -Be $row.size
        $got.CreatorProcessId | Should -Be $row.cpid
        $got.LastProcessId | Should -Be $row.lpid
        $got.AttachCount | Should -Be $row.nattch
        $got.OwnerId | Should -Be $row.uid
        $got.GroupId | Should -Be $row.gid
        $got.CreatorId | Should -Be $row.cuid
        $got.CreatorGroupId | Should -Be $row.cgid
        ConvertTo-UnixTime $got.LastAttachTime | Should -Be $row.atime
        ConvertTo-UnixTime $got.LastDetachTime | Should -Be $row.dtime
        ConvertTo-UnixTime $got.ChangeTime | Should -Be $row.ctime
        $got.ResidentBytes | Should -Be $row.rss
        $got.SwappedBytes | Should -Be $row.swap

        $got.OwnerId | Should -Not -Be $got.CreatorId
        $got.CreatorProcessId | Should -Be $PID -Because 'this process created it'
        $got.IsMarkedForDeletion | Should -BeFalse
        $got.IsLocked | Should -BeFalse
        Stop-NativeProcess $holder
    }

    It 'gives the times of /proc/sysvipc/shm as local times in a time zone other than UTC' {
        $shm = New-TestSegment
        Write-SharedMemory -Id $shm.Id -Value 1
        $row = Get-ShmRow $shm.Id
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Launcher 'env', 'TZ=Asia/Kolkata' -Script @"
`$s = Get-SharedMemory -Id $($shm.Id)
[ordered]@{
    Offset = [TimeZoneInfo]::Local.BaseUtcOffset.TotalMinutes
    Kinds = @(`$s.LastAttachTime.Kind, `$s.LastDetachTime.Kind, `$s.ChangeTime.Kind) -join ','
    Attach = ([DateTimeOffset]`$s.LastAttachTime).ToUnixTimeSeconds()
    Detach = ([DateTimeOffset]`$s.LastDetachTime).ToUnixTimeSeconds()
    Change = ([DateTimeOffset]`$s.ChangeTime).ToUnixTimeSeconds()
} | ConvertTo-Json -Compress
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $r = $child.Output | ConvertFrom-Json
        $r.Offset | Should -Be 330 -Because 'the child runs at UTC+05:30'
        $r.Kinds | Should -Be 'Local,Local,Local'
        $r.Attach | Should -Be $row.atime
        $r.Detach | Should -Be $row.dtime
        $r.Change | Should -Be $row.ctime
    }

    It 'agrees with lsipc -m on the fields it shows' {
        $shm = New-TestSegment -Size 5000 -Mode 0604
        Write-SharedMemory -Id $shm.Id -Value (New-RandomBytes 8)
        $holder = Start-Holder $shm.Id
        $got = Get-SharedMemory -Id $shm.Id
        $json = lsipc -m -b -P --time-format iso --notruncate -J `
            -o KEY,ID,OWNER,PERMS,CUID,CGID,UID,USER,GID,GROUP,SIZE,NATTCH,STATUS,ATTACH,DETACH,CTIME,CPID,LPID
        if ($LASTEXITCODE) { throw "lsipc failed: $json" }
        $l = ($json | ConvertFrom-Json).sharedmemory | Where-Object id -EQ "$($shm.Id)"
        $l | Should -Not -BeNullOrEmpty

        $got.Name | Should -BeExactly $l.key
        $got.Owner | Should -BeExactly $l.owner
        $got.Owner | Should -BeExactly $l.user
        $got.Group | Should -BeExactly $l.group
        [Convert]::ToInt32($l.perms, 8) | Should -Be ([int]$got.Mode)
        $got.CreatorId | Should -Be ([uint]$l.cuid)
        $got.CreatorGroupId | Should -Be ([uint]$l.cgid)
        $got.OwnerId | Should -Be ([uint]$l.uid)
        $got.GroupId | Should -Be ([uint]$l.gid)
        $got.Size | Should -Be ([long]$l.size)
        $got.AttachCount | Should -Be ([int]$l.nattch)
        $got.CreatorProcessId | Should -Be ([int]$l.cpid)
        $got.LastProcessId | Should -Be ([int]$l.lpid)
        ConvertTo-UnixTime $got.LastAttachTime | Should -Be ([DateTimeOffset]::Parse($l.attach).ToUnixTimeSeconds())
        ConvertTo-UnixTime $got.LastDetachTime | Should -Be ([DateTimeOffset]::Parse($l.detach).ToUnixTimeSeconds())
        ConvertTo-UnixTime $got.ChangeTime | Should -Be ([DateTimeOffset]::Parse($l.ctime).ToUnixTimeSeconds())
        $l.status | Should -BeNullOrEmpty -Because 'neither marked nor locked'
        Stop-NativeProcess $holder
    }

    It 'agrees with ipcs -m on key, id, owner, perms, size and attach count' {
        $shm = New-TestSegment -Size 12345 -Mode 0640
        $holder = Start-Holder $shm.Id
        $got = Get-SharedMemory -Id $shm.Id
        $ipcs = Get-IpcsRow $shm.Id
        $ipcs | Should -Not -BeNullOrEmpty
        $ipcs.Key | Should -BeExactly $got.Name
        $ipcs.Id | Should -Be $got.Id
        $ipcs.Owner | Should -BeExactly $got.Owner
        $ipcs.Perms | Should -Be ([Convert]::ToString([int]$got.Mode, 8))
        $ipcs.Bytes | Should -Be $got.Size
        $ipcs.Nattch | Should -Be $got.AttachCount
        $ipcs.Nattch | Should -Be 1
        Stop-NativeProcess $holder
    }

    It 'lists a segment made by ipcmk with its size and mode' {
        $out = ipcmk -M 4096 -p 0640
        if ($LASTEXITCODE) { throw "ipcmk failed: $out" }
        $id = [int](-split $out)[-1]
        $Created.Add($id)
        $got = Get-SharedMemory -Id $id
        $got.Size | Should -Be 4096
        $got.Permissions | Should -BeExactly 'rw-r-----'
        $got.Key | Should -Be (Get-ShmRow $id).key
        (Get-SharedMemory -Kind SystemV).Id | Should -Contain $id
    }

    It 'finds the same segment again from ConvertTo-Json | ConvertFrom-Json' {
        $shm = New-TestSegment
        $copy = $shm | ConvertTo-Json | ConvertFrom-Json
        $found = @($copy | Get-SharedMemory)
        $found | Should -HaveCount 1
        $found[0] | Should -BeOfType ShmPS.SystemVSharedMemory
        $found[0].Id | Should -Be $shm.Id
        $found[0].Key | Should -Be $shm.Key
    }

    It 'finds a private segment again from ConvertTo-Json | ConvertFrom-Json, by its id' {
        # Key 0 names no segment, but the object carries its Id, which does.
        $shm = New-SharedMemory -Private -Size 4096
        $Created.Add($shm.Id)
        $copy = $shm | ConvertTo-Json | ConvertFrom-Json
        $found = @($copy | Get-SharedMemory)
        $found | Should -HaveCount 1
        $found[0].Id | Should -Be $shm.Id
        $data = New-RandomBytes 8
        $shm.Write(0, $data)
        ConvertTo-Hex ($copy | Read-SharedMemory -Count 8) | Should -Be (ConvertTo-Hex $data)
    }

    It 'shows a segment locked with SHM_LOCK as IsLocked, as /proc, ipcs and lsipc do' {
        $shm = New-TestSegment
        $out = & $Sysv lock $shm.Id
        $LASTEXITCODE | Should -Be 0 -Because $out
        try {
            $got = Get-SharedMemory -Id $shm.Id
            $got.IsLocked | Should -BeTrue
            $got.IsMarkedForDeletion | Should -BeFalse
            [Convert]::ToInt32("$((Get-ShmRow $shm.Id).perms)", 8) | Should -Be (ConvertTo-ProcPerms $got)
            (Get-IpcsRow $shm.Id).Status | Should -Match 'locked'
            $got.Permissions | Should -BeExactly 'rw-------' -Because 'SHM_LOCKED is a status, not a permission'
        }
        finally {
            $null = & $Sysv unlock $shm.Id
        }
        (Get-SharedMemory -Id $shm.Id).IsLocked | Should -BeFalse
    }

    It 'completes -Key with hex keys in <Command>' -TestCases $CompletingCommands {
        param($Command)
        $shm = New-TestSegment
        $line = "$Command -Key $($shm.Name.Substring(0, 9))"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain $shm.Name
        $completions | ForEach-Object { $_ | Should -BeLike "$($shm.Name.Substring(0, 9))*" }
    }

    It 'completes -Id with segment ids in <Command>' -TestCases $CompletingCommands {
        param($Command)
        $shm = New-TestSegment
        $line = "$Command -Id $($shm.Id)"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain "$($shm.Id)"
        $completions | ForEach-Object { $_ | Should -BeLike "$($shm.Id)*" }
    }
}

Describe 'Read-SharedMemory and Write-SharedMemory with System V segments' -Tag SystemV {
    BeforeAll {
        $shm = New-TestSegment -Size 3333
    }

    It 'reads by -Id and -Key what a C program wrote' {
        $data = New-RandomBytes 100
        $out = & $Sysv write $shm.Id 200 (ConvertTo-Hex $data)
        $LASTEXITCODE | Should -Be 0 -Because $out
        ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Offset 200 -Count 100) | Should -Be (ConvertTo-Hex $data)
        ConvertTo-Hex (Read-SharedMemory -Key $shm.Key -Offset 200 -Count 100) | Should -Be (ConvertTo-Hex $data)
    }

    It 'writes what a C program reads' {
        $data = New-RandomBytes 77
        Write-SharedMemory -Key $shm.Key -Offset (3333 - 77) -Value $data
        $out = & $Sysv read $shm.Id (3333 - 77) 77
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Be (ConvertTo-Hex $data)
    }

    It 'attaches only for the duration of the operation' {
        $null = Read-SharedMemory -Id $shm.Id -Count 1
        $after = Get-SharedMemory -Id $shm.Id
        $after.AttachCount | Should -Be 0
        $after.LastProcessId | Should -Be $PID
        $after.LastAttachTime | Should -Not -BeNullOrEmpty
        $after.LastDetachTime | Should -Not -BeNullOrEmpty
    }

    It 'refuses offset <Offset> and count <Count> in 3333 bytes (OffsetOutOfRange) and changes nothing' -TestCases $OutOfRange {
        param($Offset, $Count)
        $before = Read-SharedMemory -Id $shm.Id
        $record = { Read-SharedMemory -Id $shm.Id -Offset $Offset -Count $Count -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.ReadSharedMemoryCommand' -PassThru
        $record.TargetObject.Id | Should -Be $shm.Id
        { Write-SharedMemory -Id $shm.Id -Offset $Offset -Value (New-RandomBytes $Count) -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.WriteSharedMemoryCommand'
        ConvertTo-Hex (Read-SharedMemory -Id $shm.Id) | Should -Be (ConvertTo-Hex $before)
    }

    It 'reports a segment removed since it was found as SharedMemoryNotFound' {
        $gone = New-TestSegment
        Remove-SharedMemory -Id $gone.Id
        # EINVAL and EIDRM from shmat mean the segment is gone.
        { Read-SharedMemory -InputObject $gone -Count 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.ReadSharedMemoryCommand'
        { Write-SharedMemory -InputObject $gone -Value 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.WriteSharedMemoryCommand'
    }

    It 'reads through a read-only attachment: a process that may only read can, and cannot write' {
        # Root without CAP_IPC_OWNER is held to the segment's mode like anyone else: 0400 lets the owner read only.
        $ro = New-TestSegment -Mode 0400
        $data = New-RandomBytes 16
        $ro.Write(0, $data)
        $launcher = 'setpriv', '--bounding-set=-ipc_owner'
        (& $launcher[0] $launcher[1] $Sysv attach $ro.Id rw) | Should -Be 'shmat: EACCES' -Because 'the launcher really drops CAP_IPC_OWNER'
        $none = New-TestSegment -Mode 0000
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Launcher $launcher -Script @"
`$r = [ordered]@{ Read = [Convert]::ToHexString((Read-SharedMemory -Id $($ro.Id) -Count 16)).ToLowerInvariant() }
try { Write-SharedMemory -Id $($ro.Id) -Value ([byte[]](1, 2)) -ErrorAction Stop; `$r.Write = 'written' }
catch { `$r.Write = `$_.FullyQualifiedErrorId; `$r.WriteCategory = "`$(`$_.CategoryInfo.Category)"; `$r.WriteMessage = `$_.Exception.Message }
try { `$null = Read-SharedMemory -Id $($none.Id) -ErrorAction Stop; `$r.ReadNone = 'read' }
catch { `$r.ReadNone = `$_.FullyQualifiedErrorId }
`$r | ConvertTo-Json -Compress
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $r = $child.Output | ConvertFrom-Json
        $r.Read | Should -Be (ConvertTo-Hex $data)
        $r.Write | Should -BeExactly 'PermissionDenied,ShmPS.Commands.WriteSharedMemoryCommand'
        $r.WriteCategory | Should -Be 'PermissionDenied'
        $r.WriteMessage | Should -Match 'EACCES'
        $r.ReadNone | Should -BeExactly 'PermissionDenied,ShmPS.Commands.ReadSharedMemoryCommand'
        ConvertTo-Hex $ro.Read(0, 16) | Should -Be (ConvertTo-Hex $data)
    }
}

Describe 'Set-SharedMemoryPermission with System V segments' -Tag SystemV {
    It 'changes mode, owner and group with IPC_SET' {
        $shm = New-TestSegment -Mode 0600
        $after = Set-SharedMemoryPermission -Id $shm.Id -Mode 0640 -Owner 65534 -Group 65534 -PassThru
        $row = Get-ShmRow $shm.Id
        $row.perms | Should -Be 640
        $row.uid | Should -Be 65534
        $row.gid | Should -Be 65534
        $row.cuid | Should -Be ([long](id -u)) -Because 'IPC_SET leaves the creator'
        $after.Permissions | Should -BeExactly 'rw-r-----'
        $after.OwnerId | Should -Be 65534
        $after.GroupId | Should -Be 65534
    }

    Context 'enforced for uid 65534' {
        BeforeAll {
            $shm = New-TestSegment -Size 4096
            $shm.Write(0, (New-RandomBytes 4096))
        }

        It 'mode <Mode> lets another user read: <CanRead>, write: <CanWrite>' -TestCases $OtherAccess {
            param($Mode, $CanRead, $CanWrite)
            Set-SharedMemoryPermission -Id $shm.Id -Mode $Mode -WarningAction SilentlyContinue
            (Get-ShmRow $shm.Id).perms | Should -Be ([int]$Mode)

            $read = Invoke-AsNobody $Sysv read $shm.Id 0 64
            if ($CanRead) {
                $read.ExitCode | Should -Be 0 -Because $read.Output
                $read.Output | Should -Be (ConvertTo-Hex $shm.Read(0, 64))
            }
            else {
                $read.Output | Should -Be 'shmat: EACCES'
            }

            $data = New-RandomBytes 32
            $write = Invoke-AsNobody $Sysv write $shm.Id 100 (ConvertTo-Hex $data)
            if ($CanWrite) {
                $write.ExitCode | Should -Be 0 -Because $write.Output
                ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Offset 100 -Count 32) | Should -Be (ConvertTo-Hex $data)
            }
            else {
                $write.Output | Should -Be 'shmat: EACCES'
                ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Offset 100 -Count 32) | Should -Not -Be (ConvertTo-Hex $data)
            }
        }
    }
}

Describe 'Remove-SharedMemory with System V segments' -Tag SystemV {
    It 'removes a segment that nothing is attached to at once' {
        $shm = New-TestSegment
        Remove-SharedMemory -Key $shm.Key
        Get-ShmRow $shm.Id | Should -BeNullOrEmpty
        { Get-SharedMemory -Id $shm.Id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'leaves the segment with -WhatIf' {
        $shm = New-TestSegment
        Remove-SharedMemory -Id $shm.Id -WhatIf
        Get-ShmRow $shm.Id | Should -Not -BeNullOrEmpty
    }

    It 'removes a segment made by ipcmk by -Id' {
        $out = ipcmk -M 4096 -p 0640
        if ($LASTEXITCODE) { throw "ipcmk failed: $out" }
        $id = [int](-split $out)[-1]
        $Created.Add($id)
        Remove-SharedMemory -Id $id
        Get-ShmRow $id | Should -BeNullOrEmpty
        Get-IpcsRow $id | Should -BeNullOrEmpty
    }

    It 'is undone by ipcrm -m for a segment made by ShmPS' {
        $shm = New-TestSegment
        $out = ipcrm -m $shm.Id 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$out"
        { Get-SharedMemory -Id $shm.Id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'marks a segment that another process holds; it answers to -Id until the last detach' {
        $shm = New-TestSegment -Size 3333
        $data = New-RandomBytes 3333
        Write-SharedMemory -Id $shm.Id -Value $data
        $holder = Start-Holder $shm.Id

        Remove-SharedMemory -Key $shm.Key

        $marked = Get-SharedMemory -Id $shm.Id
        $marked.IsMarkedForDeletion | Should -BeTrue
        $marked.Key | Should -Be 0
        $marked.Name | Should -BeExactly '0x00000000'
        $marked.AttachCount | Should -Be 1
        $row = Get-ShmRow $shm.Id
        $row.key | Should -Be 0
        [Convert]::ToInt32("$($row.perms)", 8) -band 0x200 | Should -Be 0x200 -Because 'SHM_DEST is set'
        (Get-IpcsRow $shm.Id).Status | Should -Match 'dest'
        ConvertTo-Hex (Read-SharedMemory -Id $shm.Id) | Should -Be (ConvertTo-Hex $data)
        { Get-SharedMemory -Key $shm.Key -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'

        Stop-NativeProcess $holder
        Wait-Gone $shm.Id
        Get-ShmRow $shm.Id | Should -BeNullOrEmpty
        { Get-SharedMemory -Id $shm.Id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }
}

Describe 'Resize-SharedMemory with System V segments' -Tag SystemV {
    It 'refuses with SystemVResizeNotSupported (InvalidOperation) and keeps the size' {
        $shm = New-TestSegment -Size 4096
        $record = { Resize-SharedMemory -Id $shm.Id -Size 8192 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SystemVResizeNotSupported,ShmPS.Commands.ResizeSharedMemoryCommand' -PassThru
        $record.CategoryInfo.Category | Should -Be 'InvalidOperation'
        (Get-ShmRow $shm.Id).size | Should -Be 4096
    }
}
