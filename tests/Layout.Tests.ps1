# Read-/Write-SharedMemory -Layout and -As ShareableList over every kind, against other programs: a C
# program (tests/native/stats.c) writes and reads the struct that -Layout describes, and python3 makes and
# reads ShareableLists (CPython 3.11's format).

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:Kinds = Get-TestKind -AsTestCase
    # A PostgreSQL server to read the header of (the postgresql package; CI installs it).
    $script:NoPostgres = -not (Get-ChildItem /usr/lib/postgresql/*/bin/initdb -ErrorAction SilentlyContinue) -or -not (Get-Command runuser -ErrorAction SilentlyContinue)
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Stats = Get-NativeTool stats
    # The same text as STATS_DECLARATION in tests/native/stats.c.
    $script:Declaration = @'
struct point { int32_t x, y; };
typedef enum { IDLE, BUSY = 5, DOWN = -1 } state_t;
struct stats {
    int64_t counter;
    char name[32];
    double value;
    uint8_t flags[3];
    bool ok;
    int16_t temps[2][3];
    struct point where;
    state_t state;
    float ratio;
    uint64_t big;
    char tags[2][8];
};
'@

    function Get-CIdentity($Shm) {
        switch ($Shm.Kind) { 'Posix' { 'posix', $Shm.Name } 'SystemV' { 'sysv', $Shm.Id } 'File' { 'file', $Shm.Path } }
    }

    function Invoke-Stats {
        param([string] $Command, $Shm, [long] $Offset, [int] $Count)
        $kind, $identity = Get-CIdentity $Shm
        $arguments = @($Command, $kind, $identity, $Offset) + @(if ($Command -eq 'write') { $Count })
        $out = & $Stats @arguments
        if ($LASTEXITCODE) { throw "stats $arguments failed: $out" }
        $out
    }

    function ConvertFrom-StatsOutput([string[]] $Lines) {
        $h = [ordered]@{}
        foreach ($line in $Lines) { $name, $rest = $line -split ' ', 2; $h[$name] = $rest }
        $h
    }

    function Invoke-Python([string] $Script) {
        $out = python3 -c $Script 2>&1
        if ($LASTEXITCODE) { throw "python3 failed: $out" }
        $out
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Read-SharedMemory -Layout' {
    It 'has the layout the C compiler gives struct stats' {
        $c = & $Stats layout
        $layout = New-SharedMemoryLayout $Declaration
        "sizeof $($layout.Size)" | Should -Be $c[0]
        $layout.Fields | ForEach-Object { "offsetof $($_.Name) $($_.Offset)" } | Should -Be $c[1..11]
        "declaration $([Text.Encoding]::UTF8.GetByteCount($Declaration.ReplaceLineEndings("`n")) + 1)" | Should -Be $c[12] -Because 'the test reads the declaration stats.c was compiled with'
    }

    It 'reads a struct a C program wrote into a <Kind> object, each field as its type' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 4096
        Invoke-Stats write $shm 0 1 | Should -Be ok
        $r = Read-SharedMemory -InputObject $shm -Layout $Declaration
        $r | Should -BeOfType System.Management.Automation.PSCustomObject
        $r.PSObject.Properties.Name | Should -Be counter, name, value, flags, ok, temps, where, state, ratio, big, tags
        $r.counter | Should -BeOfType long
        $r.counter | Should -Be 1000000000000
        $r.name | Should -BeExactly 'sensor-0' -Because 'a char array is text up to its first NUL'
        $r.value | Should -Be (-1.0)
        $r.flags.GetType() | Should -Be ([byte[]])
        $r.flags | Should -Be 0, 255, 7
        $r.ok | Should -BeOfType bool
        $r.ok | Should -BeTrue
        $r.temps.Count | Should -Be 2
        $r.temps[0].GetType() | Should -Be ([int16[]])
        $r.temps[0] | Should -Be 0, 1, 2
        $r.temps[1] | Should -Be -100, -99, -98
        $r.where.x | Should -Be 0
        $r.where.y | Should -Be 0
        $r.state | Should -Be -1
        $r.ratio | Should -BeOfType float
        $r.ratio | Should -Be 0.25
        $r.big | Should -BeOfType uint64
        $r.big | Should -Be 18000000000000000000
        $r.tags | Should -Be 'a', 'bc'
    }

    It 'reads -Count records at the layout''s stride from -Offset in a <Kind> object' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 4096
        Invoke-Stats write $shm 8 10 | Should -Be ok
        $layout = New-SharedMemoryLayout $Declaration
        $records = @(Read-SharedMemory -InputObject $shm -Layout $layout -Offset 8 -Count 10)
        $records.Count | Should -Be 10
        $records.name | Should -Be (0..9 | ForEach-Object { "sensor-$_" })
        $records.where.y | Should -Be (0..9 | ForEach-Object { $_ * 3 })
        $records[7].state | Should -Be 5
        @(Read-SharedMemory -InputObject $shm -Layout $layout -Offset (8 + 4 * $layout.Size) -Count 1).counter | Should -Be 1000000000004
    }

    It 'refuses a record past the end of a <Kind> object with OffsetOutOfRange' -TestCases $Kinds {
        $layout = New-SharedMemoryLayout $Declaration
        $shm = New-TestSharedMemory $Kind -Size (3 * $layout.Size)
        @(Read-SharedMemory -InputObject $shm -Layout $layout -Count 3).Count | Should -Be 3
        { Read-SharedMemory -InputObject $shm -Layout $layout -Count 4 -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.ReadSharedMemoryCommand'
        { Read-SharedMemory -InputObject $shm -Layout $layout -Offset 1 -Count 3 -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.ReadSharedMemoryCommand'
        $out = @(Read-SharedMemory -InputObject $shm -Layout $layout -Count 4 -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0 -Because 'the whole range is checked before a record is output'
    }

    It 'reads text of char arrays in -Encoding' {
        $shm = New-TestSharedMemory Posix -Size 64
        Write-SharedMemory -InputObject $shm -Value ([Text.Encoding]::Latin1.GetBytes("caf$([char]0xe9)"))
        (Read-SharedMemory -InputObject $shm -Layout 'struct s { char t[8]; };' -Encoding latin1).t | Should -BeExactly "caf$([char]0xe9)"
    }

    It 'refuses -Layout with -As or -OutFile (LayoutConflict) and declarations it cannot lay out (InvalidLayout)' {
        $shm = New-TestSharedMemory Posix -Size 64
        { Read-SharedMemory -InputObject $shm -Layout 'struct s { int a; };' -As Int32 } | Should -Throw -ErrorId 'LayoutConflict,ShmPS.Commands.ReadSharedMemoryCommand'
        { Read-SharedMemory -InputObject $shm -Layout "struct s {`n int a : 2; };" } | Should -Throw -ErrorId 'InvalidLayout,ShmPS.Commands.ReadSharedMemoryCommand'
    }
}

Describe 'Write-SharedMemory -Layout' {
    It 'writes a struct that a C program reads from a <Kind> object' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 4096
        Write-SharedMemory -InputObject $shm -Offset 16 -Layout $Declaration -Value @{
            counter = 42; name = 'from ShmPS'; value = 3.5; flags = [byte[]](1, 2, 3); ok = $true
            temps = @(@(1, 2, 3), @(-4, -5, -6)); where = @{ x = -7; y = 8 }; state = 'BUSY'; ratio = 1.5
            big = [uint64]::MaxValue; tags = 'x', 'yz'
        }
        $c = ConvertFrom-StatsOutput (Invoke-Stats read $shm 16)
        $c.counter | Should -Be '42'
        $c.name | Should -BeExactly 'from ShmPS'
        $c.value | Should -Be '3.5'
        $c.flags | Should -Be '1 2 3'
        $c.ok | Should -Be '1'
        $c.temps | Should -Be '1 2 3 -4 -5 -6'
        $c.where | Should -Be '-7 8'
        $c.state | Should -Be '5'
        $c.ratio | Should -Be '1.5'
        $c.big | Should -Be '18446744073709551615'
        $c.tags | Should -Be 'x yz'
    }

    It 'writes only the named fields of a <Kind> object: padding and other fields keep their bytes' -TestCases $Kinds {
        $layout = New-SharedMemoryLayout $Declaration
        $shm = New-TestSharedMemory $Kind -Size 4096
        $fill = [byte[]]::new(4096); [Array]::Fill($fill, [byte]0xAA)
        Write-SharedMemory -InputObject $shm -Value $fill
        Write-SharedMemory -InputObject $shm -Layout $layout -Offset 104 -Value @{ name = 'ab'; ok = $false; where = @{ y = 1 } }
        $bytes = Read-SharedMemory -InputObject $shm
        $expected = $fill.Clone()
        [byte[]](0x61, 0x62) + [byte[]]::new(30) | ForEach-Object -Begin { $i = 104 + 8 } -Process { $expected[$i++] = $_ }
        $expected[104 + 51] = 0
        [BitConverter]::GetBytes([int]1).CopyTo($expected, 104 + 68)
        [Convert]::ToHexString($bytes) | Should -Be ([Convert]::ToHexString($expected))
    }

    It 'writes records from an array of values, and one value -Count times, to a <Kind> object' -TestCases $Kinds {
        $layout = New-SharedMemoryLayout $Declaration
        $shm = New-TestSharedMemory $Kind -Size 4096
        Write-SharedMemory -InputObject $shm -Layout $layout -Value @(@{ counter = 1; name = 'one' }, [pscustomobject]@{ counter = 2; name = 'two' })
        $records = @(Read-SharedMemory -InputObject $shm -Layout $layout -Count 2)
        $records.counter | Should -Be 1, 2
        $records.name | Should -Be one, two
        Write-SharedMemory -InputObject $shm -Layout $layout -Offset (2 * $layout.Size) -Count 3 -Value @{ state = 'DOWN' }
        @(Read-SharedMemory -InputObject $shm -Layout $layout -Offset (2 * $layout.Size) -Count 3).state | Should -Be -1, -1, -1
        # What Read-SharedMemory -Layout returns writes back unchanged.
        $copy = Read-SharedMemory -InputObject $shm -Layout $layout
        $copy.value = 9.25
        Write-SharedMemory -InputObject $shm -Layout $layout -Offset (5 * $layout.Size) -Value $copy
        $back = Read-SharedMemory -InputObject $shm -Layout $layout -Offset (5 * $layout.Size)
        $back.value | Should -Be 9.25
        $back.name | Should -Be 'one'
    }

    It 'writes nothing to a <Kind> object when <Label>' -TestCases @(
        foreach ($k in Get-TestKind) {
            @{ Kind = $k; Label = 'a value does not fit its type'; Value = @{ name = 'x'; flags = @(1, 256) } }
            @{ Kind = $k; Label = 'a negative value is given to an unsigned field'; Value = @{ name = 'x'; big = -1 } }
            @{ Kind = $k; Label = 'a fraction is given to an integer'; Value = @{ name = 'x'; counter = 1.5 } }
            @{ Kind = $k; Label = 'a string is longer than its array'; Value = @{ counter = 1; name = 'n' * 33 } }
            @{ Kind = $k; Label = 'a field is not in the layout'; Value = @{ counter = 1; nmae = 'typo' } }
            @{ Kind = $k; Label = 'an enum constant does not exist'; Value = @{ counter = 1; state = 'ASLEEP' } }
            @{ Kind = $k; Label = 'the second record is wrong'; Value = @(@{ counter = 1 }, @{ counter = 'many' }) }
        }
    ) {
        $shm = New-TestSharedMemory $Kind -Size 4096
        { Write-SharedMemory -InputObject $shm -Layout $Declaration -Value $Value } | Should -Throw -ErrorId 'InvalidValue,ShmPS.Commands.WriteSharedMemoryCommand'
        [Linq.Enumerable]::Any([byte[]](Read-SharedMemory -InputObject $shm), [Func[byte, bool]] { param($b) $b -ne 0 }) | Should -BeFalse
    }

    It 'refuses records past the end of a <Kind> object with OffsetOutOfRange, writing none' -TestCases $Kinds {
        $layout = New-SharedMemoryLayout $Declaration
        $shm = New-TestSharedMemory $Kind -Size (2 * $layout.Size + 8)
        { Write-SharedMemory -InputObject $shm -Layout $layout -Count 3 -Value @{ counter = 5 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.WriteSharedMemoryCommand'
        [Linq.Enumerable]::Any([byte[]](Read-SharedMemory -InputObject $shm), [Func[byte, bool]] { param($b) $b -ne 0 }) | Should -BeFalse
    }

    It 'refuses -Count without -Layout, and a -Count that differs from the number of values' {
        $shm = New-TestSharedMemory Posix -Size 4096
        { Write-SharedMemory -InputObject $shm -Value 1 -Count 2 } | Should -Throw -ErrorId 'LayoutConflict,ShmPS.Commands.WriteSharedMemoryCommand'
        { Write-SharedMemory -InputObject $shm -Layout $Declaration -Value @(@{ counter = 1 }, @{ counter = 2 }) -Count 3 } |
            Should -Throw -ErrorId 'InvalidValue,ShmPS.Commands.WriteSharedMemoryCommand'
    }

    It 'asks before writing with -WhatIf, and writes nothing' {
        $shm = New-TestSharedMemory Posix -Size 4096
        Write-SharedMemory -InputObject $shm -Layout $Declaration -Value @{ counter = 9 } -WhatIf
        (Read-SharedMemory -InputObject $shm -Layout $Declaration).counter | Should -Be 0
    }
}

Describe '-As ShareableList' {
    BeforeAll {
        $script:Items = @'
42, -7, 2.5, 'h\xe9llo', b'\x01ab', None, True, False, '', 'a' * 20
'@
        $script:ItemsRepr = "[42, -7, 2.5, 'héllo', b'\x01ab', None, True, False, '', 'aaaaaaaaaaaaaaaaaaaa']"
    }

    It 'reads a list that Python made, with each item as its PowerShell type' {
        $name = New-TestName
        Invoke-Python @"
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import ShareableList
sl = ShareableList([$Items], name='$($name.TrimStart('/'))')
resource_tracker.unregister(sl.shm._name, 'shared_memory')  # Python 3.8-3.12: keep it after Python exits
"@ | Out-Null
        Register-TestSharedMemory -InputObject (Get-SharedMemory -Name $name)
        $list = Read-SharedMemory -Name $name -As ShareableList
        $list.Count | Should -Be 10
        $list[0] | Should -BeOfType long
        $list[0] | Should -Be 42
        $list[1] | Should -Be -7
        $list[2] | Should -BeOfType double
        $list[2] | Should -Be 2.5
        $list[3] | Should -BeExactly "h$([char]0xe9)llo"
        $list[4].GetType() | Should -Be ([byte[]])
        $list[4] | Should -Be 1, 0x61, 0x62
        $list[5] | Should -BeNullOrEmpty
        $null -eq $list[5] | Should -BeTrue
        $list[6] | Should -BeOfType bool
        $list[6] | Should -BeTrue
        $list[7] | Should -BeFalse
        $list[8] | Should -BeExactly ''
        $list[9] | Should -BeExactly ('a' * 20)
        @(Read-SharedMemory -Name $name -As ShareableList -Count 2) | Should -Be 42, -7
    }

    It 'writes a list that Python reads back with ShareableList(name=...), and reads what Python changed' {
        $shm = New-TestSharedMemory Posix -Size 4096
        Write-SharedMemory -InputObject $shm -As ShareableList -Value @(42, -7, 2.5, "h$([char]0xe9)llo", [byte[]](1, 0x61, 0x62), $null, $true, $false, '', ('a' * 20))
        $out = Invoke-Python @"
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import ShareableList
sl = ShareableList(name='$($shm.Name.TrimStart('/'))')
resource_tracker.unregister(sl.shm._name, 'shared_memory')  # attached, not created: leave it to ShmPS
print(repr(list(sl)))
sl[0] = 1234
sl[3] = 'new'
sl.shm.close()
"@
        $out | Should -Be $ItemsRepr
        $list = Read-SharedMemory -InputObject $shm -As ShareableList
        $list[0] | Should -Be 1234
        $list[3] | Should -BeExactly 'new'
    }

    It 'writes and reads the bytes Python makes, in a <Kind> object at an -Offset' -TestCases $Kinds {
        $hex = Invoke-Python @"
from multiprocessing.shared_memory import ShareableList
sl = ShareableList([$Items])
print(bytes(sl.shm.buf[:len(sl.shm.buf)]).hex())
sl.shm.close(); sl.shm.unlink()
"@
        $shm = New-TestSharedMemory $Kind -Size 4096
        Write-SharedMemory -InputObject $shm -Offset 24 -As ShareableList -Value @(42, -7, 2.5, "h$([char]0xe9)llo", [byte[]](1, 0x61, 0x62), $null, $true, $false, '', ('a' * 20))
        $length = $hex.Length / 2
        [Convert]::ToHexString((Read-SharedMemory -InputObject $shm -Offset 24 -Count $length)) | Should -Be $hex.ToUpperInvariant() -Because 'ShmPS writes the bytes CPython writes'
        $list = Read-SharedMemory -InputObject $shm -Offset 24 -As ShareableList
        $list.Count | Should -Be 10
        $list[9] | Should -BeExactly ('a' * 20)
    }

    It 'refuses values a ShareableList cannot hold, and bytes that are not one (a bad count, a str that is not UTF-8)' {
        $shm = New-TestSharedMemory Posix -Size 4096
        { Write-SharedMemory -InputObject $shm -As ShareableList -Value @(1, (Get-Date)) } | Should -Throw -ErrorId 'InvalidValue,ShmPS.Commands.WriteSharedMemoryCommand'
        { Write-SharedMemory -InputObject $shm -As ShareableList -Value @(1, [uint64]::MaxValue) } | Should -Throw -ErrorId 'InvalidValue,ShmPS.Commands.WriteSharedMemoryCommand'
        Write-SharedMemory -InputObject $shm -Value ([byte[]](0xff) * 8)
        { Read-SharedMemory -InputObject $shm -As ShareableList -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidShareableList,ShmPS.Commands.ReadSharedMemoryCommand'
        Write-SharedMemory -InputObject $shm -As ShareableList -Value @('ok', 'abc')
        Write-SharedMemory -InputObject $shm -Offset (8 * 4 + 8) -Value ([byte[]](0xff))   # the first byte of 'abc'
        { Read-SharedMemory -InputObject $shm -As ShareableList -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidShareableList,ShmPS.Commands.ReadSharedMemoryCommand'
        $small = New-TestSharedMemory Posix -Size 16
        { Write-SharedMemory -InputObject $small -As ShareableList -Value @(1, 2) -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.WriteSharedMemoryCommand'
    }
}

Describe 'Read-SharedMemory -Layout on a PostgreSQL server''s segment' {
    BeforeAll {
        $script:PgBin = @(Get-ChildItem /usr/lib/postgresql/*/bin/initdb -ErrorAction SilentlyContinue | Sort-Object FullName)[-1] | Split-Path -Parent
        $script:Header = New-SharedMemoryLayout (Get-Content -Raw (Join-Path $PSScriptRoot 'fixtures/pg_shmem.h'))
    }

    It 'decodes the PGShmemHeader of a running server: its magic, its pid and its data directory' -Skip:$NoPostgres {
        $dir = New-TestDirectory
        $data = Join-Path $dir 'data'
        chown postgres $dir
        $out = runuser -u postgres -- "$PgBin/initdb" -D $data -A trust --no-sync 2>&1
        if ($LASTEXITCODE) { throw "initdb failed: $out" }
        $out = runuser -u postgres -- "$PgBin/pg_ctl" -D $data -w -l "$dir/log" -o "-k $dir -c listen_addresses= -c shared_buffers=1MB" start 2>&1
        if ($LASTEXITCODE) { throw "pg_ctl start failed: $out`n$(Get-Content "$dir/log" -Raw -ErrorAction SilentlyContinue)" }
        try {
            # postmaster.pid: the server's pid on line 1, "key shmid" of its System V segment on line 7.
            $lines = Get-Content "$data/postmaster.pid"
            $serverPid = [int]$lines[0]
            $id = [int](-split $lines[6])[1]
            $h = Read-SharedMemory -Id $id -Layout $Header
            $h.magic | Should -Be 679834894 -Because 'PGShmMagic'
            $h.creatorPID | Should -Be $serverPid
            $dev, $ino = (stat -c '%d %i' $data) -split ' '
            $h.device | Should -Be ([uint64]$dev)
            $h.inode | Should -Be ([uint64]$ino)
            # The System V segment holds the header alone (sizeof(PGShmemHeader), as PostgreSQL was compiled);
            # totalsize and freeoffset describe the main shared memory, mapped anonymously.
            (Get-SharedMemory -Id $id).Size | Should -Be $Header.Size
            $h.totalsize | Should -BeGreaterThan 1MB
            $h.freeoffset | Should -BeGreaterOrEqual $Header.Size
            $h.freeoffset | Should -BeLessOrEqual $h.totalsize
        } finally {
            runuser -u postgres -- "$PgBin/pg_ctl" -D $data -m immediate -w stop 2>&1 | Out-Null
        }
    }
}
