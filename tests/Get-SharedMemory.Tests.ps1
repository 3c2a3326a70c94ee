BeforeAll { . $PSScriptRoot/common.ps1 }

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
    AfterAll { Remove-TestObjects }

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
            $shm.Mode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead')
            [Convert]::ToString([int]$shm.Mode, 8) | Should -Be $stat[1]
            $shm.Permissions | Should -BeExactly 'rw-r-----'
            $shm.OwnerId | Should -Be 65534
            $shm.GroupId | Should -Be 65534
            $shm.Owner | Should -BeExactly $stat[4]
            $shm.Group | Should -BeExactly $stat[5]
            ([DateTimeOffset]$shm.ChangeTime).ToUnixTimeSeconds() | Should -Be $stat[6]
            ([DateTimeOffset]$shm.LastWriteTime).ToUnixTimeSeconds() | Should -Be $stat[7]
            $shm.AllocatedBytes | Should -Be ([long]$stat[8] * 512)
            $shm.AttachCount | Should -BeNullOrEmpty
        }

        It 'shows the default table view: Kind, Name, Size, Permissions, Owner, AttachCount' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 4321 -Mode 0640 | Out-Null
            $lines = (Get-SharedMemory -Name $name | Format-Table | Out-String -Width 200) -split '\r?\n' | Where-Object { $_.Trim() }
            $lines[0] -split '\s+' -ne '' | Should -Be 'Kind', 'Name', 'Size', 'Permissions', 'Owner', 'AttachCount'
            $lines[2] -split '\s+' -ne '' | Should -Be 'Posix', $name, '4321', 'rw-r-----', (id -un)
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
