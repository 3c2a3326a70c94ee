# New-SharedMemory: POSIX objects (names, sizes, modes, exclusive create and -Force, bad input), what
# every kind shares (exact modes, exclusive create, -Force, bad sizes), System V segments (keys, ftok
# keys, IPC_PRIVATE, kernel.shmmax, huge pages) and shared file mappings (paths, reservations,
# non-regular files).
# Pester 6 matches -ErrorId against the whole FullyQualifiedErrorId with -like, so ids are given as 'Id,*'.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $Kinds = Get-TestKind
    $script:EveryKind = $Kinds | ForEach-Object { @{ Kind = $_ } }
    # Modes that File and System V tests used, on every kind: the exact mode, whatever the umask.
    $script:KindModes = foreach ($kind in $Kinds) {
        foreach ($mode in '0600', '0640', '0644', '0666', '0777', '0400', '0604', '0660', '0444') { @{ Kind = $kind; Mode = $mode } }
    }
    $script:KindBadSizes = foreach ($kind in $Kinds) { foreach ($size in 0, -1, -4096) { @{ Kind = $kind; Size = $size } } }
    $script:KeyRanges = @(
        @{ Range = 'below 0x00010000, shown with leading zeros'; Min = 1; Max = 0xFFFF }
        @{ Range = 'below 0x80000000'; Min = 0x10000; Max = [int]::MaxValue }
        @{ Range = 'at or above 0x80000000 (negative as Int32)'; Min = [int]::MinValue; Max = -2 }
    )
    # Symbolic links are never followed and have their own ErrorId; other non-regular files are NotARegularFile.
    $refusal = @{
        'directory' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'FIFO' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'character device' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'symbolic link to a regular file' = @{ ErrorId = 'SymbolicLinkRefused'; Category = 'SecurityError' }
        'dangling symbolic link' = @{ ErrorId = 'SymbolicLinkRefused'; Category = 'SecurityError' }
    }
    $script:Refused = foreach ($type in 'directory', 'FIFO', 'character device', 'symbolic link to a regular file', 'dangling symbolic link') {
        foreach ($force in $false, $true) { @{ Type = $type; Force = $force } + $refusal[$type] }
    }
    $script:Reservations = @(@{ Sparse = $false }, @{ Sparse = $true })
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $posix = Get-NativeTool posix
    $ExpectedType = @{ Posix = 'ShmPS.PosixSharedMemory'; SystemV = 'ShmPS.SystemVSharedMemory'; File = 'ShmPS.FileSharedMemory' }
}

AfterAll { Remove-TestSharedMemory }

Describe 'New-SharedMemory' -Tag Posix {
    Context 'creating' {
        It 'creates a POSIX object of the exact size with mode 0600 by default' {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 5000
            $shm | Should -BeOfType ShmPS.PosixSharedMemory
            $shm.Kind | Should -Be Posix
            $shm.Name | Should -BeExactly $name
            $shm.Path | Should -BeExactly "/dev/shm$name"
            $shm.Size | Should -Be 5000
            $shm.Mode | Should -BeExactly '0600'
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
            $shm.Mode | Should -BeExactly '0640'
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

        It 'names the sizes in a refusal as people read them, with the exact bytes beside them' {
            $name = New-TestName
            $free = [long](df --output=avail -B1 /dev/shm | Select-Object -Last 1).Trim()
            $err = { New-SharedMemory -Name $name -Size 1PB } | Should -Throw -ErrorId 'InsufficientSpace,*' -PassThru
            $m = [regex]::Match($err.Exception.Message, '^Cannot reserve 1P \(1125899906842624 bytes\) for .*: the free space on /dev/shm is (\d+(\.\d)?[KMGTPE]) \((\d+) bytes\)\.$')
            $m.Success | Should -BeTrue -Because $err.Exception.Message
            [long]$m.Groups[3].Value | Should -BeGreaterThan ($free - 64MB) -Because 'the free space is the exact figure df shows'
            [long]$m.Groups[3].Value | Should -BeLessThan ($free + 64MB)
            $m.Groups[1].Value | Should -BeExactly ([ShmPS.ByteSize]::Format([long]$m.Groups[3].Value))
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

Describe 'New-SharedMemory on every kind' -Tag Posix, SystemV, File {
    It 'gives a <Kind> object exactly mode <Mode>, whatever the umask, warning only if others may write' -TestCases $KindModes {
        $shm = New-TestSharedMemory $Kind -Mode $Mode -WarningVariable warnings -WarningAction SilentlyContinue
        $expected = [Convert]::ToInt32($Mode, 8)
        $shm | Should -BeOfType $ExpectedType[$Kind]
        $shm.Kind | Should -Be $Kind -Because 'the identity parameter implies the kind'
        $shm.Mode | Should -BeExactly $Mode -Because 'Mode is the octal text -Mode takes'
        [Convert]::ToInt32($shm.Mode, 8) | Should -Be $expected
        (Get-KernelView $shm).Mode | Should -Be ([Convert]::ToString($expected, 8)) -Because "the umask is $(sh -c umask)"
        if ($Kind -eq 'SystemV') { (Get-IpcsRow $shm.Id).Perms | Should -Be ([Convert]::ToString($expected, 8)) }
        @($warnings).Count -gt 0 | Should -Be (($expected -band 2) -ne 0) -Because 'a world-writable mode warns'
    }

    It 'gives a <Kind> object mode 0600 by default' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 100
        $shm.Permissions | Should -BeExactly 'rw-------'
        (Get-KernelView $shm).Mode | Should -Be '600'
    }

    It 'refuses a <Kind> identity that exists (SharedMemoryExists) and leaves that object as it was' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $data = New-RandomBytes 32
        $shm.Write(0, $data)
        $identity = Get-TestIdentity $shm
        { New-SharedMemory @identity -Size 8192 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryExists,ShmPS.Commands.NewSharedMemoryCommand'
        if ($Kind -eq 'SystemV') { @(Get-SysvIpcTable shm -Key $shm.Key).Count | Should -Be 1 }
        (Get-KernelView $shm).Size | Should -Be 4096
        ConvertTo-Hex (Read-SharedMemory @identity -Count 32) | Should -Be (ConvertTo-Hex $data)
    }

    It 'opens the existing <Kind> object with -Force: the same object, data kept' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $data = New-RandomBytes 64
        $identity = Get-TestIdentity $shm
        Write-SharedMemory @identity -Value $data
        $again = New-SharedMemory @identity -Size 4096 -Force
        $again.Name | Should -BeExactly $shm.Name
        if ($Kind -eq 'SystemV') { $again.Id | Should -Be $shm.Id }
        ConvertTo-Hex $again.Read(0, 64) | Should -Be (ConvertTo-Hex $data)
    }

    It 'opens the existing <Kind> object with -Force as it is when the size differs, and warns' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $identity = Get-TestIdentity $shm
        $again = New-SharedMemory @identity -Size 8192 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $again.Name | Should -BeExactly $shm.Name
        if ($Kind -eq 'SystemV') { $again.Id | Should -Be $shm.Id }
        $again.Size | Should -Be 4096
        (Get-KernelView $shm).Size | Should -Be 4096
        $warnings | Should -Not -BeNullOrEmpty
    }

    It 'creates the <Kind> object with -Force when it does not exist' -TestCases $EveryKind {
        $identity = New-TestIdentity $Kind
        $shm = New-SharedMemory @identity -Size 4096 -Force
        Register-TestSharedMemory -InputObject $shm
        $shm.Size | Should -Be 4096
        (Get-KernelView $shm).Size | Should -Be 4096
        (Get-KernelView $shm).Mode | Should -Be '600'
    }

    It 'refuses size <Size> for a <Kind> object (InvalidSize) and creates nothing' -TestCases $KindBadSizes {
        $identity = New-TestIdentity $Kind
        { New-SharedMemory @identity -Size $Size -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSize,ShmPS.Commands.NewSharedMemoryCommand'
        Test-TestIdentity $identity | Should -BeFalse
    }
}

Describe 'New-SharedMemory: the kind, and the options each kind takes' -Tag Posix, SystemV, File {
    BeforeAll {
        function Get-ObjectCount {
            <# POSIX objects and System V segments (this file runs in a namespace of its own): what a refused call must leave as it was. #>
            @(Get-ChildItem /dev/shm).Count + @(Get-SysvIpcTable shm).Count
        }
    }
    AfterAll { Remove-TestSharedMemory }

    It 'refuses <Case>, saying what to give instead, and creates nothing' -TestCases @(
        @{ Case = '-Kind SystemV -Sparse'; Splat = @{ Kind = 'SystemV'; Sparse = $true }; Id = 'KindConflict'; Message = '-Sparse does not apply to a System V shared memory segment.' }
        @{ Case = '-Kind SystemV -Name'; Splat = @{ Kind = 'SystemV'; Name = 'x' }; Id = 'KindConflict'; Message = '*give -Key instead of -Name.' }
        @{ Case = '-Kind File -Name'; Splat = @{ Kind = 'File'; Name = 'x' }; Id = 'PathRequired'; Message = '*file*give -Path.' }
        @{ Case = '-Kind File without -Path'; Splat = @{ Kind = 'File' }; Id = 'PathRequired'; Message = '*file*give -Path.' }
        @{ Case = '-Kind Posix -Key'; Splat = @{ Kind = 'Posix'; Key = 0x7e57 }; Id = 'KindConflict'; Message = '-Kind Posix contradicts the other parameters, which describe a SystemV object.' }
        @{ Case = '-Kind File -Private'; Splat = @{ Kind = 'File'; Private = $true }; Id = 'KindConflict'; Message = '-Kind File contradicts the other parameters, which describe a SystemV object.' }
        @{ Case = '-Name with -LiteralName'; Splat = @{ Name = 'x'; LiteralName = 'y' }; Id = 'KindConflict'; Message = '-Name and -LiteralName both name the object*' }
    ) {
        $before = Get-ObjectCount
        $thrown = { New-SharedMemory @Splat -Size 4096 -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*" -PassThru
        $thrown.Exception.Message | Should -BeLike $Message
        Get-ObjectCount | Should -Be $before
    }

    It 'creates a System V segment from <Option> alone, as -Kind SystemV would' -TestCases @(
        @{ Option = '-Private'; Splat = @{ Private = $true } }
        @{ Option = '-ProjectId'; Splat = @{ ProjectId = 7 } }
    ) {
        $segment = New-SharedMemory @Splat -Size 4096
        Register-TestSharedMemory -InputObject $segment
        $segment.Kind | Should -BeExactly 'SystemV'
        Get-SysvIpcTable shm -Id $segment.Id | Should -Not -BeNullOrEmpty
    }

    It 'takes -HugePages alone as a System V segment''s (SHM_HUGETLB), never as an option of the default kind' {
        $thrown = $null
        try {
            $segment = New-SharedMemory -HugePages -Size 2MB -ErrorAction Stop
            Register-TestSharedMemory -InputObject $segment
            $segment.Kind | Should -BeExactly 'SystemV'
        }
        catch { $thrown = $_ }
        # Where the system has no free huge pages, the segment's own error; never KindConflict.
        if ($thrown) { $thrown.FullyQualifiedErrorId | Should -BeLike 'HugePagesUnavailable,*' }
    }

    It 'takes -Kind in any case, and refuses one that is no kind, naming the kinds' {
        $segment = New-SharedMemory -Kind systemv -Size 4096 -Key (New-TestKey)
        Register-TestSharedMemory -InputObject $segment
        $segment.Kind | Should -BeExactly 'SystemV'
        Get-SysvIpcTable shm -Id $segment.Id | Should -Not -BeNullOrEmpty
        $before = Get-ObjectCount
        $thrown = { New-SharedMemory -Kind Bogus -Size 4096 } | Should -Throw -PassThru
        $thrown.Exception.Message | Should -BeLike "*'Bogus' is not a kind of shared memory: the kinds are $((Get-TestKind -All) -join ', ').*"
        $thrown.Exception.InnerException.InnerException.ErrorId | Should -Be 'UnknownKind'
        Get-ObjectCount | Should -Be $before
    }

    It 'creates a <Kind> object from the options that select it, found again as that kind' -TestCases (Get-TestKind -AsTestCase) {
        $shm = New-TestSharedMemory $Kind -Size 100
        $shm.Kind | Should -BeExactly $Kind
        $identity = Get-TestIdentity $shm
        (Get-SharedMemory @identity).Kind | Should -BeExactly $Kind
        (Get-SharedMemory -Name $shm.Name -Kind $Kind).Size | Should -Be 100
    }
}

Describe 'New-SharedMemory -Kind SystemV' -Tag SystemV {
    It 'creates a segment with a key <Range> given as a hex literal and shows it as 0x%08x' -TestCases $KeyRanges {
        param($Min, $Max)
        $key = New-TestKey -Min $Min -Max $Max
        $hex = '{0:x8}' -f $key
        # The literal as a user types it: PowerShell reads 0x80000000 and above as a negative Int32.
        $shm = & ([scriptblock]::Create("New-SharedMemory -Key 0x$hex -Size 4096"))
        Register-TestSharedMemory -Id $shm.Id

        $shm | Should -BeOfType ShmPS.SystemVSharedMemory
        $shm.Kind | Should -Be 'SystemV' -Because '-Key implies the kind'
        $shm.Key | Should -Be $key
        $shm.Name | Should -BeExactly "0x$hex"
        (Get-SysvIpcTable shm -Id $shm.Id).key | Should -Be $key
        (Get-IpcsRow $shm.Id).Key | Should -BeExactly "0x$hex"
        (Get-SharedMemory -Key $key).Id | Should -Be $shm.Id
    }

    It 'draws a different nonzero key for each segment when -Key is omitted' {
        $segments = 1..3 | ForEach-Object {
            $s = New-SharedMemory -Kind SystemV -Size 4096
            Register-TestSharedMemory -Id $s.Id
            $s
        }
        $keys = $segments.Key
        $keys | Should -Not -Contain 0
        $keys | Should -Not -Contain -1
        @($keys | Select-Object -Unique).Count | Should -Be 3
        foreach ($s in $segments) {
            (Get-SysvIpcTable shm -Id $s.Id).key | Should -Be $s.Key
            $s.Name | Should -BeExactly ('0x{0:x8}' -f $s.Key)
        }
    }

    It 'makes an IPC_PRIVATE segment with -Private, found by -Id only' {
        $a = New-SharedMemory -Private -Size 4096
        Register-TestSharedMemory -Id $a.Id
        $b = New-SharedMemory -Private -Size 4096
        Register-TestSharedMemory -Id $b.Id

        $a.Kind | Should -Be 'SystemV' -Because '-Private implies the kind'
        $a.Key | Should -Be 0
        $a.Name | Should -BeExactly '0x00000000'
        $b.Id | Should -Not -Be $a.Id
        (Get-SysvIpcTable shm -Id $a.Id).key | Should -Be 0
        (Get-SharedMemory -Id $a.Id).Id | Should -Be $a.Id
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
        Get-SysvIpcTable shm | Where-Object key -EQ $key | Should -BeNullOrEmpty
    }

    Context 'ftok keys (-KeyPath)' {
        BeforeAll {
            $script:KeyFile = Join-Path ([IO.Path]::GetTempPath()) "shmps-ftok-$PID"
            Set-Content $KeyFile 'key file'
            $script:Ftok = Get-NativeTool ftok
        }
        AfterAll {
            Remove-Item $KeyFile -ErrorAction SilentlyContinue
        }

        It 'uses the key that ftok(3) gives a C program for project id <ProjectId>' -TestCases @(
            @{ ProjectId = 1 }, @{ ProjectId = 65 }, @{ ProjectId = 255 }
        ) {
            $expected = & $Ftok $KeyFile $ProjectId
            $LASTEXITCODE | Should -Be 0
            $shm = New-SharedMemory -KeyPath $KeyFile -ProjectId $ProjectId -Size 64
            try {
                $shm.Kind | Should -Be 'SystemV'
                $shm.Name | Should -Be $expected
            }
            finally { $shm | Remove-SharedMemory }
        }

        It 'resolves a relative -KeyPath against the current location' {
            Push-Location (Split-Path $KeyFile)
            try {
                $shm = New-SharedMemory -KeyPath (Split-Path $KeyFile -Leaf) -ProjectId 3 -Size 64
                $shm.Name | Should -Be (& $Ftok $KeyFile 3)
                $shm | Remove-SharedMemory
            }
            finally { Pop-Location }
        }

        It 'refuses a missing file with SharedMemoryNotFound and -KeyPath with -Key with KeyConflict' {
            { New-SharedMemory -KeyPath "$KeyFile.missing" -Size 64 -ErrorAction Stop } |
                Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.NewSharedMemoryCommand'
            { New-SharedMemory -KeyPath $KeyFile -Key 0x1234 -Size 64 -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyConflict,ShmPS.Commands.NewSharedMemoryCommand'
        }
    }
}

Describe 'New-SharedMemory -Path' -Tag File {

    It 'reserves the blocks of the file unless -Sparse' {
        $reserved = New-SharedMemory -Path (New-TestPath) -Size 1MB
        $sparse = New-SharedMemory -Path (New-TestPath) -Size 1MB -Sparse
        foreach ($shm in $reserved, $sparse) {
            $stat = Get-FileStat $shm.Path
            $stat.Size | Should -Be 1MB
            $shm.Size | Should -Be 1MB
            $shm.AllocatedBytes | Should -Be $stat.Allocated
        }
        $reserved.AllocatedBytes | Should -BeGreaterOrEqual 1MB
        $sparse.AllocatedBytes | Should -BeLessThan 1MB
    }

    It 'resolves a relative path against the current location, not the process working directory' {
        $dir = New-TestDirectory
        $processCwd = [Environment]::CurrentDirectory
        $processCwd | Should -Not -Be $dir
        Push-Location $dir
        try {
            $shm = New-SharedMemory -Path 'relative.bin' -Size 64
            $shm.Path | Should -Be (Join-Path $dir 'relative.bin')
            Test-Path -LiteralPath (Join-Path $dir 'relative.bin') | Should -BeTrue
            Test-Path -LiteralPath (Join-Path $processCwd 'relative.bin') | Should -BeFalse

            Write-SharedMemory -Path 'relative.bin' -Value 'here'
            Read-SharedMemory -Path 'relative.bin' -Count 4 -Encoding utf8 | Should -BeExactly 'here'
            (Get-SharedMemory -LiteralPath 'relative.bin').Path | Should -Be $shm.Path
            Remove-SharedMemory -Path 'relative.bin' -Force
            Test-Path -LiteralPath (Join-Path $dir 'relative.bin') | Should -BeFalse
        }
        finally {
            Pop-Location
        }
    }

    It 'resolves a path on a PowerShell drive' {
        $dir = New-TestDirectory
        $null = New-PSDrive -Name ShmPSTest -PSProvider FileSystem -Root $dir
        try {
            $shm = New-SharedMemory -Path 'ShmPSTest:/drive.bin' -Size 64
            $shm.Path | Should -Be (Join-Path $dir 'drive.bin')
            Test-Path -LiteralPath (Join-Path $dir 'drive.bin') | Should -BeTrue
            (Get-SharedMemory -Path 'ShmPSTest:/*.bin').Path | Should -Be $shm.Path
        }
        finally {
            Remove-PSDrive -Name ShmPSTest
        }
    }

    It 'refuses a file that exists (SharedMemoryExists) and leaves it as it was' {
        $path = New-TestPath
        $data = New-RandomBytes 300
        [IO.File]::WriteAllBytes($path, $data)
        { New-SharedMemory -Path $path -Size 4096 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryExists,ShmPS.Commands.NewSharedMemoryCommand'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($path)) | Should -Be (ConvertTo-Hex $data)
    }

    It 'opens an existing regular file with -Force without truncating or growing it' {
        $path = New-TestPath
        $data = New-RandomBytes 5000
        [IO.File]::WriteAllBytes($path, $data)
        chmod 640 $path
        $shm = New-SharedMemory -Path $path -Size 100 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $shm.Size | Should -Be 5000
        (Get-FileStat $path).Size | Should -Be 5000
        (Get-FileStat $path).Mode | Should -Be '640' -Because 'opening is not creating: the mode stays'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($path)) | Should -Be (ConvertTo-Hex $data)
        ConvertTo-Hex $shm.Read(0, 5000) | Should -Be (ConvertTo-Hex $data)
        $warnings | Should -Not -BeNullOrEmpty -Because 'the size asked for differs'
    }

    It 'warns when -Force opens a file that belongs to another user' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        chown 65534 $path
        $shm = New-SharedMemory -Path $path -Size 64 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $shm.OwnerId | Should -Be 65534
        $warnings | Should -Not -BeNullOrEmpty -Because 'the size is the same, so the warning is about the owner'
    }

    It 'refuses a <Type> (Force: <Force>) with <ErrorId> and leaves it' -TestCases $Refused {
        param($Type, $Force, $ErrorId, $Category)
        $dir = New-TestDirectory
        $path = New-NonRegularFile $Type $dir
        $before = Get-FileStat $path
        $record = { New-SharedMemory -Path $path -Size 100 -Force:$Force -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId,ShmPS.Commands.NewSharedMemoryCommand" -PassThru
        $record.CategoryInfo.Category | Should -Be $Category
        (Get-FileStat $path).Type | Should -Be $before.Type
        if ($Type -eq 'symbolic link to a regular file') {
            ConvertTo-Hex ([IO.File]::ReadAllBytes((Join-Path $dir 'target.bin'))) | Should -Be (ConvertTo-Hex ([byte[]](1..100)))
        }
        if ($Type -eq 'dangling symbolic link') {
            Test-Path -LiteralPath (Join-Path $dir 'missing.bin') | Should -BeFalse -Because 'the link is not followed'
        }
    }

    It 'reports a directory that does not exist as a ShmPS error (ObjectNotFound), Sparse: <Sparse>' -TestCases $Reservations {
        param($Sparse)
        $path = Join-Path (New-TestPath -Extension '.missing') 'x.bin'
        $record = { New-SharedMemory -Path $path -Size 4096 -Sparse:$Sparse -ErrorAction Stop } |
            Should -Throw -PassThru
        $record.Exception | Should -BeOfType ShmPS.SharedMemoryException
        $record.FullyQualifiedErrorId | Should -BeLike '*,ShmPS.Commands.NewSharedMemoryCommand'
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Test-Path -LiteralPath (Split-Path $path) | Should -BeFalse
    }

}

Describe 'Modes and keys as users type them' -Tag Posix, SystemV {
    AfterEach { Remove-TestSharedMemory }

    It 'says what was wrong with -Mode 0999 as it was typed, and names the forms -Mode takes' {
        $name = New-TestName
        # 0999 typed bare is a number to PowerShell; the message keeps the text as typed.
        $err = { New-SharedMemory -Name $name -Size 10 -Mode 0999 } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*' -PassThru
        $err.Exception.Message | Should -BeLike "*'0999' is not a valid mode*"
        $err.Exception.Message | Should -BeLike '*0640*rw-r-----*u=rw,g=r*'
        $err = { Set-SharedMemoryPermission -Name $name -Mode 'rwx' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*' -PassThru
        $err.Exception.Message | Should -BeLike "*'rwx' is not a valid mode*u=rw,g=r*"
        Test-Path "/dev/shm$name" | Should -BeFalse
    }

    It 'takes chmod''s assignments (u=rw,g=r), typed bare or quoted, as the exact mode' {
        $shm = New-TestSharedMemory Posix -Mode u=rw,g=r
        stat -c '%a' $shm.Path | Should -Be '640'
        Set-SharedMemoryPermission -Name $shm.Name -Mode 'u=rw,go=r'
        stat -c '%a' $shm.Path | Should -Be '644'
    }

    It 'creates a segment with the decimal key <Key>, which ipcs shows as <Hex>' -TestCases @(
        @{ Key = '4294967295'; Hex = '0xffffffff' }
        @{ Key = '3000000000'; Hex = '0xb2d05e00' }
        @{ Key = '2147483648'; Hex = '0x80000000' }
    ) {
        if (Get-SysvIpcTable shm -Key ([Convert]::ToInt32($Hex, 16))) { Set-ItResult -Skipped -Because "a segment with key $Hex exists" }
        # As typed at the prompt: a number above [int]::MaxValue, which PowerShell reads as a long.
        $shm = Invoke-Expression "New-SharedMemory -Key $Key -Size 64"
        Register-TestSharedMemory -InputObject $shm
        $shm.Name | Should -BeExactly $Hex
        (Get-IpcsRow -Id $shm.Id).Key | Should -BeExactly $Hex
        $shm.Key | Should -Be ([int][Convert]::ToInt32($Hex, 16)) -Because 'the key is the 32 bits of C''s key_t'
        (Invoke-Expression "Get-SharedMemory -Key $Key").Id | Should -Be $shm.Id
        (Get-SharedMemory -Key $Hex).Id | Should -Be $shm.Id
        (Get-SharedMemory -Key $shm.Key).Id | Should -Be $shm.Id
        (Get-SharedMemory -Key "$Key").Id | Should -Be $shm.Id -Because 'text, as Import-Csv gives it, is read the same way'
    }

    It 'takes a decimal key above [int]::MaxValue on every cmdlet that takes -Key (a segment made by ipcmk)' {
        # ipcmk draws a random key: make segments until one has the high bit set.
        $segment = $null
        for ($i = 0; $i -lt 64 -and -not $segment; $i++) {
            $id = [int]((ipcmk -M 4096 -p 0600) -replace '\D', '')
            $row = Get-IpcsRow -Id $id
            $shm = Get-SharedMemory -Id $id
            Register-TestSharedMemory -InputObject $shm
            if ([Convert]::ToUInt32($row.Key.Substring(2), 16) -gt [int]::MaxValue) { $segment = $row }
        }
        $segment | Should -Not -BeNullOrEmpty
        $decimal = [Convert]::ToUInt32($segment.Key.Substring(2), 16)
        $decimal | Should -BeGreaterThan ([int]::MaxValue)
        $key = Invoke-Expression "$decimal" # the number as PowerShell reads it when typed
        $key | Should -BeOfType [long]

        (Get-SharedMemory -Key $key).Id | Should -Be $segment.Id
        Write-SharedMemory -Key $key -Value 'hi'
        Read-SharedMemory -Key $key -Count 2 -Encoding ascii | Should -BeExactly 'hi'
        Set-SharedMemoryPermission -Key $key -Mode 0640
        (Get-IpcsRow -Id $segment.Id).Perms | Should -Be '640'
        Lock-SharedMemory -Key $key -ScriptBlock { $_.Name } | Should -BeExactly $segment.Key
        { Resize-SharedMemory -Key $key -Size 8192 -ErrorAction Stop } | Should -Throw -ErrorId 'SystemVResizeNotSupported,*'
        Remove-SharedMemory -Key $key
        Get-IpcsRow -Id $segment.Id | Should -BeNullOrEmpty
    }

    It 'refuses a key beyond 32 bits, naming it' -TestCases @(@{ Key = '4294967296' }, @{ Key = '-2147483649' }, @{ Key = '0x100000000' }) {
        $err = { Invoke-Expression "Get-SharedMemory -Key $Key" } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*' -PassThru
        $err.Exception.Message | Should -BeLike "*'$Key' is not a System V key*"
    }
}
