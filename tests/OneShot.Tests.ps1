# One-shot transfers by name: Write-SharedMemory -Name/-Key/-LiteralPath (-Value or -InputFile) and
# Read-SharedMemory by name, which open the object for the one transfer. Below 256 KiB they use
# pread/pwrite; from 256 KiB on a mapping made for the cmdlet, its range populated in one call, copied with
# the guard. The bytes must be exact on both sides of that line, as another process reads them; another
# process shrinking the object (System V: removing the segment) mid-transfer must be an error, never a
# signal, and a write must never grow the object back.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $Kinds = Get-TestKind
    # A FIFO feeds -InputFile in chunks of this size: 1 MiB chunks take the mapping, 64 KiB ones pwrite.
    $ShrinkCases = foreach ($kind in 'Posix', 'File') {
        foreach ($chunk in 1024, 64) { @{ Kind = $kind; ChunkKiB = $chunk; Path = $chunk -ge 256 ? 'populated mapping' : 'pwrite' } }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $SystemPython = '/usr/bin/python3' # Debian's, with sysv_ipc

    # The identity a user types, as a command-line fragment, and the file another process sees.
    function script:Get-OneShotTarget([string] $Kind, [long] $Size) {
        $shm = New-TestSharedMemory $Kind -Size $Size
        switch ($Kind) {
            'Posix' { @{ Shm = $shm; Identity = "-Name '$($shm.Name)'"; File = "/dev/shm$($shm.Name)" } }
            'File' { @{ Shm = $shm; Identity = "-LiteralPath '$($shm.Path)'"; File = $shm.Path } }
            'SystemV' { @{ Shm = $shm; Identity = "-Key ($($shm.Key))"; File = $null } }
        }
    }

    # SHA-256 of a range as another process reads it: python3 from the file, or through sysv_ipc.
    function script:Get-OtherProcessHash($Target, [long] $Offset, [long] $Count) {
        $code = if ($Target.File) {
            "import hashlib,sys`nf=open(sys.argv[1],'rb'); f.seek($Offset); print(hashlib.sha256(f.read($Count)).hexdigest())"
        } else {
            "import hashlib,sysv_ipc`nm=sysv_ipc.SharedMemory($($Target.Shm.Key)); print(hashlib.sha256(m.read($Count, $Offset)).hexdigest()); m.detach()"
        }
        $out = & $SystemPython -c $code $Target.File
        if ($LASTEXITCODE) { throw "python3 failed: $out" }
        $out.Trim().ToUpperInvariant()
    }

    # Starts a python3 writer on a new FIFO: it writes -ChunkKiB bytes of 0xAB at once (the pipe made that
    # large), says ready, then on "go" writes -ChunkKiB bytes of 0xCD and closes.
    function script:Start-FifoWriter([int] $ChunkKiB) {
        $fifo = Join-Path (New-TestDirectory) 'input.fifo'
        mkfifo $fifo
        if ($LASTEXITCODE) { throw 'mkfifo failed' }
        $code = @"
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)  # no wait for a reader; the reader sees all that was written
fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ: room for a whole chunk, so a reader gets it in one read
n = $ChunkKiB * 1024
os.write(fd, b'\xab' * n)
print('ready', flush=True)
if sys.stdin.readline().strip() == 'go':
    os.write(fd, b'\xcd' * n)
os.close(fd)
print('closed', flush=True)
"@
        $writer = Start-TestProcess $SystemPython '-c', $code, $fifo -Ready
        @{ Fifo = $fifo; Writer = $writer }
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'One-shot transfers by name of a <_> object' -ForEach $Kinds {
    BeforeAll {
        $Kind = $_
    }

    It 'writes and reads the exact bytes at sizes around the 256 KiB crossover, aligned or not, as another process reads them' {
        # Each case in a 4 MiB region of its own, so that all are still there to be read afterwards.
        $t = Get-OneShotTarget $Kind (32MB)
        $region = 0
        $cases = foreach ($size in (256KB - 1), 256KB, (256KB + 1), (3MB + 5)) { foreach ($at in 0, 4097) { "$size,$($region++ * 4MB + $at)" } }
        # In a child pwsh: a fault the guard let through would kill it, and the exit code says so.
        $r = Invoke-ChildPwsh @"
foreach (`$case in '$($cases -join "','")') {
    `$size, `$offset = [long[]](`$case -split ',')
    `$data = [byte[]]::new(`$size); [Random]::new([int]`$size + [int]`$offset).NextBytes(`$data)
    Write-SharedMemory $($t.Identity) -Offset `$offset -Value `$data
    `$back = Read-SharedMemory $($t.Identity) -Offset `$offset -Count `$size
    '{0} {1} {2} {3}' -f `$size, `$offset, [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData(`$data)), (`$back.Length -eq `$size -and [Linq.Enumerable]::SequenceEqual(`$back, `$data))
}
"@
        $r.ExitCode | Should -Be 0 -Because "the child must not die:`n$($r.Error)"
        $lines = @($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $lines.Count | Should -Be $cases.Count -Because $r.Error
        foreach ($line in $lines) {
            $size, $offset, $hash, $same = $line -split ' '
            $same | Should -Be 'True' -Because "Read-SharedMemory gives back what was written ($size bytes at $offset)"
            Get-OtherProcessHash $t ([long]$offset) ([long]$size) | Should -Be $hash -Because "another process reads the $size bytes written at $offset"
        }
        $t.Shm.Refresh()
        $t.Shm.Size | Should -Be 32MB
    }

    It 'writes an -InputFile exactly, in 1 MiB chunks and a tail on either side of 256 KiB' -TestCases @(
        @{ Length = [int](2.5MB + 3) }, @{ Length = [int](1MB + 100KB) }
    ) {
        $t = Get-OneShotTarget $Kind (4MB)
        $inputPath = Join-Path (New-TestDirectory) 'input.bin'
        $data = [byte[]]::new($Length); [Random]::new($Length).NextBytes($data)
        [IO.File]::WriteAllBytes($inputPath, $data)
        $r = Invoke-ChildPwsh "Write-SharedMemory $($t.Identity) -Offset 4097 -InputFile '$inputPath'; 'done'"
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output.Trim() | Should -Be 'done' -Because $r.Error
        Get-OtherProcessHash $t 4097 $Length | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($data)))
    }

    It 'refuses a write by name past the end and leaves the size as it was' {
        $t = Get-OneShotTarget $Kind (1MB)
        $r = Invoke-ChildPwsh @"
Write-SharedMemory $($t.Identity) -Offset 4096 -Value ([byte[]]::new(1MB)) -ErrorAction SilentlyContinue -ErrorVariable e
`$e[0].FullyQualifiedErrorId
"@
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output.Trim() | Should -BeLike 'OffsetOutOfRange,*'
        $t.Shm.Refresh()
        $t.Shm.Size | Should -Be 1MB
    }
}

Describe 'A <Kind> object shrunk by another process during Write-SharedMemory -InputFile (<Path>)' -ForEach $ShrinkCases {
    It 'stops with OffsetOutOfRange, never a signal, and the write does not grow the object back' {
        $t = Get-OneShotTarget $Kind (4MB)
        $w = Start-FifoWriter $ChunkKiB
        $child = Start-ChildPwsh @"
Write-SharedMemory $($t.Identity) -InputFile '$($w.Fifo)' -ErrorAction SilentlyContinue -ErrorVariable e
if (`$e) { `$e[0].FullyQualifiedErrorId } else { 'no error' }
"@
        $chunk = $ChunkKiB * 1KB
        # The first chunk is in the object: its last byte is there.
        Wait-Until {
            $fs = [IO.File]::OpenRead($t.File)
            try { $fs.Position = $chunk - 1; $fs.ReadByte() -eq 0xab } finally { $fs.Dispose() }
        } -TimeoutSeconds 60 | Should -BeTrue
        truncate -s 4096 $t.File
        $LASTEXITCODE | Should -Be 0
        Send-ProcessCommand $w.Writer 'go' | Should -Be 'closed'
        $child.WaitForExit(60000) | Should -BeTrue
        $child.ExitCode | Should -Be 0 -Because "a shrink must not kill the writer (128+n is signal n): $($child.StandardError.ReadToEnd())"
        $child.StandardOutput.ReadToEnd().Trim() | Should -BeLike 'OffsetOutOfRange,*'
        (Get-Item -LiteralPath $t.File).Length | Should -Be 4096 -Because 'a write never grows the object'
        $head = [IO.File]::ReadAllBytes($t.File)
        @($head | Where-Object { $_ -ne 0xab }).Count | Should -Be 0 -Because 'the first chunk was written before the shrink'
    }
}

Describe 'A System V segment removed by another process during Write-SharedMemory -InputFile' {
    It 'stops with SharedMemoryNotFound, never a signal' {
        $t = Get-OneShotTarget SystemV (4MB)
        $w = Start-FifoWriter 1024
        $child = Start-ChildPwsh @"
Write-SharedMemory $($t.Identity) -InputFile '$($w.Fifo)' -ErrorAction SilentlyContinue -ErrorVariable e
if (`$e) { `$e[0].FullyQualifiedErrorId } else { 'no error' }
"@
        Wait-Until { (Get-OtherProcessHash $t (1MB - 1) 1) -eq ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([byte[]]@(0xab)))) } -TimeoutSeconds 60 |
            Should -BeTrue
        ipcrm -m $t.Shm.Id
        $LASTEXITCODE | Should -Be 0
        Send-ProcessCommand $w.Writer 'go' | Should -Be 'closed'
        $child.WaitForExit(60000) | Should -BeTrue
        $child.ExitCode | Should -Be 0 -Because $child.StandardError.ReadToEnd()
        $child.StandardOutput.ReadToEnd().Trim() | Should -BeLike 'SharedMemoryNotFound,*'
    }
}

Describe 'A <_> object that another process keeps truncating and regrowing' -ForEach 'Posix', 'File' {
    It 'gives Write-SharedMemory and Read-SharedMemory by name an error or the data, never a signal' {
        $t = Get-OneShotTarget $_ (8MB)
        $churn = Start-TestProcess bash '-c', "while :; do truncate -s 0 '$($t.File)'; truncate -s 8M '$($t.File)'; done"
        try {
            $r = Invoke-ChildPwsh @"
`$data = [byte[]]::new(8MB)
`$ids = foreach (`$i in 1..40) {
    Write-SharedMemory $($t.Identity) -Value `$data -ErrorAction SilentlyContinue -ErrorVariable e
    if (`$e) { `$e[0].FullyQualifiedErrorId.Split(',')[0] } else { 'written' }
    `$null = Read-SharedMemory $($t.Identity) -ErrorAction SilentlyContinue -ErrorVariable e
    if (`$e) { `$e[0].FullyQualifiedErrorId.Split(',')[0] } else { 'read' }
}
`$ids | Sort-Object -Unique
"@
        }
        finally { Stop-TestProcess $churn }
        $r.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($r.Error)"
        $outcomes = @($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $outcomes | Should -Not -BeNullOrEmpty
        # An object found at size 0 reads as empty; a read or write that meets the end is OffsetOutOfRange.
        $outcomes | ForEach-Object { $_ | Should -BeIn 'written', 'read', 'OffsetOutOfRange' }
    }
}

Describe 'A copy of more than 1 MiB (one call to the guard) through a mapping of a <_> object that another process truncated' -ForEach 'Posix', 'File' {
    It 'is OffsetOutOfRange, reading and writing, never a signal, and the object keeps its new size' {
        $t = Get-OneShotTarget $_ (8MB)
        $r = Invoke-ChildPwsh @"
`$o = Get-SharedMemory $($t.Identity)
`$o.Attach() # mapped at 8 MiB
truncate -s 4096 '$($t.File)'
`$buffer = [byte[]]::new(8MB)
try { `$null = `$o.Read(0, `$buffer, 0, `$buffer.Length); 'read' } catch { `$_.Exception.InnerException.ErrorId }
truncate -s 8M '$($t.File)'
`$o.Detach(); `$o.Attach() # mapped at 8 MiB again
truncate -s 4096 '$($t.File)'
try { `$o.Write(0, `$buffer); 'written' } catch { `$_.Exception.InnerException.ErrorId }
`$o.Close()
"@
        $r.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($r.Error)"
        @($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }) | Should -Be 'OffsetOutOfRange', 'OffsetOutOfRange'
        (Get-Item -LiteralPath $t.File).Length | Should -Be 4096 -Because 'a write never grows the object'
    }
}
