# $obj.OpenStream(): a seekable System.IO.Stream over an object of any kind, bounded by its size when
# opened, for .NET readers and writers (StreamReader, BinaryReader/Writer, CopyTo, GZipStream).
# A shrink by another process mid-stream runs in a child pwsh on both data paths: an error, never a crash.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $Kinds = Get-TestKind -AsTestCase
    $ShrinkCases = foreach ($path in 'mapped', 'syscall') { foreach ($kind in 'Posix', 'File') { @{ Path = $path; Kind = $kind } } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    Add-Type -AssemblyName System.IO.Compression
}

AfterAll { Remove-TestSharedMemory }

Describe 'OpenStream over every kind' -Tag Posix, SystemV, File {
    It '<Kind>: StreamReader reads the text that Write-SharedMemory wrote, line by line' -TestCases $Kinds {
        $text = "first line`nzweite Zeile: Grüße ✓`nlast"
        $shm = New-TestSharedMemory $Kind -Size ([Text.Encoding]::UTF8.GetByteCount($text))
        $shm | Write-SharedMemory -Value $text
        $reader = [IO.StreamReader]::new($shm.OpenStream())
        $reader.ReadLine() | Should -BeExactly 'first line'
        $reader.ReadToEnd() | Should -BeExactly "zweite Zeile: Grüße ✓`nlast"
        $reader.Dispose()
        $shm.Close()
    }

    It '<Kind>: ConvertFrom-Json reads JSON through a StreamReader' -TestCases $Kinds {
        $json = @{ name = 'sensor'; values = 1, 2, 3 } | ConvertTo-Json -Compress
        $shm = New-TestSharedMemory $Kind -Size ([Text.Encoding]::UTF8.GetByteCount($json))
        $shm | Write-SharedMemory -Value $json
        $stream = $shm.OpenStream('Read')
        $parsed = [IO.StreamReader]::new($stream).ReadToEnd() | ConvertFrom-Json
        $parsed.name | Should -BeExactly 'sensor'
        $parsed.values | Should -Be 1, 2, 3
        $stream.Dispose()
        $shm.Close()
    }

    It '<Kind>: BinaryWriter writes what BinaryReader, the methods and Read-SharedMemory read back' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 64
        $writer = [IO.BinaryWriter]::new($shm.OpenStream())
        $writer.Write([int]-7)
        $writer.Write([double]2.5)
        $writer.Write('hé')
        $writer.Flush()
        $writer.BaseStream.Position | Should -Be 16 -Because '4 + 8 bytes, a length byte and 3 UTF-8 bytes'
        $writer.Dispose()

        $shm.ReadInt32(0) | Should -Be -7
        $shm.ReadDouble(4) | Should -Be 2.5
        [Convert]::ToHexString((Read-SharedMemory -InputObject $shm -Offset 12 -Count 4)) | Should -Be '0368C3A9'
        $reader = [IO.BinaryReader]::new($shm.OpenStream('Read'))
        $reader.ReadInt32() | Should -Be -7
        $reader.ReadDouble() | Should -Be 2.5
        $reader.ReadString() | Should -BeExactly 'hé'
        $reader.Dispose()
        $shm.Close()
    }

    It '<Kind>: CopyTo copies every byte to a MemoryStream, from the position to the end' -TestCases $Kinds {
        $data = New-RandomBytes 300001
        $shm = New-TestSharedMemory $Kind -Size $data.Length
        $shm | Write-SharedMemory -Value $data
        $stream = $shm.OpenStream()
        $copy = [IO.MemoryStream]::new()
        $stream.CopyTo($copy)
        $stream.Position | Should -Be $data.Length
        ConvertTo-Hex $copy.ToArray() | Should -Be (ConvertTo-Hex $data)

        $stream.Position = 1000
        $tail = [IO.MemoryStream]::new()
        $stream.CopyToAsync($tail).GetAwaiter().GetResult()
        ConvertTo-Hex $tail.ToArray() | Should -Be (ConvertTo-Hex $data[1000..($data.Length - 1)])
        $stream.Dispose()
        $shm.Close()
    }

    It '<Kind>: GZipStream compresses into one object and decompresses out of it into another' -TestCases $Kinds {
        $text = (1..20000 | ForEach-Object { "line $_ of a text that compresses well" }) -join "`n"
        $bytes = [Text.Encoding]::UTF8.GetBytes($text)
        $packed = New-TestSharedMemory $Kind -Size 256KB
        $unpacked = New-TestSharedMemory $Kind -Size $bytes.Length

        $into = $packed.OpenStream('Write')
        $gzip = [IO.Compression.GZipStream]::new($into, [IO.Compression.CompressionLevel]::Optimal)
        $gzip.Write($bytes, 0, $bytes.Length)
        $gzip.Dispose()
        $into.CanWrite | Should -BeFalse -Because 'the GZipStream disposed the stream it wrote to'
        $packedLength = $into.Position
        $packedLength | Should -BeLessThan ($bytes.Length / 4)

        $from = $packed.OpenStream('Read')
        $gunzip = [IO.Compression.GZipStream]::new($from, [IO.Compression.CompressionMode]::Decompress)
        $out = $unpacked.OpenStream()
        $gunzip.CopyTo($out)
        $out.Position | Should -Be $bytes.Length
        $gunzip.Dispose()
        $out.Dispose()
        ($unpacked | Read-SharedMemory -Encoding utf8) | Should -BeExactly $text
        $packed.Close(); $unpacked.Close()
    }

    It '<Kind>: Seek from Begin, Current and End; a read at the end gives 0; a seek before the start fails' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 100
        $shm | Write-SharedMemory -Value ([byte[]](0..99))
        $stream = $shm.OpenStream()
        $stream.CanSeek | Should -BeTrue
        $stream.CanTimeout | Should -BeFalse
        $stream.Length | Should -Be 100
        $stream.Seek(10, 'Begin') | Should -Be 10
        $stream.ReadByte() | Should -Be 10
        $stream.Seek(5, 'Current') | Should -Be 16
        $stream.ReadByte() | Should -Be 16
        $stream.Seek(-3, 'Current') | Should -Be 14
        $stream.Seek(-1, 'End') | Should -Be 99
        $stream.ReadByte() | Should -Be 99
        $stream.ReadByte() | Should -Be -1
        $buffer = [byte[]]::new(10)
        $stream.Read($buffer, 0, 10) | Should -Be 0
        $stream.Seek(-4, 'End') | Should -Be 96
        $stream.Read($buffer, 0, 10) | Should -Be 4 -Because 'a read stops at the end'
        $stream.Seek(50, 'End') | Should -Be 150 -Because 'a seek past the end is allowed, as with FileStream'
        $stream.Read($buffer, 0, 10) | Should -Be 0
        Get-ThrownId { $stream.Seek(-1, 'Begin') } | Should -Be 'IOException'
        $stream.Position | Should -Be 150
        $stream.Dispose()
        $shm.Close()
    }

    It '<Kind>: a write past the end fails, writes nothing and never grows the object' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 100
        $stream = $shm.OpenStream()
        $stream.Position = 98
        Get-ThrownId { $stream.Write([byte[]](1, 2, 3), 0, 3) } | Should -Be 'OffsetOutOfRange'
        $stream.Position | Should -Be 98
        $shm.Read(98, 2) | Should -Be 0, 0 -Because 'a write that does not fit writes nothing'
        $stream.Write([byte[]](1, 2), 0, 2)
        Get-ThrownId { $stream.WriteByte(9) } | Should -Be 'OffsetOutOfRange'
        $stream.Position = 99
        Get-ThrownId { $stream.WriteAsync([byte[]](7, 7), 0, 2).GetAwaiter().GetResult() } | Should -Be 'OffsetOutOfRange'
        $stream.Position = 1000
        Get-ThrownId { $stream.WriteByte(9) } | Should -Be 'OffsetOutOfRange'
        Get-ThrownId { $stream.SetLength(200) } | Should -Be 'NotSupportedException'
        $stream.Dispose()
        $shm.Close()
        (Get-SharedMemory -InputObject $shm).Size | Should -Be 100
        if ($Kind -ne 'SystemV') { (Get-Item -LiteralPath $shm.Path).Length | Should -Be 100 }
        [Convert]::ToHexString((Read-SharedMemory -InputObject $shm -Offset 98 -Count 2)) | Should -Be '0102'
    }

    It '<Kind>: a read-only stream refuses writes; disposing a stream leaves the object open; closing the object ends the stream' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 64
        $stream = $shm.OpenStream([IO.FileAccess]::Read)
        $stream.CanRead | Should -BeTrue
        $stream.CanWrite | Should -BeFalse
        Get-ThrownId { $stream.WriteByte(1) } | Should -Be 'NotSupportedException'
        $stream.Dispose()
        $stream.CanRead | Should -BeFalse
        Get-ThrownId { $stream.ReadByte() } | Should -Be 'ObjectDisposedException'
        $shm.WriteByte(0, 42)
        $shm.ReadByte(0) | Should -Be 42 -Because 'the object stays open'

        $other = $shm.OpenStream()
        $shm.Close()
        Get-ThrownId { $other.ReadByte() } | Should -Be 'SharedMemoryClosed'
        Get-ThrownId { $shm.OpenStream() } | Should -Be 'SharedMemoryClosed'
    }

    It '<Kind>: Length is the size when the stream was opened' -TestCases @(@{ Kind = 'Posix' }, @{ Kind = 'File' }) {
        $shm = New-TestSharedMemory $Kind -Size 100
        $stream = $shm.OpenStream()
        $shm | Resize-SharedMemory -Size 200
        $stream.Length | Should -Be 100
        $stream.Position = 100
        $stream.ReadByte() | Should -Be -1
        $shm.OpenStream().Length | Should -Be 200 -Because 'a new stream sees the new size'
        $shm.Close()
    }
}

Describe 'OpenStream when another process shrinks the object' -Tag Posix, File, Guard {
    BeforeAll { $script:Dir = New-TestDirectory }

    It '<Kind> (<Path>): a read and a write past the new end are OffsetOutOfRange, and pwsh lives on' -TestCases $ShrinkCases {
        $identity = if ($Kind -eq 'Posix') { "-Name '$(New-TestName)'" } else { "-Path '$(Join-Path $Dir ([Guid]::NewGuid().ToString('N')))'" }
        $launcher = if ($Path -eq 'syscall') { @{ Launcher = 'env', 'SHMPS_DATA_PATH=syscall' } } else { @{} }
        $result = Invoke-ChildPwsh @launcher -Script @"
`$o = New-SharedMemory $identity -Size 64KB
`$file = if (`$o.Kind -eq 'Posix') { "/dev/shm`$(`$o.Name)" } else { `$o.Path }
try {
    `$s = `$o.OpenStream()
    `$buffer = [byte[]]::new(4096)
    `$s.Read(`$buffer, 0, 4096)
    truncate -s 1000 `$file
    if (`$LASTEXITCODE) { throw 'truncate failed' }
    foreach (`$call in { `$s.Read(`$buffer, 0, 4096) }, { `$s.Write(`$buffer, 0, 4096) }, { `$s.CopyTo([IO.Stream]::Null) }) {
        try { & `$call; 'no error' } catch { `$_.Exception.InnerException.ErrorId }
    }
    `$s.Position = 0
    `$s.Read(`$buffer, 0, 1000)
    (Get-Item -LiteralPath `$file).Length
} finally { `$o.Close(); `$o | Remove-SharedMemory -Confirm:`$false }
"@
        $result.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($result.Error)"
        $lines = @($result.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $lines | Should -Be '4096', 'OffsetOutOfRange', 'OffsetOutOfRange', 'OffsetOutOfRange', '1000', '1000'
    }
}
