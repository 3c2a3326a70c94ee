# Rows know where they live: every object carries HostId (machine, boot, IPC and mount namespace) and keeps
# it through ConvertTo-Json, Export-Csv and remoting. A row whose HostId is not this process's is refused
# (RemoteObject) whatever its PSComputerName says: a JSON row made in a container (unshare -i -m with a
# /dev/shm of its own) does not remove the host's object of the same name, even as '127.0.0.1'; a row of
# this host that came back through a loopback session (Start-Job: 'localhost') works; a row without
# HostId (typed by hand) binds as before. Objects listed with -ProcessId carry that namespace's HostId.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $EveryKind = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    unshare -i -m true 2>$null
    $script:CanUnshare = -not $LASTEXITCODE
    $script:Container = 'unshare', '-i', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /dev/shm && exec "$0" "$@"'
    $script:LocalHostId = '{0}/{1}/{2}/{3}' -f (Get-Content /etc/machine-id).Trim(), (Get-Content /proc/sys/kernel/random/boot_id).Trim(),
        (Get-Item "/proc/$PID/ns/ipc").Target, (Get-Item "/proc/$PID/ns/mnt").Target

    function script:Get-ContainerRow {
        <# The JSON of an object made, with the same identity, by a pwsh in new IPC and mount namespaces. #>
        param([string] $Kind, [string] $Identity)
        $make = if ($Kind -eq 'SystemV') { "New-SharedMemory -Key $Identity -Size 4096" } else { "New-SharedMemory -Name '$Identity' -Size 4096" }
        $r = Invoke-ChildPwsh "`$shm = $make; `$shm | Write-SharedMemory -Value 'inside'; `$shm | ConvertTo-Json -Depth 1 -WarningAction SilentlyContinue" -Launcher $Container
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output | ConvertFrom-Json
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'HostId' {
    It 'a <Kind> object carries machine, boot and this process''s IPC and mount namespaces' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind
        $shm.HostId | Should -BeExactly $LocalHostId
        (Get-SharedMemory -Name $shm.Name -Kind $Kind).HostId | Should -BeExactly $LocalHostId
    }

    It 'survives <Way> and the row still acts here' -TestCases @(
        @{ Way = 'ConvertTo-Json'; Convert = { param($o) $o | ConvertTo-Json -Depth 1 -WarningAction SilentlyContinue | ConvertFrom-Json } }
        @{ Way = 'Export-Csv'; Convert = { param($o) $o | ConvertTo-Csv | ConvertFrom-Csv } }
        @{ Way = 'remoting serialization'; Convert = { param($o) [Management.Automation.PSSerializer]::Deserialize([Management.Automation.PSSerializer]::Serialize($o)) } }
    ) {
        $shm = New-TestSharedMemory Posix
        $row = & $Convert $shm
        $row.HostId | Should -BeExactly $LocalHostId
        $row | Write-SharedMemory -Value 'row'
        $shm.ReadString(0, 3) | Should -BeExactly 'row'
    }
}

Describe 'a row made in a container' {
    It 'does not touch the host''s <Kind> object of the same identity, whatever its PSComputerName says' -TestCases @(
        @{ Kind = 'Posix' }, @{ Kind = 'SystemV' }
    ) {
        if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root' }
        $shm = New-TestSharedMemory $Kind
        $shm | Write-SharedMemory -Value 'host'
        $identity = if ($Kind -eq 'SystemV') { $shm.Key } else { $shm.Name }
        $row = Get-ContainerRow $Kind $identity
        $row.Name | Should -BeExactly $shm.Name
        $row.HostId | Should -Not -Be $LocalHostId
        foreach ($computer in $null, '127.0.0.1', 'localhost', [Environment]::MachineName) {
            $copy = $row.psobject.Copy()
            if ($computer) { $copy | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $computer }
            foreach ($command in 'Remove-SharedMemory', 'Write-SharedMemory', 'Read-SharedMemory', 'Get-SharedMemory') {
                $parameters = @{}
                if ($command -eq 'Write-SharedMemory') { $parameters.Value = 'row' }
                $out = $copy | & $command @parameters -ErrorVariable errors -ErrorAction SilentlyContinue
                $out | Should -BeNullOrEmpty
                $errors | Should -HaveCount 1 -Because "$command, PSComputerName '$computer'"
                $errors[0].FullyQualifiedErrorId | Should -BeLike 'RemoteObject,*'
                $errors[0].Exception.Message.Contains($row.HostId) | Should -BeTrue
            }
        }
        $shm.Refresh()
        $shm.ReadString(0, 4) | Should -BeExactly 'host'
    }

    It 'New-SharedMemory makes nothing from it' {
        if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root' }
        $name = New-TestName
        $row = Get-ContainerRow Posix $name
        $row | New-SharedMemory -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RemoteObject,*'
        "/dev/shm$name" | Should -Not -Exist
    }
}

Describe 'rows through a loopback session' -Tag Posix {
    It 'a row of this host that came back through Start-Job (PSComputerName localhost) acts, also as 127.0.0.1' {
        $shm = New-TestSharedMemory Posix
        $row = Start-Job { Import-Module $using:ModulePath; Get-SharedMemory -Name $using:shm.Name } | Receive-Job -Wait -AutoRemoveJob
        $row.PSComputerName | Should -Be 'localhost'
        $row.pstypenames | Should -Contain 'Deserialized.ShmPS.PosixSharedMemory'
        $row | Write-SharedMemory -Value 'job'
        $shm.ReadString(0, 3) | Should -BeExactly 'job'
        $row.PSComputerName = '127.0.0.1'
        $row | Write-SharedMemory -Value 'lo!'
        $shm.ReadString(0, 3) | Should -BeExactly 'lo!'
        $row.PSComputerName = 'an-alias-of-this-host'
        $row | Write-SharedMemory -Value 'dns'
        $shm.ReadString(0, 3) | Should -BeExactly 'dns'
    }

    It 'a row with another HostId and this computer''s name is refused' {
        $shm = New-TestSharedMemory Posix
        $row = [Management.Automation.PSSerializer]::Deserialize([Management.Automation.PSSerializer]::Serialize($shm))
        $row.HostId = 'another-machine/another-boot/ipc:[1]/mnt:[2]'
        $row | Add-Member -NotePropertyName PSComputerName -NotePropertyValue ([Environment]::MachineName)
        $row | Remove-SharedMemory -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RemoteObject,*'
        $shm.Path | Should -Exist
    }

    It 'a row without HostId binds as before' {
        $shm = New-TestSharedMemory Posix
        [pscustomobject]@{ Name = $shm.Name; PSComputerName = 'localhost' } | Write-SharedMemory -Value 'typed'
        $shm.ReadString(0, 5) | Should -BeExactly 'typed'
        [pscustomobject]@{ Name = $shm.Name; PSComputerName = 'otherhost' } | Write-SharedMemory -Value 'other' -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RemoteObject,*'
        $shm.ReadString(0, 5) | Should -BeExactly 'typed'
    }

    It '-WhatIf says where a row came from (a child pwsh: what the terminal gets)' {
        $r = Invoke-ChildPwsh @'
$shm = New-SharedMemory -Size 4096
$row = [Management.Automation.PSSerializer]::Deserialize([Management.Automation.PSSerializer]::Serialize($shm))
$row | Add-Member -NotePropertyName PSComputerName -NotePropertyValue '127.0.0.1'
$row | Remove-SharedMemory -WhatIf
$shm | Remove-SharedMemory -WhatIf
$shm | Remove-SharedMemory
'@
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $lines = $r.Output -split "`n" | Where-Object { $_ -like 'What if:*' }
        $lines | Should -HaveCount 2
        $lines[0] | Should -BeLike '*on target "/shmps-*(a row from 127.0.0.1)".'
        $lines[1] | Should -Not -BeLike '*a row from*'
    }
}

Describe 'objects of another namespace (-ProcessId)' -Tag Posix {
    It 'carry that namespace in their HostId, and their rows are refused here' {
        if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root' }
        $shm = New-TestSharedMemory Posix
        $shm | Write-SharedMemory -Value 'host'
        $script = 'mount -t tmpfs tmpfs /dev/shm && python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_CREAT|os.O_RDWR, 0o600); os.write(fd, b\"inside\")" "/dev/shm$0" && echo ready && exec sleep 300'
        $p = Start-TestProcess unshare -ArgumentList '-i', '-m', '--propagation', 'private', 'sh', '-c', $script, $shm.Name -Ready
        $inside = Get-SharedMemory -ProcessId $p.Id -Name $shm.Name
        $inside.HostId | Should -BeLike ("*/{0}/{1}" -f (Get-Item "/proc/$($p.Id)/ns/ipc").Target, (Get-Item "/proc/$($p.Id)/ns/mnt").Target).Replace('[', '`[').Replace(']', '`]')
        $inside.HostId | Should -Not -Be $LocalHostId
        $row = $inside | ConvertTo-Json -Depth 1 -WarningAction SilentlyContinue | ConvertFrom-Json
        Read-SharedMemory -InputObject $inside -Count 6 -Encoding utf8 | Should -BeExactly 'inside'
        $row | Read-SharedMemory -Count 4 -Encoding utf8 -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RemoteObject,*'
    }
}
