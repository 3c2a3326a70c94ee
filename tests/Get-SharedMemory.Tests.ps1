# Get-SharedMemory: listing and looking up POSIX objects (as ls shows them, wildcards, pipeline, the
# object's properties), what every kind shares (missing objects, JSON round trips, refreshing), System V
# segments (as /proc/sysvipc/shm, ipcs and lsipc show them, keys and ids, completion) and shared file
# mappings (paths, wildcards, literal paths, files piped from Get-ChildItem).

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
    $script:CompletingCommands = 'Get-SharedMemory', 'Read-SharedMemory', 'Remove-SharedMemory' | ForEach-Object { @{ Command = $_ } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $Sysv = Get-NativeTool sysv

    function ConvertTo-UnixTime($Time) {
        if ($null -eq $Time) { 0 } else { [DateTimeOffset]::new([datetime]$Time).ToUnixTimeSeconds() }
    }

    function ConvertTo-ProcPerms([ShmPS.SystemVSharedMemory] $Shm) {
        [Convert]::ToInt32($Shm.Mode, 8) -bor ($Shm.IsMarkedForDeletion ? 0x200 : 0) -bor ($Shm.IsLocked ? 0x400 : 0)
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Get-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix

        function Get-LsEntry {
            <# The regular files in /dev/shm as `ls -ln` shows them: name, type, permissions, uid, gid, size. #>
            foreach ($line in ls -ln --time-style=+T /dev/shm) {
                if ($line -match '^(?<type>.)(?<perm>\S{9})\S*\s+\d+\s+(?<uid>\d+)\s+(?<gid>\d+)\s+(?<size>\d+)\s+T\s(?<name>.+)$') {
                    [pscustomobject]@{
                        Name = '/' + $Matches.name; Type = $Matches.type; Permissions = $Matches.perm
                        OwnerId = [uint]$Matches.uid; GroupId = [uint]$Matches.gid; Size = [long]$Matches.size
                    }
                }
            }
        }
    }
    AfterAll { Remove-TestSharedMemory }

    Context 'listing' {
        It 'lists every object in /dev/shm as ls -ln shows it: names, sizes, uids, gids, modes' {
            $mine = @(
                @{ Name = New-TestName; Size = 1; Mode = '0600' }
                @{ Name = New-TestName; Size = 5000; Mode = '0640' }
                @{ Name = New-TestName; Size = 1MB + 3; Mode = '0750' }
                @{ Name = New-TestName; Size = 77; Mode = '0604' }
            )
            foreach ($m in $mine) { New-SharedMemory -Name $m.Name -Size $m.Size -Mode $m.Mode | Out-Null }
            chown 65534:65534 "/dev/shm$($mine[3].Name)"
            chmod 4750 "/dev/shm$($mine[2].Name)"   # ShmPS never sets setuid, but lists what others set
            & $posix create "$(New-TestName)" 123 644   # made by another program
            # Other programs may create and remove objects meanwhile: compare with what ls shows before and after.
            $before = Get-LsEntry
            $listed = @(Get-SharedMemory | Where-Object Kind -EQ Posix)
            $after = Get-LsEntry
            $stable = $before | Where-Object Type -EQ '-' | Where-Object { $_.Name -notlike '/sem.*' } | Where-Object {
                $b = $_; $after | Where-Object { "$_" -eq "$b" }
            }
            $stable.Count | Should -BeGreaterOrEqual 5
            foreach ($entry in $stable) {
                $shm = $listed | Where-Object Name -CEQ $entry.Name
                $shm | Should -HaveCount 1 -Because "ls shows $($entry.Name)"
                [pscustomobject]@{
                    Name = $shm.Name; Type = '-'; Permissions = $shm.Permissions
                    OwnerId = $shm.OwnerId; GroupId = $shm.GroupId; Size = $shm.Size
                } | Out-String | Should -Be ($entry | Out-String)
            }
            $seen = @($before) + @($after) | ForEach-Object Name
            $listed | Where-Object Name -CNotIn $seen | Should -BeNullOrEmpty
            foreach ($m in $mine) { $listed.Name | Should -Contain $m.Name }
        }

        It 'lists POSIX objects only with -Kind Posix' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 | Out-Null
            $listed = @(Get-SharedMemory -Kind Posix)
            $listed.Kind | Sort-Object -Unique | Should -Be Posix
            $listed.Name | Should -Contain $name
        }

        It 'skips what is not a shared memory object: POSIX semaphores (sem.*), directories and symlinks' {
            $stem = (New-TestName).TrimStart('/')
            $sem = "/dev/shm/sem.$stem"
            try {
                Set-Content -LiteralPath $sem -Value 'x'
                New-Item -ItemType Directory "/dev/shm/$stem-dir" | Out-Null
                New-Item -ItemType SymbolicLink "/dev/shm/$stem-link" -Target /etc/hostname | Out-Null
                $names = (Get-SharedMemory -Kind Posix).Name
                $names | Should -Not -Contain "/sem.$stem"
                $names | Should -Not -Contain "/$stem-dir"
                $names | Should -Not -Contain "/$stem-link"
            }
            finally {
                Remove-Item -LiteralPath $sem, "/dev/shm/$stem-dir", "/dev/shm/$stem-link" -Force -ErrorAction SilentlyContinue
            }
        }
    }

    Context 'names and wildcards' {
        BeforeAll {
            $stem = New-TestName
            foreach ($suffix in 'b', 'a', 'c1') { New-SharedMemory -Name "$stem-$suffix" -Size 10 | Out-Null }
        }

        It 'finds one object by exact name, with or without the leading slash' {
            (Get-SharedMemory -Name "$stem-a").Name | Should -BeExactly "$stem-a"
            (Get-SharedMemory -Name "$stem-a".TrimStart('/')).Name | Should -BeExactly "$stem-a"
            (Get-SharedMemory "$stem-a").Name | Should -BeExactly "$stem-a"
        }

        It 'matches the wildcard <Pattern>' -TestCases @(
            @{ Pattern = '-*'; Expected = 'a', 'b', 'c1' }
            @{ Pattern = '-?'; Expected = 'a', 'b' }
            @{ Pattern = '-[ac]*'; Expected = 'a', 'c1' }
            @{ Pattern = '-c*'; Expected = , 'c1' }
        ) {
            $found = @(Get-SharedMemory -Name "$stem$Pattern")
            $found.Name | Should -Be ($Expected | ForEach-Object { "$stem-$_" })
            # Without the leading slash too.
            (Get-SharedMemory -Name "$stem$Pattern".TrimStart('/')).Name | Should -Be $found.Name
        }

        It 'returns nothing and no error for a wildcard that matches nothing' {
            Get-SharedMemory -Name "$stem-zz*" -ErrorVariable errors | Should -BeNullOrEmpty
            $errors | Should -BeNullOrEmpty
        }

        It 'takes names from the pipeline' {
            ("$stem-a", "$stem-b" | Get-SharedMemory).Name | Should -Be "$stem-a", "$stem-b"
        }

        It 'writes a non-terminating SharedMemoryNotFound (ObjectNotFound) for a missing name and goes on' {
            $missing = New-TestName
            $found = Get-SharedMemory -Name $missing, "$stem-a" -ErrorAction SilentlyContinue -ErrorVariable errors
            $found.Name | Should -BeExactly "$stem-a"
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
            $errors[0].CategoryInfo.Category | Should -Be ObjectNotFound
            $errors[0].TargetObject | Should -Be $missing
            $errors[0].Exception.Message | Should -BeLike "*$missing*"

            ($missing, "$stem-b" | Get-SharedMemory -ErrorAction SilentlyContinue).Name | Should -BeExactly "$stem-b"
        }

        It 'throws SharedMemoryNotFound for a missing name with -ErrorAction Stop' {
            { Get-SharedMemory -Name (New-TestName) -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        }

        It 'refuses the invalid name <Label>' -TestCases @(
            @{ Label = "''"; Name = '' }, @{ Label = "'/a/b'"; Name = '/a/b' }, @{ Label = "'..'"; Name = '..' }
            @{ Label = 'with a NUL'; Name = "a`0b" }
        ) {
            { Get-SharedMemory -Name $Name } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
        }
    }

    Context 'the object' {
        It 'has the properties the kernel reports, as stat shows them' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 5000 -Mode 0640 | Out-Null
            & $posix write $name 0 'ff'
            chown 65534:65534 "/dev/shm$name"
            $shm = Get-SharedMemory -Name $name
            $stat = (stat -c '%s|%a|%u|%g|%U|%G|%Z|%Y|%b' "/dev/shm$name") -split '\|'

            $shm.Kind | Should -Be Posix
            $shm.Name | Should -BeExactly $name
            $shm.Path | Should -BeExactly "/dev/shm$name"
            $shm.Size | Should -Be 5000 -Because 'the size is exact, not rounded to pages'
            $shm.Size | Should -Be $stat[0]
            $shm.Mode | Should -BeExactly '0640' -Because 'Mode is octal text, as -Mode takes it'
            $shm.Mode | Should -Be "0$($stat[1])"
            $shm.Permissions | Should -BeExactly 'rw-r-----'
            $shm.OwnerId | Should -Be 65534
            $shm.GroupId | Should -Be 65534
            $shm.Owner | Should -BeExactly $stat[4]
            $shm.Group | Should -BeExactly $stat[5]
            ([DateTimeOffset]$shm.ChangeTime).ToUnixTimeSeconds() | Should -Be $stat[6]
            ([DateTimeOffset]$shm.LastWriteTime).ToUnixTimeSeconds() | Should -Be $stat[7]
            $shm.AllocatedBytes | Should -Be ([long]$stat[8] * 512)
            $shm.AttachCount | Should -Be 0 # the processes mapping it (Processes.Tests.ps1)
        }

        It 'shows the default table view: Kind, Id, Size, Permissions, Owner, AttachCount, Name' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 4321 -Mode 0640 | Out-Null
            $lines = (Get-SharedMemory -Name $name | Format-Table | Out-String -Width 200) -split '\r?\n' | Where-Object { $_.Trim() }
            $lines[0] -split '\s+' -ne '' | Should -Be 'Kind', 'Id', 'Size', 'Permissions', 'Owner', 'AttachCount', 'Name'
            $lines[2] -split '\s+' -ne '' | Should -Be 'Posix', '4.2K', 'rw-r-----', (id -un), '0', $name -Because 'sizes show as lsipc and df -h show them'
            (Get-SharedMemory -Name $name).Size | Should -BeExactly 4321 -Because 'the property stays the exact number'
        }

        It 'shows long names in full in the default table, wrapped rather than cut, and the Id of a segment' {
            $name = New-TestName
            $name = $name + '-' + ('n' * (200 - $name.Length))
            New-SharedMemory -Name $name -Size 10 | Out-Null
            $segment = New-TestSharedMemory SystemV
            foreach ($width in 80, 300) {
                $text = Get-SharedMemory -Name $name | Out-String -Width $width
                $text | Should -Not -Match '…|\.\.\.'
                $lines = @($text -split '\r?\n' | Where-Object { $_.Trim() })
                $column = $lines[0].IndexOf('Name')
                # The Name column holds the name, continued on the lines below when it does not fit.
                -join ($lines | Select-Object -Skip 2 | ForEach-Object { $_.Substring([Math]::Min($column, $_.Length)).Trim() }) | Should -BeExactly $name
            }
            $row = (Get-SharedMemory -Id $segment.Id | Out-String -Width 200) -split '\r?\n' | Where-Object { $_.Trim() } | Select-Object -Last 1
            $row -split '\s+' -ne '' | Select-Object -First 2 | Should -Be 'SystemV', "$($segment.Id)"
        }

        It 'round-trips through ConvertTo-Json and ConvertFrom-Json (Name and Kind bind by property name)' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 100
            $json = $shm | ConvertTo-Json
            Resize-SharedMemory -Name $name -Size 200
            $again = $json | ConvertFrom-Json | Get-SharedMemory
            $again | Should -BeOfType ShmPS.PosixSharedMemory
            $again.Name | Should -BeExactly $name
            $again.Size | Should -Be 200
        }

        It 'round-trips through Export-Csv and Import-Csv' {
            $name = New-TestName
            $csv = Join-Path ([IO.Path]::GetTempPath()) "$($name.TrimStart('/')).csv"
            try {
                New-SharedMemory -Name $name -Size 100 | Export-Csv -LiteralPath $csv
                $again = Import-Csv -LiteralPath $csv | Get-SharedMemory
                $again | Should -BeOfType ShmPS.PosixSharedMemory
                $again.Name | Should -BeExactly $name
                $again.Size | Should -Be 100
            }
            finally {
                Remove-Item -LiteralPath $csv -ErrorAction SilentlyContinue
            }
        }

        It 'refreshes an object piped in' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 100
            Set-SharedMemoryPermission -Name $name -Mode 0644
            Resize-SharedMemory -Name $name -Size 300
            $shm.Size | Should -Be 100
            $refreshed = $shm | Get-SharedMemory
            $refreshed.Size | Should -Be 300
            $refreshed.Permissions | Should -BeExactly 'rw-r--r--'
            $shm.Size | Should -Be 300 -Because 'the object itself is refreshed'
        }

        It 'writes SharedMemoryNotFound for a piped object that was removed, and goes on' {
            $gone = New-SharedMemory -Name (New-TestName) -Size 10
            $kept = New-SharedMemory -Name (New-TestName) -Size 10
            Remove-SharedMemory -Name $gone.Name
            $out = $gone, $kept | Get-SharedMemory -ErrorAction SilentlyContinue -ErrorVariable errors
            $out.Name | Should -BeExactly $kept.Name
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
        }
    }
}

Describe 'Get-SharedMemory on every kind' -Tag Posix, SystemV, File {
    It 'takes an -Id beyond 32 bits and finds nothing there (SharedMemoryNotFound)' {
        { Get-SharedMemory -Id 4294967296 -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        { Get-SharedMemory -Id ([long]::MaxValue) -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
    }

    It 'reports a missing <Kind> object as SharedMemoryNotFound' -TestCases $EveryKind {
        $identity = New-TestIdentity $Kind
        { Get-SharedMemory @identity -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'reports a missing <Kind> object among several as a non-terminating error and still returns the others' -TestCases $EveryKind {
        $a = New-TestSharedMemory $Kind
        $b = New-TestSharedMemory $Kind
        $missing = New-TestIdentity $Kind
        $parameter = @($missing.Keys)[0]
        $names = @{ Name = 'Name'; Key = 'Key'; LiteralPath = 'Path' }
        $lookup = @{ $parameter = @($a.($names[$parameter]), $missing[$parameter], $b.($names[$parameter])) }
        $found = Get-SharedMemory @lookup -ErrorVariable errors -ErrorAction SilentlyContinue
        $found.Name | Should -Be @($a.Name, $b.Name)
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'finds the same <Kind> object again from ConvertTo-Json | ConvertFrom-Json' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind
        $copy = $shm | ConvertTo-Json | ConvertFrom-Json
        $found = @($copy | Get-SharedMemory)
        $found | Should -HaveCount 1
        $found[0] | Should -BeOfType $shm.GetType()
        $found[0].Name | Should -BeExactly $shm.Name
        if ($Kind -eq 'SystemV') {
            $found[0].Id | Should -Be $shm.Id
            $found[0].Key | Should -Be $shm.Key
        }
    }

    It 'refreshes a <Kind> object piped in, and the object itself' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind
        $identity = Get-TestIdentity $shm
        Set-SharedMemoryPermission @identity -Mode 0640
        $shm.Permissions | Should -BeExactly 'rw-------'
        $refreshed = $shm | Get-SharedMemory
        $refreshed.Permissions | Should -BeExactly 'rw-r-----'
        $shm.Permissions | Should -BeExactly 'rw-r-----' -Because 'the object itself is refreshed'
    }

    It 'refuses a <Kind> object whose name now holds another object, in every cmdlet, and leaves the new one alone' -TestCases @(
        @{ Kind = 'Posix' }, @{ Kind = 'File' }
    ) {
        $old = New-TestSharedMemory $Kind -Size 4096
        # Another file under the same name, made before the old one goes, so that it cannot get its inode number.
        [IO.File]::WriteAllBytes("$($old.Path).new", [byte[]]::new(8192))
        Move-Item -LiteralPath "$($old.Path).new" $old.Path -Force
        $commands = @(
            { $old | Get-SharedMemory }
            { $old | Read-SharedMemory -Count 1 }
            { $old | Write-SharedMemory -Value 'x' }
            { $old | Resize-SharedMemory -Size 10 -Force }
            { $old | Set-SharedMemoryPermission -Mode 0604 }
            { $old | Lock-SharedMemory -ScriptBlock { } }
            { $old | Remove-SharedMemory -Force }
            { $old.Refresh() }
        )
        foreach ($command in $commands) {
            $err = $null
            try { & $command -ErrorAction Stop | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because "$command must not act on the new file"
            $id = if ($err.Exception.InnerException -is [ShmPS.SharedMemoryException]) { $err.Exception.InnerException.ErrorId } else { ($err.FullyQualifiedErrorId -split ',')[0] }
            $id | Should -Be 'SharedMemoryNotFound' -Because "$command"
        }
        (Get-Item -LiteralPath $old.Path).Length | Should -Be 8192
        [Convert]::ToString([int](Get-Item -LiteralPath $old.Path).UnixFileMode, 8) | Should -Not -Be '604'
        $old.Size | Should -Be 4096 -Because 'the object stays the one it was'
    }
}

Describe 'Get-SharedMemory -Kind SystemV' -Tag SystemV {
    It 'lists System V segments beside POSIX objects, and -Kind filters them' {
        $segment = New-TestSharedMemory SystemV
        $name = New-TestName
        $posix = New-SharedMemory -Name $name -Size 4096

        $all = Get-SharedMemory
        $all | Where-Object { $_.Kind -eq 'SystemV' -and $_.Id -eq $segment.Id } | Should -HaveCount 1
        $all | Where-Object { $_.Kind -eq 'Posix' -and $_.Name -eq $posix.Name } | Should -HaveCount 1

        # Other processes may create or remove segments meanwhile: those present before and after must be listed.
        $before = @(Get-SysvIpcTable shm).shmid
        $sysv = Get-SharedMemory -Kind SystemV
        $after = @(Get-SysvIpcTable shm).shmid
        $sysv.Kind | Should -Not -Contain 'Posix'
        $sysv.Id | Should -Contain $segment.Id
        $before | Where-Object { $_ -in $after -and $_ -notin $sysv.Id } |
            Should -BeNullOrEmpty -Because 'every segment in /proc/sysvipc/shm is listed'

        $onlyPosix = Get-SharedMemory -Kind Posix
        $onlyPosix.Kind | Should -Not -Contain 'SystemV'
        $onlyPosix.Name | Should -Contain $posix.Name
    }

    It 'looks up several segments by -Key and by -Id' {
        $a = New-TestSharedMemory SystemV -Size 4096
        $b = New-TestSharedMemory SystemV -Size 8192
        $byKey = Get-SharedMemory -Key $a.Key, $b.Key
        $byKey.Id | Should -Be @($a.Id, $b.Id)
        $byKey | ForEach-Object { $_ | Should -BeOfType ShmPS.SystemVSharedMemory }
        $byId = Get-SharedMemory -Id $b.Id, $a.Id
        $byId.Key | Should -Be @($b.Key, $a.Key)
        $byId.Size | Should -Be @(8192, 4096)
    }

    It 'reports a missing key among several as a non-terminating error and still returns the others' {
        $a = New-TestSharedMemory SystemV
        $b = New-TestSharedMemory SystemV
        $missing = New-TestKey
        $found = Get-SharedMemory -Key $a.Key, $missing, $b.Key -ErrorVariable errors -ErrorAction SilentlyContinue
        $found.Id | Should -Be @($a.Id, $b.Id)
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports a missing id as SharedMemoryNotFound' {
        # Index 32767 of the id (id % 32768) is never used while fewer than 32768 segments exist.
        $id = [int]::MaxValue
        Get-SysvIpcTable shm -Id $id | Should -BeNullOrEmpty
        { Get-SharedMemory -Id $id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'agrees with every column of /proc/sysvipc/shm for a 3333-byte segment attached by another process' {
        $shm = New-TestSharedMemory SystemV -Size 3333 -Mode 0640
        Write-SharedMemory -Id $shm.Id -Value (New-RandomBytes 16)   # attach and detach: atime, dtime, lpid
        # Owner differs from creator, so swapped uid/cuid columns would show.
        Set-SharedMemoryPermission -Id $shm.Id -Owner 65534 -Group 65534
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready

        $got = Get-SharedMemory -Id $shm.Id
        $row = Get-SysvIpcTable shm -Id $shm.Id

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
        Stop-TestProcess $holder
    }

    It 'gives the times of /proc/sysvipc/shm as local times in a time zone other than UTC' {
        $shm = New-TestSharedMemory SystemV
        Write-SharedMemory -Id $shm.Id -Value 1
        $row = Get-SysvIpcTable shm -Id $shm.Id
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
        $shm = New-TestSharedMemory SystemV -Size 5000 -Mode 0604
        Write-SharedMemory -Id $shm.Id -Value (New-RandomBytes 8)
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready
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
        [Convert]::ToInt32($l.perms, 8) | Should -Be ([Convert]::ToInt32($got.Mode, 8))
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
        Stop-TestProcess $holder
    }

    It 'agrees with ipcs -m on key, id, owner, perms, size and attach count' {
        $shm = New-TestSharedMemory SystemV -Size 12345 -Mode 0640
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready
        $got = Get-SharedMemory -Id $shm.Id
        $ipcs = Get-IpcsRow $shm.Id
        $ipcs | Should -Not -BeNullOrEmpty
        $ipcs.Key | Should -BeExactly $got.Name
        $ipcs.Id | Should -Be $got.Id
        $ipcs.Owner | Should -BeExactly $got.Owner
        $ipcs.Perms | Should -Be ([Convert]::ToString([Convert]::ToInt32($got.Mode, 8), 8))
        $ipcs.Bytes | Should -Be $got.Size
        $ipcs.Nattch | Should -Be $got.AttachCount
        $ipcs.Nattch | Should -Be 1
        Stop-TestProcess $holder
    }

    It 'lists a segment made by ipcmk with its size and mode' {
        $out = ipcmk -M 4096 -p 0640
        if ($LASTEXITCODE) { throw "ipcmk failed: $out" }
        $id = [int](-split $out)[-1]
        Register-TestSharedMemory -Id $id
        $got = Get-SharedMemory -Id $id
        $got.Size | Should -Be 4096
        $got.Permissions | Should -BeExactly 'rw-r-----'
        $got.Key | Should -Be (Get-SysvIpcTable shm -Id $id).key
        (Get-SharedMemory -Kind SystemV).Id | Should -Contain $id
    }

    It 'finds a private segment again from ConvertTo-Json | ConvertFrom-Json, by its id' {
        # Key 0 names no segment, but the object carries its Id, which does.
        $shm = New-SharedMemory -Private -Size 4096
        Register-TestSharedMemory -Id $shm.Id
        $copy = $shm | ConvertTo-Json | ConvertFrom-Json
        $found = @($copy | Get-SharedMemory)
        $found | Should -HaveCount 1
        $found[0].Id | Should -Be $shm.Id
        $data = New-RandomBytes 8
        $shm.Write(0, $data)
        ConvertTo-Hex ($copy | Read-SharedMemory -Count 8) | Should -Be (ConvertTo-Hex $data)
    }

    It 'shows a segment locked with SHM_LOCK as IsLocked, as /proc, ipcs and lsipc do' {
        $shm = New-TestSharedMemory SystemV
        $out = & $Sysv lock $shm.Id
        $LASTEXITCODE | Should -Be 0 -Because $out
        try {
            $got = Get-SharedMemory -Id $shm.Id
            $got.IsLocked | Should -BeTrue
            $got.IsMarkedForDeletion | Should -BeFalse
            [Convert]::ToInt32("$((Get-SysvIpcTable shm -Id $shm.Id).perms)", 8) | Should -Be (ConvertTo-ProcPerms $got)
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
        $shm = New-TestSharedMemory SystemV
        $line = "$Command -Key $($shm.Name.Substring(0, 9))"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain $shm.Name
        $completions | ForEach-Object { $_ | Should -BeLike "$($shm.Name.Substring(0, 9))*" }
    }

    It 'completes -Id with segment ids in <Command>' -TestCases $CompletingCommands {
        param($Command)
        $shm = New-TestSharedMemory SystemV
        $line = "$Command -Id $($shm.Id)"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain "$($shm.Id)"
        $completions | ForEach-Object { $_ | Should -BeLike "$($shm.Id)*" }
    }
}

Describe 'Sizes as people read them, exact numbers in the properties' -Tag SystemV {
    BeforeAll {
        $script:Sizes = 100, 1997, 3333, 1048575, 33554432, 123456789
        $script:Segments = @(foreach ($size in $Sizes) { New-TestSharedMemory SystemV -Size $size })
        # lsipc's own human form of each segment's size, by shmid.
        $script:Lsipc = @{}
        foreach ($line in lsipc -m --noheadings --raw -o ID,SIZE) {
            $id, $human = $line -split ' '
            $Lsipc[[int]$id] = $human
        }
    }
    AfterAll { Remove-TestSharedMemory }

    It 'shows every size in the default table as lsipc shows it' {
        $text = $Segments | Format-Table | Out-String -Width 200
        $rows = @($text -split '\r?\n' | Where-Object { $_ -match '^SystemV' })
        $rows.Count | Should -Be $Sizes.Count
        foreach ($row in $rows) {
            $fields = $row -split '\s+' -ne ''
            $id, $size = $fields[1], $fields[2]
            $size | Should -BeExactly $Lsipc[[int]$id] -Because "lsipc shows segment $id as $($Lsipc[[int]$id])"
        }
        $Lsipc[$Segments[4].Id] | Should -BeExactly '32M' -Because 'lsipc was read'
    }

    It 'shows the size and the exact bytes in the list view' {
        $text = $Segments[2] | Format-List | Out-String -Width 200
        $text | Should -Match "(?m)^Size\s+: $([regex]::Escape($Lsipc[$Segments[2].Id])) \(3333 bytes\)\s*$"
    }

    It 'keeps Size an exact number: sorting and Measure-Object -Sum work on it' {
        $found = @(Get-SharedMemory -Id $Segments.Id)
        $found[0].Size | Should -BeOfType [long]
        ($found | Sort-Object Size).Size | Should -Be ($Sizes | Sort-Object)
        ($found | Sort-Object Size -Descending)[0].Size | Should -Be 123456789
        ($found | Measure-Object -Property Size -Sum).Sum | Should -Be ($Sizes | Measure-Object -Sum).Sum
    }

    It 'shows the sizes of the processes that map an object in their table as lsipc would' {
        $holder = Start-TestProcess (Get-NativeTool sysv) 'hold', $Segments[5].Id -Ready
        try {
            $text = (Get-SharedMemory -Id $Segments[5].Id).Processes | Out-String -Width 200
            $text | Should -Match "(?m)^\s*$($holder.Id)\s+sysv\s.*\s117\.7M\s"
        }
        finally { Stop-TestProcess $holder }
    }
}

Describe 'Format-Table -View Ipcs' -Tag SystemV {
    BeforeAll {
        $script:Sysv = Get-NativeTool sysv
        # The rows of ipcs -m, as fields: key shmid owner perms bytes nattch [status].
        function Get-IpcsRowFields {
            ipcs -m | Where-Object { $_ -match '^0x' } | ForEach-Object { , @($_ -split '\s+' -ne '') }
        }
        function Get-ViewRowFields([object[]] $Objects) {
            $Objects | Format-Table -View Ipcs | Out-String -Width 250 -Stream | Where-Object { $_ -match '^0x' } |
                ForEach-Object { , @($_ -split '\s+' -ne '') }
        }
    }
    AfterEach { Stop-TestProcess; Remove-TestSharedMemory }

    It 'has the columns of ipcs -m, in its order, and the same rows with the same values' {
        $plain = New-TestSharedMemory SystemV -Size 3333 -Mode 0640
        $attached = New-TestSharedMemory SystemV -Size 1MB
        $holder = Start-TestProcess $Sysv 'hold', $attached.Id -Ready
        $removed = New-TestSharedMemory SystemV -Size 100
        $removedHolder = Start-TestProcess $Sysv 'hold', $removed.Id -Ready
        Remove-SharedMemory -Id $removed.Id -WarningAction SilentlyContinue # marked: key 0, status dest
        $private = New-SharedMemory -Private -Size 10
        Register-TestSharedMemory -InputObject $private

        $header = (Get-SharedMemory -Kind SystemV | Format-Table -View Ipcs | Out-String -Width 250 -Stream | Where-Object { $_.Trim() } | Select-Object -First 1) -split '\s+' -ne ''
        $header | Should -Be 'key', 'shmid', 'owner', 'perms', 'bytes', 'nattch', 'status', 'name'

        $expected = @(Get-IpcsRowFields | ForEach-Object { $_ -join ' ' } | Sort-Object)
        $shown = @(Get-ViewRowFields (Get-SharedMemory -Kind SystemV) | ForEach-Object { $_ -join ' ' } | Sort-Object)
        $expected.Count | Should -BeGreaterOrEqual 4
        $shown | Should -Be $expected
        $shown | Should -Contain ("{0} {1} {2} 640 3333 0" -f $plain.Name, $plain.Id, (id -un))
        $shown | Should -Contain ("0x00000000 {0} {1} 600 100 1 dest" -f $removed.Id, (id -un))
        $shown | Should -Contain ("{0} {1} {2} 600 1048576 1" -f $attached.Name, $attached.Id, (id -un))
    }

    It 'lines a segment up with ipcs -m, column for column' {
        $segment = New-TestSharedMemory SystemV -Size 4096
        $ipcs = ipcs -m | Where-Object { $_ -match "^0x\S+\s+$($segment.Id)\s" }
        $view = $segment | Format-Table -View Ipcs | Out-String -Width 250 -Stream | Where-Object { $_ -match '^0x' }
        $view.TrimEnd() | Should -BeExactly $ipcs.TrimEnd()
    }

    It 'shows POSIX objects and file mappings with no key or shmid, and their name last' {
        $posix = New-TestSharedMemory Posix -Size 4096 -Mode 0640
        $file = New-TestSharedMemory File -Size 100
        $rows = @($posix, $file | Format-Table -View Ipcs | Out-String -Width 250 -Stream | Where-Object { $_ -match '^- ' } | ForEach-Object { , @($_ -split '\s+' -ne '') })
        $rows[0] -join ' ' | Should -BeExactly ('- - {0} 640 4096 0 {1}' -f (id -un), $posix.Name)
        $rows[1] -join ' ' | Should -BeExactly ('- - {0} 600 100 0 {1}' -f (id -un), $file.Name)
    }
}

Describe 'Get-SharedMemory -Path and -LiteralPath' -Tag File {
    It 'describes the file as a FileSharedMemory' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 1234 -Mode 0640
        chown 65534:65534 $path
        $shm = Get-SharedMemory -LiteralPath $path
        $item = Get-Item -LiteralPath $path
        $shm | Should -BeOfType ShmPS.FileSharedMemory
        $shm.Kind | Should -Be 'File'
        $shm.Path | Should -Be $path
        $shm.Name | Should -Be $path
        $shm.Size | Should -Be 1234
        $shm.Permissions | Should -BeExactly 'rw-r-----'
        $shm.OwnerId | Should -Be 65534
        $shm.GroupId | Should -Be 65534
        $shm.Owner | Should -Be (getent passwd 65534).Split(':')[0]
        $shm.LastWriteTime | Should -Be $item.LastWriteTime
        $shm.AllocatedBytes | Should -Be (Get-FileStat $path).Allocated
    }

    It 'reports a missing file as SharedMemoryNotFound' {
        $path = New-TestPath
        { Get-SharedMemory -LiteralPath $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        { Read-SharedMemory -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.ReadSharedMemoryCommand'
        { Remove-SharedMemory -Path $path -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.RemoveSharedMemoryCommand'
    }

    It 'expands wildcards in -Path for Get, Read, Write and Remove' {
        $dir = New-TestDirectory
        $bins = 'one.bin', 'two.bin', 'three.bin' | ForEach-Object { (New-SharedMemory -Path (Join-Path $dir $_) -Size 64).Path }
        $other = (New-SharedMemory -Path (Join-Path $dir 'other.txt') -Size 64).Path
        $pattern = Join-Path $dir '*.bin'

        (Get-SharedMemory -Path $pattern).Path | Sort-Object | Should -Be ($bins | Sort-Object)

        $data = New-RandomBytes 16
        Write-SharedMemory -Path $pattern -Value $data
        $read = @(Read-SharedMemory -Path $pattern -Count 16)
        $read | Should -HaveCount 3
        $read | ForEach-Object { ConvertTo-Hex $_ | Should -Be (ConvertTo-Hex $data) }
        ConvertTo-Hex ([IO.File]::ReadAllBytes($other)[0..15]) | Should -Not -Be (ConvertTo-Hex $data)

        Remove-SharedMemory -Path $pattern -Force
        $bins | ForEach-Object { Test-Path -LiteralPath $_ | Should -BeFalse }
        Test-Path -LiteralPath $other | Should -BeTrue
    }

    It 'takes wildcard characters literally in -LiteralPath' {
        $dir = New-TestDirectory
        $bracket = Join-Path $dir 'a[1].bin'
        $plain = Join-Path $dir 'a1.bin'
        $null = New-SharedMemory -LiteralPath $bracket -Size 64
        $null = New-SharedMemory -Path $plain -Size 64
        Test-Path -LiteralPath $bracket | Should -BeTrue

        (Get-SharedMemory -LiteralPath $bracket).Path | Should -Be $bracket
        (Get-SharedMemory -Path $bracket).Path | Should -Be $plain -Because '-Path reads [1] as a wildcard'

        $data = New-RandomBytes 8
        Write-SharedMemory -LiteralPath $bracket -Value $data
        ConvertTo-Hex (Read-SharedMemory -LiteralPath $bracket -Count 8) | Should -Be (ConvertTo-Hex $data)
        ConvertTo-Hex ([IO.File]::ReadAllBytes($plain)[0..7]) | Should -Not -Be (ConvertTo-Hex $data)

        Remove-SharedMemory -LiteralPath $bracket -Force
        Test-Path -LiteralPath $bracket | Should -BeFalse
        Test-Path -LiteralPath $plain | Should -BeTrue
    }

}

Describe 'Files piped from Get-ChildItem' -Tag File {
    BeforeAll {
        $script:Dir = Join-Path ([IO.Path]::GetTempPath()) "shmps-pipe-$PID"
        New-Item -ItemType Directory $Dir -Force | Out-Null
        New-SharedMemory -Path (Join-Path $Dir 'a.bin') -Size 100 | Out-Null
        New-SharedMemory -Path (Join-Path $Dir 'b.bin') -Size 200 | Out-Null
    }
    AfterAll { Remove-Item $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'are found as shared file mappings by their full path, not as POSIX names' {
        $found = Get-ChildItem (Join-Path $Dir '*.bin') | Get-SharedMemory
        $found.Kind | Should -Be @('File', 'File')
        $found.Name | Should -Be @((Join-Path $Dir 'a.bin'), (Join-Path $Dir 'b.bin'))
        $found.Size | Should -Be @(100, 200)
    }

    It 'drive Write-, Read- and Remove-SharedMemory' {
        Get-ChildItem (Join-Path $Dir '*.bin') | Write-SharedMemory -Value 42L
        Get-ChildItem (Join-Path $Dir '*.bin') | Read-SharedMemory -As Int64 -Count 1 | Should -Be @(42, 42)
        Get-ChildItem (Join-Path $Dir 'a.bin') | Remove-SharedMemory -Force
        Join-Path $Dir 'a.bin' | Should -Not -Exist
        Join-Path $Dir 'b.bin' | Should -Exist
    }
}

Describe 'Get-SharedMemory -Name with the Name a listing shows' -Tag SystemV {
    It 'finds a System V segment by the key its Name shows, while cmdlets that change objects read -Name as POSIX only' {
        $segment = New-SharedMemory -Key (New-TestKey) -Size 4KB
        try {
            $found = @(Get-SharedMemory -Name $segment.Name)
            $found | Should -HaveCount 1
            $found[0].Id | Should -Be $segment.Id
            $found[0].Kind | Should -Be 'SystemV'
            { Remove-SharedMemory -Name $segment.Name -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
            (Get-SharedMemory -Id $segment.Id).Id | Should -Be $segment.Id -Because 'a removal by -Name never guesses the kind'
            { Get-SharedMemory -Name '/shmps-test-no-such-object' -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        }
        finally {
            Remove-SharedMemory -Id $segment.Id -ErrorAction SilentlyContinue
        }
    }
}
