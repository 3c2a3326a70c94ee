# Write-SharedMemory and the write methods: values, bad offsets and -InputFile with POSIX objects (read
# back by a C program), bytes, text and numbers and ranges past the end in every kind, System V segments
# read by a C program, and -Flush for shared file mappings.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
    # Ranges past the end of a 3333-byte object of every kind.
    $script:KindOutOfRange = foreach ($kind in Get-TestKind) {
        foreach ($range in @(@{ Offset = 3333; Count = 1 }, @{ Offset = 3330; Count = 4 }, @{ Offset = 0; Count = 3334 },
                @{ Offset = -1; Count = 1 }, @{ Offset = 3237; Count = 97 })) { @{ Kind = $kind } + $range }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $Sysv = Get-NativeTool sysv
    $Filemap = Get-NativeTool filemap
}

AfterAll { Remove-TestSharedMemory }

# What was written is read back by the C helper (another process, through mmap), as hex.
Describe 'Write-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix
        $name = New-TestName
        $shm = New-SharedMemory -Name $name -Size 64
    }
    BeforeEach {
        & $posix write $name 0 ('00' * 64)
    }
    AfterAll { Remove-TestSharedMemory }

    Context 'values' {
        It 'writes a byte[] at -Offset' {
            Write-SharedMemory -Name $name -Offset 3 -Value ([byte[]](0xde, 0xad, 0xbe, 0xef))
            & $posix read $name 0 8 | Should -Be '000000deadbeef00'
        }

        It 'writes a string as UTF-8 without terminator or BOM by default' {
            Write-SharedMemory -Name $name -Offset 1 -Value 'héllo ✓'
            & $posix read $name 0 12 | Should -Be '0068c3a96c6c6f20e29c9300'
        }

        It 'writes a string in -Encoding <Encoding>' -TestCases @(
            @{ Encoding = 'unicode'; Text = 'ab'; Hex = '610062000000' }
            @{ Encoding = 'bigendianunicode'; Text = 'ab'; Hex = '006100620000' }
            @{ Encoding = 'ascii'; Text = 'ab'; Hex = '616200000000' }
            @{ Encoding = 'latin1'; Text = 'aé'; Hex = '61e900000000' }
            @{ Encoding = 'utf32'; Text = 'ab'; Hex = '610000006200' }
        ) {
            Write-SharedMemory -Name $name -Value $Text -Encoding $Encoding
            & $posix read $name 0 6 | Should -Be $Hex
        }

        It 'writes <Label> by its own type' -TestCases @(
            @{ Label = '42 as 4 bytes (Int32)'; Value = 42; Hex = '2a000000' }
            @{ Label = '42L as 8 bytes (Int64)'; Value = 42L; Hex = '2a00000000000000' }
            @{ Label = '[byte]'; Value = [byte]0xfe; Hex = 'fe' }
            @{ Label = '[sbyte]'; Value = [sbyte]-2; Hex = 'fe' }
            @{ Label = '[int16]'; Value = [int16]-2; Hex = 'feff' }
            @{ Label = '[uint16]'; Value = [uint16]0xabcd; Hex = 'cdab' }
            @{ Label = '[uint32]'; Value = [uint32]::MaxValue; Hex = 'ffffffff' }
            @{ Label = '[long]::MinValue'; Value = [long]::MinValue; Hex = '0000000000000080' }
            @{ Label = '[uint64]::MaxValue'; Value = [uint64]::MaxValue; Hex = 'ffffffffffffffff' }
            @{ Label = '1.5 as a Double'; Value = 1.5; Hex = '000000000000f83f' }
            @{ Label = '[single]1.5'; Value = [single]1.5; Hex = '0000c03f' }
        ) {
            Write-SharedMemory -Name $name -Value $Value
            & $posix read $name 0 ($Hex.Length / 2 + 1) | Should -Be ($Hex + '00')
        }

        It 'writes an array of numbers one after the other, each by its type' {
            Write-SharedMemory -Name $name -Value 1, 2, 3
            & $posix read $name 0 13 | Should -Be '01000000020000000300000000'
            Write-SharedMemory -Name $name -Value ([long]7), ([int16]8), ([byte]9)
            & $posix read $name 0 12 | Should -Be '070000000000000008000900'
        }

        It 'converts with -As <As>' -TestCases @(
            @{ As = 'Int16'; Value = (1, 2, 3); Hex = '010002000300' }
            @{ As = 'Byte'; Value = (1, 2, 3); Hex = '010203' }
            @{ As = 'Int64'; Value = 42; Hex = '2a00000000000000' }
            @{ As = 'UInt32'; Value = '42'; Hex = '2a000000' }
            @{ As = 'Single'; Value = 1.5; Hex = '0000c03f' }
            @{ As = 'Double'; Value = 3; Hex = '0000000000000840' }
        ) {
            Write-SharedMemory -Name $name -Value $Value -As $As
            & $posix read $name 0 ($Hex.Length / 2) | Should -Be $Hex
        }

        It 'refuses a value that does not fit -As with InvalidValue and writes nothing' {
            { Write-SharedMemory -Name $name -Value 1, 300 -As Byte } | Should -Throw -ErrorId 'InvalidValue,*'
            { Write-SharedMemory -Name $name -Value 'abc' -As Int32 } | Should -Throw -ErrorId 'InvalidValue,*'
            & $posix read $name 0 4 | Should -Be '00000000'
        }

        It 'refuses a value of another type with InvalidValue' {
            { Write-SharedMemory -Name $name -Value (Get-Date) } | Should -Throw -ErrorId 'InvalidValue,*'
            { Write-SharedMemory -Name $name -Value $null } | Should -Throw -ErrorId 'InvalidValue,*'
        }

        It 'outputs nothing, or the refreshed object with -PassThru' {
            Write-SharedMemory -Name $name -Value 1 | Should -BeNullOrEmpty
            $out = Write-SharedMemory -InputObject $shm -Value 'x' -PassThru
            $out | Should -BeOfType ShmPS.PosixSharedMemory
            $out.Name | Should -BeExactly $name
            $out.Size | Should -Be 64
        }

        It 'writes nothing with -WhatIf' {
            Write-SharedMemory -Name $name -Value 'zzzz' -WhatIf
            Write-SharedMemory -InputObject $shm -Value 1L -WhatIf
            & $posix read $name 0 8 | Should -Be '0000000000000000'
        }

        It 'writes to every object piped in' {
            $other = New-SharedMemory -Name (New-TestName) -Size 4
            $shm, $other | Write-SharedMemory -Value ([byte[]](7, 7))
            & $posix read $name 0 2 | Should -Be '0707'
            & $posix read $other.Name 0 4 | Should -Be '07070000'
        }

        It 'needs -Value or -InputFile, not both' {
            { Write-SharedMemory -Name $name } | Should -Throw -ErrorId 'ValueOrInputFileRequired,*'
            { Write-SharedMemory -Name $name -Value 1 -InputFile /etc/hostname } | Should -Throw -ErrorId 'ValueOrInputFileRequired,*'
        }
    }

    Context 'bad offsets' {
        It 'refuses <Label> with OffsetOutOfRange and writes nothing' -TestCases @(
            @{ Label = 'a negative offset'; Offset = -1; Value = [byte[]](1) }
            @{ Label = 'an offset past the end'; Offset = 65; Value = [byte[]](1) }
            @{ Label = 'bytes running past the end'; Offset = 60; Value = [byte[]](1, 2, 3, 4, 5) }
            @{ Label = 'an Int64 running past the end'; Offset = 60; Value = 1L }
            @{ Label = 'offset MaxValue'; Offset = [long]::MaxValue; Value = [byte[]](1) }
        ) {
            $err = { Write-SharedMemory -Name $name -Offset $Offset -Value $Value } | Should -Throw -ErrorId 'OffsetOutOfRange,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
            & $posix read $name 0 64 | Should -Be ('00' * 64)
            stat -c '%s' "/dev/shm$name" | Should -Be '64' -Because 'a write never grows the object'
        }

        It 'refuses the invalid name <Label> with InvalidSharedMemoryName' -TestCases @(
            @{ Label = "''"; Bad = '' }, @{ Label = "'/a/b'"; Bad = '/a/b' }, @{ Label = "'..'"; Bad = '..' }
            @{ Label = 'with a NUL'; Bad = "a`0b" }, @{ Label = 'of 256 bytes'; Bad = 'x' * 256 }
        ) {
            $err = { Write-SharedMemory -Name $Bad -Value 1 } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
        }

        It 'writes a non-terminating SharedMemoryNotFound for a missing name and goes on' {
            $missing = New-TestName
            Write-SharedMemory -Name $missing, $name -Value ([byte[]](5)) -ErrorAction SilentlyContinue -ErrorVariable errors
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
            & $posix read $name 0 1 | Should -Be '05'
            Test-Path "/dev/shm$missing" | Should -BeFalse -Because 'writing never creates'
        }
    }

    Context '-InputFile' {
        BeforeAll {
            $dir = Join-Path ([IO.Path]::GetTempPath()) "shmps-write-$PID"
            New-Item -ItemType Directory $dir -Force | Out-Null
            $data = [byte[]]::new(20MB + 12345)
            [Random]::new(42).NextBytes($data)
            $file = Join-Path $dir 'data.bin'
            [IO.File]::WriteAllBytes($file, $data)
            $big = New-TestName
            New-SharedMemory -Name $big -Size ($data.Length + 100) | Out-Null
        }
        AfterAll {
            Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
        }

        It 'streams a file of several MB byte for byte, with progress shown: <Progress>' -TestCases @(
            @{ Progress = 'Continue' }, @{ Progress = 'SilentlyContinue' }
        ) {
            & $posix write $big 0 ('00' * 100)
            $ProgressPreference = $Progress
            Write-SharedMemory -Name $big -InputFile $file -Offset 100
            $copy = Read-SharedMemory -Name $big -Offset 100
            $copy.Length | Should -Be $data.Length
            [Linq.Enumerable]::SequenceEqual($copy, $data) | Should -BeTrue
            & $posix read $big 0 100 | Should -Be ('00' * 100)
        }

        It 'resolves a relative -InputFile against the current location' {
            [IO.File]::WriteAllBytes((Join-Path $dir 'small.bin'), [byte[]](1, 2, 3))
            Push-Location $dir
            try {
                Write-SharedMemory -Name $name -InputFile small.bin -Offset 2
            }
            finally {
                Pop-Location
            }
            & $posix read $name 0 6 | Should -Be '000001020300'
        }

        It 'refuses a file that does not fit with OffsetOutOfRange and writes nothing' {
            { Write-SharedMemory -Name $name -InputFile $file } | Should -Throw -ErrorId 'OffsetOutOfRange,*'
            & $posix read $name 0 64 | Should -Be ('00' * 64)
        }

        It 'refuses a missing file with InputFileNotFound' {
            { Write-SharedMemory -Name $name -InputFile (Join-Path $dir 'missing.bin') } | Should -Throw -ErrorId 'InputFileNotFound,*'
        }

        It 'writes nothing from a file with -WhatIf' {
            Write-SharedMemory -Name $name -InputFile (Join-Path $dir 'small.bin') -WhatIf
            & $posix read $name 0 4 | Should -Be '00000000'
        }
    }
}

Describe 'Write-SharedMemory on every kind' -Tag Posix, SystemV, File {
    It 'writes and reads bytes, text and numbers in a <Kind> object' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $identity = Get-TestIdentity $shm
        $bytes = New-RandomBytes 32
        $number = [long][Security.Cryptography.RandomNumberGenerator]::GetInt32([int]::MaxValue) * 3
        Write-SharedMemory @identity -Offset 100 -Value $bytes
        Write-SharedMemory @identity -Offset 200 -Value 'grüße'
        Write-SharedMemory @identity -Offset 300 -Value $number -As Int64

        # What another reader sees: the file's bytes, or the bytes of a new attachment for System V.
        $file = if ($Kind -eq 'SystemV') { $shm.Read(0, 4096) } else { [IO.File]::ReadAllBytes($shm.Path) }
        ConvertTo-Hex $file[100..131] | Should -Be (ConvertTo-Hex $bytes)
        [Text.Encoding]::UTF8.GetString($file, 200, 7) | Should -BeExactly 'grüße'
        [BitConverter]::ToInt64($file, 300) | Should -Be $number

        ConvertTo-Hex (Read-SharedMemory @identity -Offset 100 -Count 32) | Should -Be (ConvertTo-Hex $bytes)
        Read-SharedMemory @identity -Offset 200 -Encoding utf8 | Should -BeExactly 'grüße'
        Read-SharedMemory @identity -Offset 300 -Count 1 -As Int64 | Should -Be $number
    }

    It 'refuses offset <Offset> and count <Count> in a 3333-byte <Kind> object (OffsetOutOfRange), writing nothing and not growing it' -TestCases $KindOutOfRange {
        $shm = New-TestSharedMemory $Kind -Size 3333
        $identity = Get-TestIdentity $shm
        $before = Read-SharedMemory @identity
        { Write-SharedMemory @identity -Offset $Offset -Value (New-RandomBytes $Count) -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.WriteSharedMemoryCommand'
        ConvertTo-Hex (Read-SharedMemory @identity) | Should -Be (ConvertTo-Hex $before)
        (Get-KernelView $shm).Size | Should -Be 3333
    }
}

Describe 'Write-SharedMemory with values from the pipeline' -Tag Posix, SystemV, File {
    It 'writes piped text, bytes and numbers to a <Kind> object named on the command line, all together at -Offset' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $identity = Get-TestIdentity $shm
        $bytes = New-RandomBytes 300   # piped, the array arrives as 300 single bytes: written as the same 300 bytes
        $bytes | Write-SharedMemory @identity -Offset 10
        'hello', ' ', 'world' | Write-SharedMemory @identity -Offset 1000
        1, -2 | Write-SharedMemory @identity -Offset 2000 -As Int16
        ,$bytes | Write-SharedMemory @identity -Offset 3000

        # What another reader sees: the file's bytes, or the bytes of a new attachment for System V.
        $file = if ($Kind -eq 'SystemV') { $shm.Read(0, 4096) } else { [IO.File]::ReadAllBytes($shm.Path) }
        ConvertTo-Hex $file[10..309] | Should -Be (ConvertTo-Hex $bytes)
        $file[9], $file[310] | Should -Be 0, 0
        [Text.Encoding]::UTF8.GetString($file, 1000, 12) | Should -BeExactly "hello world`0"
        [BitConverter]::ToInt16($file, 2000), [BitConverter]::ToInt16($file, 2002) | Should -Be 1, -2
        ConvertTo-Hex $file[3000..3299] | Should -Be (ConvertTo-Hex $bytes)
    }

    It 'writes nothing when piped values do not fit, and says so once' {
        $shm = New-TestSharedMemory Posix -Size 8
        { 'abc', 'defghi' | Write-SharedMemory -Name $shm.Name -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,*'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($shm.Path)) | Should -Be ('00' * 8)
    }

    It 'still takes piped objects, rows and files as the object to write to: <Kind>' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Size 64
        $inputPath = Join-Path (New-TestDirectory) 'input.txt'
        [IO.File]::WriteAllText($inputPath, 'from a file')
        $shm | Write-SharedMemory -Value 'object'
        $shm.ReadString(0, 6) | Should -BeExactly 'object'
        $shm | Write-SharedMemory -InputFile $inputPath
        $shm.ReadString(0, 11) | Should -BeExactly 'from a file'
        [pscustomobject]@{ Name = $shm.Name; Kind = $shm.Kind; Id = $shm.Id } | Write-SharedMemory -Value 'row'
        $shm.ReadString(0, 3) | Should -BeExactly 'row'
        [pscustomobject]@{ Name = $shm.Name; Kind = $shm.Kind; Id = $shm.Id } | Write-SharedMemory -InputFile $inputPath -Offset 20
        $shm.ReadString(20, 11) | Should -BeExactly 'from a file'
        if ($Kind -eq 'File') {
            Get-Item $shm.Path | Write-SharedMemory -Value 'item'
            $shm.ReadString(0, 4) | Should -BeExactly 'item'
        }
    }

    It 'refuses piped values without an object named on the command line (ValueOrInputFileRequired)' {
        { 'text' | Write-SharedMemory -ErrorAction Stop } | Should -Throw -ErrorId 'ValueOrInputFileRequired,*'
    }
}

Describe 'Write-SharedMemory -Kind SystemV' -Tag SystemV {
    BeforeAll {
        $shm = New-TestSharedMemory SystemV -Size 3333
    }

    It 'writes what a C program reads' {
        $data = New-RandomBytes 77
        Write-SharedMemory -Key $shm.Key -Offset (3333 - 77) -Value $data
        $out = & $Sysv read $shm.Id (3333 - 77) 77
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Be (ConvertTo-Hex $data)
    }
}

Describe 'Write-SharedMemory -Path' -Tag File {
    It 'keeps what was written with -Flush and Flush(): a new pwsh and a C program read it from the file' {
        $path = New-TestPath
        $shm = New-SharedMemory -Path $path -Size 8192
        $first = New-RandomBytes 4096
        $second = New-RandomBytes 4096
        Write-SharedMemory -LiteralPath $path -Value $first -Flush
        $shm.Write(4096, $second)
        $shm.Flush()
        $shm.Close()
        $expected = ConvertTo-Hex ($first + $second)

        $child = Invoke-ChildPwsh "[Convert]::ToHexString((Read-SharedMemory -LiteralPath '$path')).ToLowerInvariant()"
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $child.Output.Trim() | Should -Be $expected

        $c = & $Filemap read $path 0 8192
        $LASTEXITCODE | Should -Be 0 -Because "$c"
        $c | Should -Be $expected
    }
}
