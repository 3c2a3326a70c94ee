BeforeAll { . $PSScriptRoot/common.ps1 }

# Pester 6 matches -ErrorId against the whole FullyQualifiedErrorId with -like, so ids are given as 'Id,*'.

Describe 'New-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix
    }
    AfterAll { Remove-TestObjects }

    Context 'creating' {
        It 'creates a POSIX object of the exact size with mode 0600 by default' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 5000
            $shm | Should -BeOfType ShmPS.PosixSharedMemory
            $shm.Kind | Should -Be Posix
            $shm.Name | Should -BeExactly $name
            $shm.Path | Should -BeExactly "/dev/shm$name"
            $shm.Size | Should -Be 5000
            $shm.Mode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
            stat -c '%F %s %a' "/dev/shm$name" | Should -Be 'regular file 5000 600'
        }

        It 'creates with -Kind Posix given explicitly' {
            $name = New-TestName
            (New-SharedMemory -Name $name -Size 10 -Kind Posix).Kind | Should -Be Posix
            Test-Path "/dev/shm$name" | Should -BeTrue
        }

        It "treats 'foo' and '/foo' as the same object" {
            $name = New-TestName
            $bare = $name.TrimStart('/')
            $shm = New-SharedMemory -Name $bare -Size 10
            $shm.Name | Should -BeExactly $name
            Test-Path "/dev/shm/$bare" | Should -BeTrue
            { New-SharedMemory -Name $name -Size 10 } | Should -Throw -ErrorId 'SharedMemoryExists,*'
            (Get-SharedMemory -Name $name).Path | Should -BeExactly "/dev/shm/$bare"
        }

        It 'reserves the memory: AllocatedBytes is at least Size' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 1MB
            $shm.AllocatedBytes | Should -BeGreaterOrEqual 1MB
            [long](stat -c '%b' "/dev/shm$name") * 512 | Should -BeGreaterOrEqual 1MB
        }

        It 'reserves nothing with -Sparse: AllocatedBytes is 0 for a fresh object' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 1MB -Sparse
            $shm.Size | Should -Be 1MB
            $shm.AllocatedBytes | Should -Be 0
            stat -c '%s %b' "/dev/shm$name" | Should -Be "$(1MB) 0"
        }

        It 'creates nothing with -WhatIf' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 -WhatIf | Should -BeNullOrEmpty
            Test-Path "/dev/shm$name" | Should -BeFalse
        }

        It 'accepts 1MB-style sizes and sizes that are not a multiple of the page size' -TestCases @(
            @{ Size = 1 }, @{ Size = 4097 }, @{ Size = 1KB }, @{ Size = 3MB }
        ) {
            $name = New-TestName
            (New-SharedMemory -Name $name -Size $Size).Size | Should -Be $Size
            stat -c '%s' "/dev/shm$name" | Should -Be "$Size"
        }
    }

    Context 'generated names' {
        It 'draws a name of shmps- and 16 hex digits when -Name is omitted, different each time' {
            $a = $b = $null
            try {
                $a = New-SharedMemory -Size 10
                $b = New-SharedMemory -Size 10
                $a.Name | Should -MatchExactly '^/shmps-[0-9a-f]{16}$'
                $b.Name | Should -MatchExactly '^/shmps-[0-9a-f]{16}$'
                $a.Name | Should -Not -Be $b.Name
                Test-Path $a.Path | Should -BeTrue
                Test-Path $b.Path | Should -BeTrue
                stat -c '%a' $a.Path | Should -Be '600'
            }
            finally {
                $a, $b | Where-Object { $_ } | Remove-SharedMemory
            }
        }
    }

    Context 'exclusive create and -Force' {
        It 'refuses an existing name with SharedMemoryExists (ResourceExists) and leaves it as it was' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 100 | Out-Null
            & $posix write $name 0 'c0ffee'
            $err = { New-SharedMemory -Name $name -Size 200 } | Should -Throw -ErrorId 'SharedMemoryExists,*' -PassThru
            $err.CategoryInfo.Category | Should -Be ResourceExists
            $err.TargetObject | Should -Be $name
            $err.Exception.Message | Should -BeLike "*$name*"
            stat -c '%s' "/dev/shm$name" | Should -Be '100'
            & $posix read $name 0 3 | Should -Be 'c0ffee'
        }

        It 'refuses an object that another program created' {
            $name = New-TestName
            & $posix create $name 64 640
            $LASTEXITCODE | Should -Be 0
            { New-SharedMemory -Name $name -Size 64 } | Should -Throw -ErrorId 'SharedMemoryExists,*'
        }

        It 'opens the existing object with -Force without truncating it, and warns that the size differs' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 100 -Mode 0640 | Out-Null
            & $posix write $name 90 '0102030405060708090a'
            $shm = New-SharedMemory -Name $name -Size 10 -Force -WarningVariable warnings -WarningAction SilentlyContinue
            $shm.Size | Should -Be 100
            stat -c '%s %a' "/dev/shm$name" | Should -Be '100 640'
            & $posix read $name 90 10 | Should -Be '0102030405060708090a'
            $warnings | Should -HaveCount 1
            "$warnings" | Should -BeLike '*100 bytes*'
        }

        It 'opens the existing object with -Force silently when the size matches' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 100 | Out-Null
            & $posix write $name 0 'aabb'
            $shm = New-SharedMemory -Name $name -Size 100 -Force -WarningVariable warnings
            $warnings | Should -BeNullOrEmpty
            $shm.Size | Should -Be 100
            [Convert]::ToHexString((Read-SharedMemory -InputObject $shm -Count 2)) | Should -Be 'AABB'
        }

        It 'creates the object with -Force when it does not exist' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 300 -Force -WarningVariable warnings
            $warnings | Should -BeNullOrEmpty
            $shm.Size | Should -Be 300
            stat -c '%s %a' "/dev/shm$name" | Should -Be '300 600'
        }
    }

    Context '-Mode' {
        It 'accepts -Mode <Mode> (<Type>) and gives exactly 0640' -TestCases @(
            @{ Mode = '0640'; Type = 'octal string' }
            @{ Mode = '640'; Type = 'octal string without 0' }
            @{ Mode = 640; Type = 'number read as octal' }
            @{ Mode = 'rw-r-----'; Type = 'symbolic' }
            @{ Mode = [IO.UnixFileMode]'UserRead, UserWrite, GroupRead'; Type = 'UnixFileMode' }
        ) {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 10 -Mode $Mode
            stat -c '%a' "/dev/shm$name" | Should -Be '640'
            $shm.Mode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead')
            $shm.Permissions | Should -BeExactly 'rw-r-----'
        }

        It 'gives exactly mode <Mode> whatever the umask would strip' -TestCases @(
            @{ Mode = '0400'; Octal = '400' }
            @{ Mode = '0660'; Octal = '660' }
            @{ Mode = '0606'; Octal = '606' }
            @{ Mode = '0755'; Octal = '755' }
            @{ Mode = '0000'; Octal = '0' }
        ) {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 -Mode $Mode -WarningAction SilentlyContinue | Out-Null
            stat -c '%a' "/dev/shm$name" | Should -Be $Octal
        }

        It 'refuses the mode <Mode> and creates nothing' -TestCases @(
            @{ Mode = '0999' }, @{ Mode = 'rwz------' }, @{ Mode = '12345' }, @{ Mode = -1 }
        ) {
            $name = New-TestName
            { New-SharedMemory -Name $name -Size 10 -Mode $Mode } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
            Test-Path "/dev/shm$name" | Should -BeFalse
        }
    }

    Context 'bad input' {
        It 'refuses the name <Label> with InvalidSharedMemoryName and creates nothing' -TestCases @(
            @{ Label = "''"; Name = ''; Leftover = $null }
            @{ Label = "'/'"; Name = '/'; Leftover = $null }
            @{ Label = "'/a/b'"; Name = '/shmps-test-a/b'; Leftover = '/dev/shm/shmps-test-a' }
            @{ Label = "'a/'"; Name = 'shmps-test-a/'; Leftover = '/dev/shm/shmps-test-a' }
            @{ Label = "'.'"; Name = '.'; Leftover = $null }
            @{ Label = "'..'"; Name = '..'; Leftover = $null }
            @{ Label = "'/..'"; Name = '/..'; Leftover = $null }
            @{ Label = 'with an embedded NUL'; Name = "shmps-test-a`0b"; Leftover = '/dev/shm/shmps-test-a' }
            @{ Label = 'of 256 bytes'; Name = 'shmps-test-' + ('x' * 245); Leftover = $null }
            @{ Label = 'of 256 bytes in 128 two-byte characters'; Name = 'é' * 128; Leftover = $null }
        ) {
            $err = { New-SharedMemory -Name $Name -Size 10 } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
            $err.Exception.Message | Should -Not -BeNullOrEmpty
            if ($Leftover) { Test-Path -LiteralPath $Leftover | Should -BeFalse }
        }

        It 'accepts a name of 255 bytes' {
            $name = 'shmps-test-' + ('y' * 244)
            try {
                $shm = New-SharedMemory -Name $name -Size 10
                $shm.Name | Should -BeExactly "/$name"
                Test-Path "/dev/shm/$name" | Should -BeTrue
            }
            finally {
                Remove-SharedMemory -Name $name -ErrorAction SilentlyContinue
            }
        }

        It 'counts the limit in UTF-8 bytes: 127 two-byte characters and one ASCII are 255 bytes' {
            $name = ('é' * 127) + 'z'
            try {
                (New-SharedMemory -Name $name -Size 10).Name | Should -BeExactly "/$name"
                Test-Path -LiteralPath "/dev/shm/$name" | Should -BeTrue
            }
            finally {
                Remove-SharedMemory -Name $name -ErrorAction SilentlyContinue
            }
        }

        It 'refuses the size <Size> with InvalidSize and creates nothing' -TestCases @(
            @{ Size = 0 }, @{ Size = -1 }, @{ Size = [long]::MinValue }
        ) {
            $name = New-TestName
            $err = { New-SharedMemory -Name $name -Size $Size } | Should -Throw -ErrorId 'InvalidSize,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
            Test-Path "/dev/shm$name" | Should -BeFalse
        }

        It 'refuses a size beyond the free space on /dev/shm with InsufficientSpace and leaves nothing behind' {
            $name = New-TestName
            $free = [long](df --output=avail -B1 /dev/shm | Select-Object -Last 1).Trim()
            $err = { New-SharedMemory -Name $name -Size ($free + 1GB) } | Should -Throw -ErrorId 'InsufficientSpace,*' -PassThru
            $err.CategoryInfo.Category | Should -Be LimitsExceeded
            $err.Exception.Message | Should -BeLike '*/dev/shm*'
            Test-Path "/dev/shm$name" | Should -BeFalse
        }

        It 'creates a sparse object beyond the free space, because nothing is reserved' {
            $name = New-TestName
            $free = [long](df --output=avail -B1 /dev/shm | Select-Object -Last 1).Trim()
            $shm = New-SharedMemory -Name $name -Size ($free + 1GB) -Sparse
            $shm.Size | Should -Be ($free + 1GB)
            $shm.AllocatedBytes | Should -Be 0
            Remove-SharedMemory -Name $name
        }
    }
}
