# Remove-SharedMemory: POSIX names (shm_unlink, with the object living on while open), what every kind
# shares (removal, -WhatIf), System V segments (IPC_RMID, marked until the last detach, ipcmk and ipcrm)
# and shared file mappings (deleting a file is High impact).

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
    $script:RemoveConfirmations = @(@{ How = '-Force'; Parameters = @{ Force = $true } }, @{ How = '-Confirm:$false'; Parameters = @{ Confirm = $false } })
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $Sysv = Get-NativeTool sysv

    function Wait-Gone([int] $Id) {
        $null = Wait-Until -TimeoutSeconds 2 { -not (Get-SysvIpcTable shm -Id $Id) }
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Remove-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix
    }
    BeforeEach {
        $name = New-TestName
        New-SharedMemory -Name $name -Size 64 | Out-Null
    }
    AfterAll { Remove-TestSharedMemory }

    It 'removes an object by name, with or without the leading slash' {
        Remove-SharedMemory -Name $name | Should -BeNullOrEmpty
        Test-Path "/dev/shm$name" | Should -BeFalse
        $other = New-TestName
        New-SharedMemory -Name $other -Size 1 | Out-Null
        Remove-SharedMemory $other.TrimStart('/')
        Test-Path "/dev/shm$other" | Should -BeFalse
    }

    It 'removes the object given as -InputObject' {
        $shm = Get-SharedMemory -Name $name
        Remove-SharedMemory -InputObject $shm
        Test-Path "/dev/shm$name" | Should -BeFalse
    }

    It 'removes nothing with -WhatIf' {
        Remove-SharedMemory -Name $name -WhatIf
        Get-SharedMemory -Name $name | Remove-SharedMemory -WhatIf
        Test-Path "/dev/shm$name" | Should -BeTrue
    }

    It 'removes without asking with -Confirm:$false' {
        Remove-SharedMemory -Name $name -Confirm:$false
        Test-Path "/dev/shm$name" | Should -BeFalse
    }

    It 'removes what Get-SharedMemory pipes in, and nothing else' {
        $stem = New-TestName
        foreach ($s in 'a', 'b', 'c') { New-SharedMemory -Name "$stem-$s" -Size 1 | Out-Null }
        Get-SharedMemory "$stem-*" | Remove-SharedMemory
        Get-SharedMemory "$stem-*" | Should -BeNullOrEmpty
        Test-Path "/dev/shm$name" | Should -BeTrue
    }

    It 'removes the objects a wildcard -Name matches' {
        $stem = New-TestName
        foreach ($s in 'a', 'b') { New-SharedMemory -Name "$stem-$s" -Size 1 | Out-Null }
        Remove-SharedMemory -Name "$stem-*"
        Test-Path "/dev/shm$stem-a", "/dev/shm$stem-b" | Should -Be $false, $false
        Test-Path "/dev/shm$name" | Should -BeTrue
    }

    It 'removes an object that another program created' {
        $other = New-TestName
        & $posix create $other 10 600
        Remove-SharedMemory -Name $other
        Test-Path "/dev/shm$other" | Should -BeFalse
    }

    It 'writes a non-terminating SharedMemoryNotFound (ObjectNotFound) for a missing name and goes on' {
        $missing = New-TestName
        Remove-SharedMemory -Name $missing, $name -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
        $errors[0].CategoryInfo.Category | Should -Be ObjectNotFound
        $errors[0].TargetObject | Should -Be $missing
        Test-Path "/dev/shm$name" | Should -BeFalse
    }

    It 'throws SharedMemoryNotFound when removing twice' {
        $shm = Get-SharedMemory -Name $name
        Remove-SharedMemory -InputObject $shm
        { Remove-SharedMemory -InputObject $shm } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        { Remove-SharedMemory -Name $name } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
    }

    It 'refuses the invalid name <Label>' -TestCases @(
        @{ Label = "''"; Bad = '' }, @{ Label = "'/a/b'"; Bad = '/a/b' }, @{ Label = "'..'"; Bad = '..' }
        @{ Label = 'with a NUL'; Bad = "a`0b" }, @{ Label = 'of 256 bytes'; Bad = 'x' * 256 }
    ) {
        { Remove-SharedMemory -Name $Bad } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
    }

    It 'removes only the name: a process that holds the object open keeps using it' {
        Write-SharedMemory -Name $name -Value ([byte[]](0xca, 0xfe, 0xba, 0xbe))
        $holder = Start-TestProcess $posix 'hold', $name, '0', '4' -Ready
        try {
            $holder.ReadyLine | Should -Be 'ready'
            Remove-SharedMemory -Name $name
            Test-Path "/dev/shm$name" | Should -BeFalse
            Get-SharedMemory -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            # The name is free again, for a new and different object.
            New-SharedMemory -Name $name -Size 4 | Out-Null
            Write-SharedMemory -Name $name -Value ([byte[]](1, 2, 3, 4))
            $holder.StandardInput.WriteLine('go')
            $holder.StandardInput.Close()
            $holder.StandardOutput.ReadLine() | Should -Be 'cafebabe'
            $holder.WaitForExit()
            $holder.ExitCode | Should -Be 0 -Because $holder.StandardError.ReadToEnd()
        }
        finally {
            Stop-TestProcess $holder
        }
    }
}

Describe 'Remove-SharedMemory on every kind' -Tag Posix, SystemV, File {
    It 'removes a <Kind> object, which is then SharedMemoryNotFound' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind
        $identity = Get-TestIdentity $shm
        Remove-SharedMemory @identity -Confirm:$false
        Test-TestIdentity $identity | Should -BeFalse
        { Get-SharedMemory @identity -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'leaves a <Kind> object as it was with -WhatIf' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 64
        $identity = Get-TestIdentity $shm
        Remove-SharedMemory @identity -WhatIf
        $shm | Remove-SharedMemory -WhatIf
        Test-TestIdentity $identity | Should -BeTrue
        (Get-KernelView $shm).Size | Should -Be 64
    }
}

Describe 'Remove-SharedMemory -Kind SystemV' -Tag SystemV {
    It 'removes a segment that nothing is attached to at once' {
        $shm = New-TestSharedMemory SystemV
        Remove-SharedMemory -Key $shm.Key
        Get-SysvIpcTable shm -Id $shm.Id | Should -BeNullOrEmpty
        { Get-SharedMemory -Id $shm.Id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'removes a segment made by ipcmk by -Id' {
        $out = ipcmk -M 4096 -p 0640
        if ($LASTEXITCODE) { throw "ipcmk failed: $out" }
        $id = [int](-split $out)[-1]
        Register-TestSharedMemory -Id $id
        Remove-SharedMemory -Id $id
        Get-SysvIpcTable shm -Id $id | Should -BeNullOrEmpty
        Get-IpcsRow $id | Should -BeNullOrEmpty
    }

    It 'is undone by ipcrm -m for a segment made by ShmPS' {
        $shm = New-TestSharedMemory SystemV
        $out = ipcrm -m $shm.Id 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$out"
        { Get-SharedMemory -Id $shm.Id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'marks a segment that another process holds; it answers to -Id until the last detach' {
        $shm = New-TestSharedMemory SystemV -Size 3333
        $data = New-RandomBytes 3333
        Write-SharedMemory -Id $shm.Id -Value $data
        $holder = Start-TestProcess $Sysv 'hold', $shm.Id -Ready

        Remove-SharedMemory -Key $shm.Key

        $marked = Get-SharedMemory -Id $shm.Id
        $marked.IsMarkedForDeletion | Should -BeTrue
        $marked.Key | Should -Be 0
        $marked.Name | Should -BeExactly '0x00000000'
        $marked.AttachCount | Should -Be 1
        $row = Get-SysvIpcTable shm -Id $shm.Id
        $row.key | Should -Be 0
        [Convert]::ToInt32("$($row.perms)", 8) -band 0x200 | Should -Be 0x200 -Because 'SHM_DEST is set'
        (Get-IpcsRow $shm.Id).Status | Should -Match 'dest'
        ConvertTo-Hex (Read-SharedMemory -Id $shm.Id) | Should -Be (ConvertTo-Hex $data)
        { Get-SharedMemory -Key $shm.Key -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'

        Stop-TestProcess $holder
        Wait-Gone $shm.Id
        Get-SysvIpcTable shm -Id $shm.Id | Should -BeNullOrEmpty
        { Get-SharedMemory -Id $shm.Id -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }
}

Describe 'Remove-SharedMemory -Path' -Tag File {
    It 'deletes the file with <How>' -TestCases $RemoveConfirmations {
        param($Parameters)
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        Remove-SharedMemory -Path $path @Parameters
        Test-Path -LiteralPath $path | Should -BeFalse
    }

    It 'leaves the file, with ConfirmationRequired, where the session cannot ask (no -Force or -Confirm:$false)' {
        # build.ps1 runs Pester in pwsh -NonInteractive: deleting a file is High impact and cannot be confirmed there.
        if ([Environment]::GetCommandLineArgs() -notcontains '-NonInteractive') {
            Set-ItResult -Skipped -Because 'this session could prompt'
            return
        }
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        { Remove-SharedMemory -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfirmationRequired,ShmPS.Commands.RemoveSharedMemoryCommand'
        Test-Path -LiteralPath $path | Should -BeTrue
    }

}
