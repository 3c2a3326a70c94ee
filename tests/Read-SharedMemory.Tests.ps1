# Read-SharedMemory and the read methods: bytes, -OutFile, text, numbers and methods of POSIX objects,
# ranges past the end of every kind, System V segments (attachments for one operation, kept attachments
# with Attach()).

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    # Ranges past the end of a 3333-byte object of every kind.
    $script:KindOutOfRange = foreach ($kind in Get-TestKind) {
        foreach ($range in @(@{ Offset = 3333; Count = 1 }, @{ Offset = 3330; Count = 4 }, @{ Offset = 0; Count = 3334 },
                @{ Offset = -1; Count = 1 }, @{ Offset = 3237; Count = 97 })) { @{ Kind = $kind } + $range }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $Sysv = Get-NativeTool sysv
}

AfterAll { Remove-TestSharedMemory }

# Data is written by the C helper (another process, through mmap) so that reading is tested on its own.
Describe 'Read-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix
    }
    AfterAll { Remove-TestSharedMemory }

    Context 'bytes' {
        BeforeAll {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 16 | Out-Null
            & $posix write $name 0 '000102030405060708090a0b0c0d0e0f'
        }

        It 'outputs one byte[] of the whole object by default, not its bytes one by one' {
            (Read-SharedMemory -Name $name).GetType() | Should -Be ([byte[]])
            (Read-SharedMemory -Name $name) -is [byte[]] | Should -BeTrue
            @(Read-SharedMemory -Name $name).Count | Should -Be 1
            [Convert]::ToHexString((Read-SharedMemory -Name $name)) | Should -Be '000102030405060708090A0B0C0D0E0F'
        }

        It 'reads -Count bytes at -Offset' {
            [Convert]::ToHexString((Read-SharedMemory -Name $name -Offset 3 -Count 4)) | Should -Be '03040506'
        }

        It 'reads from -Offset to the end without -Count' {
            [Convert]::ToHexString((Read-SharedMemory -Name $name -Offset 13)) | Should -Be '0D0E0F'
        }

        It 'reads an empty byte[] with -Count 0 or at the end' {
            $empty = Read-SharedMemory -Name $name -Count 0
            $empty.GetType() | Should -Be ([byte[]])
            $empty.Length | Should -Be 0
            (Read-SharedMemory -Name $name -Offset 16).Length | Should -Be 0
        }

        It 'reads objects from the pipeline, one byte[] each' {
            $other = New-TestName
            New-SharedMemory -Name $other -Size 2 | Out-Null
            $out = @((Get-SharedMemory -Name $name), (Get-SharedMemory -Name $other) | Read-SharedMemory -Count 2)
            $out.Count | Should -Be 2
            $out[0] | Should -Be 0, 1
            $out[1] | Should -Be 0, 0
        }

        It 'reads an object named by a Name property from the pipeline' {
            [Convert]::ToHexString(([pscustomobject]@{ Name = $name } | Read-SharedMemory -Count 2)) | Should -Be '0001'
        }

        It 'writes a non-terminating SharedMemoryNotFound for a missing name and goes on' {
            $missing = New-TestName
            $out = Read-SharedMemory -Name $missing, $name -Count 1 -ErrorAction SilentlyContinue -ErrorVariable errors
            [Convert]::ToHexString($out) | Should -Be '00'
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
            $errors[0].CategoryInfo.Category | Should -Be ObjectNotFound
        }
    }

    Context '-OutFile' {
        BeforeAll {
            $name = New-TestName
            $size = 3MB + 123
            $data = [byte[]]::new($size)
            [Security.Cryptography.RandomNumberGenerator]::Fill($data)
            $shm = New-SharedMemory -Name $name -Size $size
            $shm.Write(0, $data)
            $dir = Join-Path ([IO.Path]::GetTempPath()) "shmps-outfile-$PID"
            New-Item -ItemType Directory $dir -Force | Out-Null
        }
        AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

        It 'streams the whole object into a file, byte for byte, and outputs nothing' {
            $file = Join-Path $dir 'all.bin'
            $out = Read-SharedMemory -Name $name -OutFile $file
            $out | Should -BeNullOrEmpty
            (Get-FileHash $file).Hash | Should -Be (Get-FileHash -InputStream ([IO.MemoryStream]::new($data))).Hash
        }

        It 'copies -Count bytes at -Offset, overwriting an existing file' {
            $file = Join-Path $dir 'part.bin'
            Set-Content $file 'old content that is longer than the part'
            Read-SharedMemory -Name $name -Offset 1MB -Count 10 -OutFile $file
            [IO.File]::ReadAllBytes($file) | Should -Be $data[(1MB)..(1MB + 9)]
        }

        It 'resolves a relative -OutFile against the current location' {
            Push-Location $dir
            try {
                Read-SharedMemory -Name $name -Count 5 -OutFile 'relative.bin'
                [IO.File]::ReadAllBytes((Join-Path $dir 'relative.bin')) | Should -Be $data[0..4]
            }
            finally { Pop-Location }
        }

        It 'leaves an existing file untouched when the range is past the end' {
            $file = Join-Path $dir 'kept.bin'
            Set-Content $file 'keep me' -NoNewline
            { Read-SharedMemory -Name $name -Offset $size -Count 1 -OutFile $file -ErrorAction Stop } |
                Should -Throw -ErrorId 'OffsetOutOfRange,*'
            Get-Content $file -Raw | Should -Be 'keep me'
        }

        It 'reports a missing directory as DirectoryNotFound, a non-terminating error' {
            $missing = Join-Path $dir 'no-such-dir/x.bin'
            Read-SharedMemory -Name $name -Count 1 -OutFile $missing -ErrorAction SilentlyContinue -ErrorVariable err
            $err.FullyQualifiedErrorId | Should -BeLike 'DirectoryNotFound,*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses a range past the end with OffsetOutOfRange and -Encoding with OutFileConflict' {
            { Read-SharedMemory -Name $name -Offset ($size - 1) -Count 2 -OutFile (Join-Path $dir 'x.bin') -ErrorAction Stop } |
                Should -Throw -ErrorId 'OffsetOutOfRange,*'
            { Read-SharedMemory -Name $name -OutFile (Join-Path $dir 'y.bin') -Encoding utf8 } |
                Should -Throw -ErrorId 'OutFileConflict,*'
        }
    }

    Context 'text' {
        BeforeAll {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 32 | Out-Null
        }
        BeforeEach {
            & $posix write $name 0 ('00' * 32)
        }

        It 'decodes up to the first NUL by default' {
            & $posix write $name 0 ([Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes("hello`0zz")))
            Read-SharedMemory -Name $name -Encoding utf8 | Should -BeExactly 'hello'
            Read-SharedMemory -Name $name -Encoding utf8 -Offset 1 | Should -BeExactly 'ello'
        }

        It 'decodes at most -Count bytes, and with -Count too the text ends at the first NUL' {
            & $posix write $name 0 ([Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes("hello`0zz")))
            Read-SharedMemory -Name $name -Encoding utf8 -Count 3 | Should -BeExactly 'hel'
            Read-SharedMemory -Name $name -Encoding utf8 -Count 8 | Should -BeExactly 'hello'
            Read-SharedMemory -Name $name -Encoding utf8 -Count 32 | Should -BeExactly 'hello' -Because 'a C string field of 32 bytes reads without its padding'
            Read-SharedMemory -Name $name -Encoding utf8 -Offset 6 -Count 2 | Should -BeExactly 'zz'
        }

        It 'ends UTF-16 text at the first NUL character, not at a zero byte inside a character' {
            & $posix write $name 0 ([Convert]::ToHexString([Text.Encoding]::Unicode.GetBytes("ab`0c")))
            Read-SharedMemory -Name $name -Encoding unicode -Count 8 | Should -BeExactly 'ab'
        }

        It 'decodes to the end when there is no NUL' {
            $small = New-TestName
            New-SharedMemory -Name $small -Size 4 | Out-Null
            & $posix write $small 0 '61626364'
            Read-SharedMemory -Name $small -Encoding utf8 | Should -BeExactly 'abcd'
        }

        It 'decodes <Text> in <Encoding>' -TestCases @(
            @{ Encoding = 'utf8'; Text = 'héllo wörld ✓' }
            @{ Encoding = 'ascii'; Text = 'plain' }
            @{ Encoding = 'latin1'; Text = 'café' }
            @{ Encoding = 'unicode'; Text = 'abc ✓' }
            @{ Encoding = 'bigendianunicode'; Text = 'abc' }
            @{ Encoding = 'utf32'; Text = 'ab✓' }
        ) {
            $enc = [Text.Encoding]::GetEncoding(@{ utf8 = 65001; ascii = 20127; latin1 = 28591; unicode = 1200; bigendianunicode = 1201; utf32 = 12000 }[$Encoding])
            $bytes = $enc.GetBytes($Text)
            & $posix write $name 0 ([Convert]::ToHexString($bytes))
            Read-SharedMemory -Name $name -Encoding $Encoding -Count $bytes.Length | Should -BeExactly $Text
            Read-SharedMemory -Name $name -Encoding $Encoding | Should -BeExactly $Text -Because 'the text ends at the first NUL character'
        }

        It 'takes an Encoding object' {
            & $posix write $name 0 '6f6b'
            Read-SharedMemory -Name $name -Encoding ([Text.Encoding]::UTF8) | Should -BeExactly 'ok'
        }

        It 'refuses -Encoding together with -As' {
            { Read-SharedMemory -Name $name -Encoding utf8 -As Int32 } | Should -Throw -ErrorId 'EncodingAndAsConflict,*'
        }
    }

    Context 'numbers' {
        BeforeAll {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 16 | Out-Null
        }

        It 'returns <Type> numbers, little-endian, -Count counting numbers' -TestCases @(
            @{ Type = 'Byte'; Hex = 'ff2a'; Expected = [byte]255, [byte]42 }
            @{ Type = 'SByte'; Hex = 'ff2a'; Expected = [sbyte]-1, [sbyte]42 }
            @{ Type = 'Int16'; Hex = 'feff2c01'; Expected = [int16]-2, [int16]300 }
            @{ Type = 'UInt16'; Hex = 'feff2c01'; Expected = [uint16]65534, [uint16]300 }
            @{ Type = 'Int32'; Hex = 'feffffff2a000000'; Expected = [int]-2, [int]42 }
            @{ Type = 'UInt32'; Hex = 'ffffffff2a000000'; Expected = [uint32]::MaxValue, [uint32]42 }
            @{ Type = 'Int64'; Hex = 'ffffffffffffff7ffeffffffffffffff'; Expected = [long]::MaxValue, [long]-2 }
            @{ Type = 'UInt64'; Hex = 'ffffffffffffffff2a00000000000000'; Expected = [uint64]::MaxValue, [uint64]42 }
            @{ Type = 'Single'; Hex = '0000c03f000020c1'; Expected = [single]1.5, [single]-10 }
            @{ Type = 'Double'; Hex = '000000000000f83f00000000000024c0'; Expected = [double]1.5, [double]-10 }
        ) {
            & $posix write $name 0 $Hex
            $values = @(Read-SharedMemory -Name $name -As $Type -Count 2)
            $values.Count | Should -Be 2
            foreach ($i in 0, 1) {
                $values[$i].GetType().Name | Should -Be $Type
                $values[$i].ToString([cultureinfo]::InvariantCulture) | Should -BeExactly $Expected[$i].ToString([cultureinfo]::InvariantCulture)
            }
        }

        It 'starts at -Offset and reads numbers to the end without -Count' {
            & $posix write $name 0 '01000000020000000300000004000000'
            Read-SharedMemory -Name $name -As Int32 -Offset 4 -Count 2 | Should -Be 2, 3
            Read-SharedMemory -Name $name -As Int32 -Offset 4 | Should -Be 2, 3, 4
            Read-SharedMemory -Name $name -As Int16 -Offset 10 | Should -Be 0, 4, 0
        }
    }

    Context 'methods' {
        BeforeAll {
            $name = New-TestName
            $shm = New-SharedMemory -Name $name -Size 64
        }
        BeforeEach {
            & $posix write $name 0 ('00' * 64)
        }

        It 'Read(offset, count) returns the bytes' {
            & $posix write $name 10 'deadbeef'
            [Convert]::ToHexString($shm.Read(10, 4)) | Should -Be 'DEADBEEF'
        }

        It 'Read(offset, buffer, index, count) fills part of a buffer' {
            & $posix write $name 10 'deadbeef'
            $buffer = [byte[]]::new(8)
            $shm.Read(10, $buffer, 2, 4) | Should -Be 4
            [Convert]::ToHexString($buffer) | Should -Be '0000DEADBEEF0000'
        }

        It 'Write(offset, bytes) and Write(offset, buffer, index, count) write what another process reads' {
            $shm.Write(5, [byte[]](1, 2, 3))
            & $posix read $name 5 3 | Should -Be '010203'
            $shm.Write(20, [byte[]](9, 8, 7, 6), 1, 2)
            & $posix read $name 19 4 | Should -Be '00080700'
        }

        It 'WriteInt64 and ReadInt64 are little-endian 8-byte integers' {
            $shm.WriteInt64(8, [long]::MinValue + 1)
            & $posix read $name 8 8 | Should -Be '0100000000000080'
            & $posix write $name 16 'feffffffffffff7f'
            $shm.ReadInt64(16) | Should -Be ([long]::MaxValue - 1)
        }

        It 'has typed helpers for the other widths' {
            $shm.WriteInt32(0, -2); & $posix read $name 0 4 | Should -Be 'feffffff'
            $shm.WriteUInt16(4, 0xabcd); & $posix read $name 4 2 | Should -Be 'cdab'
            $shm.WriteDouble(8, 1.5); & $posix read $name 8 8 | Should -Be '000000000000f83f'
            $shm.WriteByte(16, 0x7f); & $posix read $name 16 1 | Should -Be '7f'
            $shm.ReadInt32(0) | Should -Be -2
            $shm.ReadUInt16(4) | Should -Be 0xabcd
            $shm.ReadDouble(8) | Should -Be 1.5
            $shm.ReadByte(16) | Should -Be 0x7f
        }

        It 'WriteString writes UTF-8 without a terminator and puts nothing in the pipeline; ReadString decodes' {
            $out = @($shm.WriteString(1, 'héllo'))
            $out.Count | Should -Be 0
            & $posix read $name 0 8 | Should -Be '0068c3a96c6c6f00'
            $shm.ReadString(1, 6) | Should -BeExactly 'héllo'
            $out = @($shm.WriteString(10, 'ab', [Text.Encoding]::Unicode))
            $out.Count | Should -Be 0
            & $posix read $name 10 4 | Should -Be '61006200'
            $shm.ReadString(10, 4, [Text.Encoding]::Unicode) | Should -BeExactly 'ab'
        }

        It 'Refresh re-reads the size that another process set' {
            $other = New-SharedMemory -Name (New-TestName) -Size 100
            truncate -s 300 $other.Path
            $other.Size | Should -Be 100
            $other.Refresh()
            $other.Size | Should -Be 300
            $other.Read(250, 50).Length | Should -Be 50
        }

        It 'Refresh throws SharedMemoryNotFound once the object is removed' {
            $other = New-SharedMemory -Name (New-TestName) -Size 100
            Remove-Item $other.Path
            $err = { $other.Refresh() } | Should -Throw -PassThru
            $err.Exception.InnerException.ErrorId | Should -Be 'SharedMemoryNotFound'
        }

        It 'method <Call> throws OffsetOutOfRange and reads or writes nothing' -TestCases @(
            @{ Call = 'Read(-1, 1)'; Script = { $shm.Read(-1, 1) } }
            @{ Call = 'Read(64, 1)'; Script = { $shm.Read(64, 1) } }
            @{ Call = 'Read(60, 5)'; Script = { $shm.Read(60, 5) } }
            @{ Call = 'Read(MaxValue, 1)'; Script = { $shm.Read([long]::MaxValue, 1) } }
            @{ Call = 'ReadInt64(60)'; Script = { $shm.ReadInt64(60) } }
            @{ Call = 'Write(62, 3 bytes)'; Script = { $shm.Write(62, [byte[]](1, 2, 3)) } }
            @{ Call = 'WriteInt64(-8)'; Script = { $shm.WriteInt64(-8, 1) } }
            @{ Call = 'WriteString(63, "ab")'; Script = { $shm.WriteString(63, 'ab') } }
        ) {
            $err = { & $Script } | Should -Throw -PassThru
            $err.Exception.InnerException.ErrorId | Should -Be 'OffsetOutOfRange'
            & $posix read $name 0 64 | Should -Be ('00' * 64)
            stat -c '%s' "/dev/shm$name" | Should -Be '64'
        }
    }

    Context 'bad offsets and counts' {
        BeforeAll {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 100 | Out-Null
        }

        It 'refuses <Label> with OffsetOutOfRange (InvalidArgument)' -TestCases @(
            @{ Label = 'a negative offset'; Params = @{ Offset = -1; Count = 1 } }
            @{ Label = 'a negative count'; Params = @{ Offset = 0; Count = -1 } }
            @{ Label = 'an offset past the end'; Params = @{ Offset = 101 } }
            @{ Label = 'a count from the end'; Params = @{ Offset = 100; Count = 1 } }
            @{ Label = 'a count past the end'; Params = @{ Offset = 50; Count = 51 } }
            @{ Label = 'offset MaxValue'; Params = @{ Offset = [long]::MaxValue; Count = 1 } }
            @{ Label = 'count MaxValue'; Params = @{ Offset = 1; Count = [long]::MaxValue } }
            @{ Label = 'offset and count MaxValue'; Params = @{ Offset = [long]::MaxValue; Count = [long]::MaxValue } }
            @{ Label = 'text past the end'; Params = @{ Offset = 101; Encoding = 'utf8' } }
            @{ Label = 'text count past the end'; Params = @{ Offset = 90; Count = 11; Encoding = 'utf8' } }
            @{ Label = 'numbers past the end'; Params = @{ As = 'Int64'; Count = 13 } }
            @{ Label = 'a negative number count'; Params = @{ As = 'Int32'; Count = -1 } }
            @{ Label = 'MaxValue numbers'; Params = @{ As = 'Int64'; Count = [long]::MaxValue } }
        ) {
            $err = { Read-SharedMemory -Name $name @Params } | Should -Throw -ErrorId 'OffsetOutOfRange,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
            $err.Exception.Message | Should -BeLike "*$name*"
        }

        It 'refuses the invalid name <Label> with InvalidSharedMemoryName' -TestCases @(
            @{ Label = "''"; Bad = '' }, @{ Label = "'/a/b'"; Bad = '/a/b' }, @{ Label = "'..'"; Bad = '..' }
            @{ Label = 'with a NUL'; Bad = "a`0b" }, @{ Label = 'of 256 bytes'; Bad = 'x' * 256 }
        ) {
            $err = { Read-SharedMemory -Name $Bad } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
        }

        It 'writes OffsetOutOfRange as a non-terminating error and goes on with the next object' {
            $big = New-TestName
            New-SharedMemory -Name $big -Size 200 | Out-Null
            $out = Read-SharedMemory -Name $name, $big -Offset 150 -Count 1 -ErrorAction SilentlyContinue -ErrorVariable errors
            $out.Length | Should -Be 1
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'OffsetOutOfRange,*'
        }
    }
}

Describe 'Read-SharedMemory on every kind' -Tag Posix, SystemV, File {
    It 'refuses offset <Offset> and count <Count> in a 3333-byte <Kind> object (OffsetOutOfRange) and changes nothing' -TestCases $KindOutOfRange {
        $shm = New-TestSharedMemory $Kind -Size 3333
        $shm.Write(0, (New-RandomBytes 3333))
        $identity = Get-TestIdentity $shm
        $before = Read-SharedMemory @identity
        $record = { Read-SharedMemory @identity -Offset $Offset -Count $Count -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.ReadSharedMemoryCommand' -PassThru
        $record.TargetObject.Name | Should -BeExactly $shm.Name
        if ($Kind -eq 'SystemV') { $record.TargetObject.Id | Should -Be $shm.Id }
        ConvertTo-Hex (Read-SharedMemory @identity) | Should -Be (ConvertTo-Hex $before)
        (Get-KernelView $shm).Size | Should -Be 3333 -Because 'a read never grows the object'
    }
}

Describe 'Read-SharedMemory -Kind SystemV' -Tag SystemV {
    BeforeAll {
        $shm = New-TestSharedMemory SystemV -Size 3333
    }

    It 'reads by -Id and -Key what a C program wrote' {
        $data = New-RandomBytes 100
        $out = & $Sysv write $shm.Id 200 (ConvertTo-Hex $data)
        $LASTEXITCODE | Should -Be 0 -Because $out
        ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Offset 200 -Count 100) | Should -Be (ConvertTo-Hex $data)
        ConvertTo-Hex (Read-SharedMemory -Key $shm.Key -Offset 200 -Count 100) | Should -Be (ConvertTo-Hex $data)
    }

    It 'attaches only for the duration of the operation' {
        $null = Read-SharedMemory -Id $shm.Id -Count 1
        $after = Get-SharedMemory -Id $shm.Id
        $after.AttachCount | Should -Be 0
        $after.LastProcessId | Should -Be $PID
        $after.LastAttachTime | Should -Not -BeNullOrEmpty
        $after.LastDetachTime | Should -Not -BeNullOrEmpty
    }

    It 'reports a segment removed since it was found as SharedMemoryNotFound' {
        $gone = New-TestSharedMemory SystemV
        Remove-SharedMemory -Id $gone.Id
        # EINVAL and EIDRM from shmat mean the segment is gone.
        { Read-SharedMemory -InputObject $gone -Count 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.ReadSharedMemoryCommand'
        { Write-SharedMemory -InputObject $gone -Value 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.WriteSharedMemoryCommand'
    }

}

Describe 'Read-SharedMemory: System V attachments kept by Attach()' -Tag SystemV {
    BeforeEach {
        $script:Segment = New-SharedMemory -Kind SystemV -Size 256KB
    }
    AfterEach {
        $Segment.Close()
        Remove-SharedMemory -Id $Segment.Id -ErrorAction SilentlyContinue
    }

    It 'counts in the attach count while attached, and not after Detach()' {
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
        $Segment.Attach()
        $Segment.IsAttached | Should -BeTrue
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 1
        $Segment.Attach()   # a second Attach() keeps the one attachment
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 1
        $Segment.Detach()
        $Segment.IsAttached | Should -BeFalse
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
    }

    It 'reads and writes through the kept attachment, seeing another process at once' {
        $Segment.Attach()
        $Segment.WriteInt64(8, 0x1122334455667788)
        & $Sysv read $Segment.Id 8 8 | Should -Be '8877665544332211'
        & $Sysv write $Segment.Id 100 'cafe' | Out-Null
        $LASTEXITCODE | Should -Be 0
        [Convert]::ToHexString($Segment.Read(100, 2)) | Should -Be 'CAFE'
    }

    It 'is released by Close(), after which the methods refuse with SharedMemoryClosed, and by Remove-SharedMemory' {
        $Segment.Attach()
        $Segment.Close()
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
        try { $Segment.Attach(); throw 'Attach() after Close() worked' } catch { $_.Exception.InnerException.ErrorId | Should -Be 'SharedMemoryClosed' }
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
        $Segment = Get-SharedMemory -Id $Segment.Id
        $Segment.Attach()
        $Segment | Remove-SharedMemory
        # Detached before IPC_RMID: nothing keeps the segment, so it is gone at once.
        Get-SharedMemory -Id $Segment.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'copies large ranges exactly, with and without a kept attachment (<Mode>)' -TestCases @(
        @{ Mode = 'per operation' }, @{ Mode = 'kept' }
    ) {
        if ($Mode -eq 'kept') { $Segment.Attach() }
        $data = [byte[]]::new(200KB)
        [Security.Cryptography.RandomNumberGenerator]::Fill($data)
        $Segment.Write(1000, $data)
        $back = $Segment.Read(1000, $data.Length)
        [Convert]::ToHexString($back) | Should -Be ([Convert]::ToHexString($data))
        # Another process reads the same bytes at the far end of the range.
        & $Sysv read $Segment.Id (1000 + $data.Length - 4) 4 | Should -Be ([Convert]::ToHexString($data[-4..-1]))
    }

    It 'refuses a range past the end with OffsetOutOfRange while attached' {
        $Segment.Attach()
        { $Segment.Read(256KB - 2, 4) } | Should -Throw -ErrorId OffsetOutOfRange -ExceptionType ([ShmPS.SharedMemoryException])
        try { $Segment.Read(256KB - 2, 4) } catch { $_.Exception.InnerException.ErrorId | Should -Be 'OffsetOutOfRange' }
    }
}

Describe 'Read-SharedMemory ranges that do not fit' -Tag Posix {
    BeforeAll { $script:Small = New-TestName; New-SharedMemory -Name $Small -Size 64 | Out-Null; $script:Odd = New-TestName; New-SharedMemory -Name $Odd -Size 66 | Out-Null }
    AfterAll { Remove-SharedMemory -Name $Small, $Odd -ErrorAction SilentlyContinue }

    It 'says that an offset is past the end, in the terms the user gave' {
        $e = { Read-SharedMemory -Name $Small -Offset 100 -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,*' -PassThru
        $e.Exception.Message | Should -BeLike '*has 64 bytes: offset 100 is past its end.'
    }

    It 'refuses a number that does not fit in the bytes left, instead of returning nothing' {
        { Read-SharedMemory -Name $Small -Offset 62 -As Int32 -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,*'
    }

    It 'reads the whole numbers and warns about leftover bytes' {
        $numbers = @(Read-SharedMemory -Name $Odd -As Int32 -WarningVariable w 3>$null)
        $numbers | Should -HaveCount 16
        "$w" | Should -BeLike '*last 2 byte(s) from offset 0 do not make a whole Int32*'
    }
}
