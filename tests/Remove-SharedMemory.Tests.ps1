BeforeAll { . $PSScriptRoot/common.ps1 }

Describe 'Remove-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix
    }
    BeforeEach {
        $name = New-TestName
        New-SharedMemory -Name $name -Size 64 | Out-Null
    }
    AfterAll { Remove-TestObjects }

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
        $psi = [Diagnostics.ProcessStartInfo]::new($posix)
        foreach ($a in 'hold', $name, '0', '4') { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $holder = [Diagnostics.Process]::Start($psi)
        try {
            $holder.StandardOutput.ReadLine() | Should -Be 'ready'
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
            if (-not $holder.HasExited) { $holder.Kill() }
        }
    }
}
