BeforeDiscovery {
    $hasPython = [bool](Get-Command python3 -ErrorAction SilentlyContinue) -and
        $(python3 -c 'import multiprocessing.shared_memory' 2>$null; $LASTEXITCODE -eq 0)
    # Debian's Python (python3, python3-sysv-ipc), which users of the system have: the notes in about_ShmPS
    # ("Working with Python and C programs") are shown with it. Its version picks the resource tracker workaround.
    $SystemPython = '/usr/bin/python3'
    $SystemPythonVersion = [version](& $SystemPython -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    $TrackerWorkaround = if ($SystemPythonVersion -ge [version]'3.13') { 'SharedMemory(name, track=False)' }
        else { 'resource_tracker.unregister(shm._name, "shared_memory")' }
}

BeforeAll { . $PSScriptRoot/common.ps1 }

AfterAll { Remove-TestSharedMemory }

# Data written by ShmPS is read byte for byte by other programs, and the other way round: C programs
# (tests/native/posix.c through mmap, tests/native/filemap.c through a MAP_SHARED file mapping) and
# Python's multiprocessing.shared_memory. System V segments are shared with C programs and util-linux in
# the cmdlet files (Read-, Write-, Get- and Remove-SharedMemory.Tests.ps1, -Kind SystemV).
Describe 'POSIX interoperability with C' -Tag Posix, Interop {
    BeforeAll {
        $posix = Get-NativeTool posix
        $all = [byte[]](0..255)
        $allHex = [Convert]::ToHexString($all).ToLowerInvariant()
    }
    BeforeEach {
        $name = New-TestName
        $shm = New-SharedMemory -Name $name -Size 300
    }
    AfterAll { Remove-TestSharedMemory }

    It 'C reads every byte value that Write-SharedMemory wrote' {
        Write-SharedMemory -Name $name -Offset 7 -Value $all
        & $posix read $name 7 256 | Should -Be $allHex
        & $posix read $name 0 7 | Should -Be '00000000000000'
    }

    It 'Read-SharedMemory reads every byte value that C wrote' {
        & $posix write $name 13 $allHex
        $LASTEXITCODE | Should -Be 0
        [Convert]::ToHexString((Read-SharedMemory -Name $name -Offset 13 -Count 256)) | Should -Be $allHex
        [Convert]::ToHexString($shm.Read(13, 256)) | Should -Be $allHex -Because 'an object opened before the write sees it too'
    }

    It 'C reads numbers little-endian as ShmPS wrote them' {
        Write-SharedMemory -Name $name -Value ([long]0x0102030405060708), ([int]-2), 1.5, ([uint16]0xbeef)
        & $posix read $name 0 22 | Should -Be '0807060504030201feffffff000000000000f83fefbe'
    }

    It 'ShmPS reads numbers that C wrote little-endian' {
        & $posix write $name 0 '0807060504030201feffffff000000000000f83f'
        $shm.ReadInt64(0) | Should -Be 0x0102030405060708
        $shm.ReadInt32(8) | Should -Be -2
        $shm.ReadDouble(12) | Should -Be 1.5
        Read-SharedMemory -Name $name -As Int32 -Offset 8 -Count 1 | Should -Be -2
    }

    It 'C reads the UTF-8 bytes of text that ShmPS wrote' {
        Write-SharedMemory -Name $name -Value 'Grüße ✓'
        & $posix read $name 0 11 | Should -Be ([Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes('Grüße ✓')).ToLowerInvariant())
    }

    It 'ShmPS lists, reads, writes and removes an object that C created' {
        $other = New-TestName
        & $posix create $other 123 640
        $LASTEXITCODE | Should -Be 0
        & $posix write $other 100 'a0a1a2'
        $found = Get-SharedMemory -Name $other
        $found.Size | Should -Be 123
        $found.Permissions | Should -BeExactly 'rw-r-----'
        [Convert]::ToHexString((Read-SharedMemory -Name $other -Offset 100 -Count 3)) | Should -Be 'A0A1A2'
        Write-SharedMemory -Name $other -Offset 120 -Value ([byte[]](1, 2, 3))
        & $posix read $other 118 5 | Should -Be '0000010203'
        Remove-SharedMemory -Name $other
        & $posix open $other ro 2>$null
        $LASTEXITCODE | Should -Be 2 -Because 'ENOENT: the name is gone for C too'
    }

    It 'C sees the size after Resize-SharedMemory' {
        Resize-SharedMemory -Name $name -Size 5000
        & $posix write $name 4996 'ffffffff'
        $LASTEXITCODE | Should -Be 0
        & $posix read $name 4990 10 | Should -Be '000000000000ffffffff'
    }
}

Describe 'POSIX interoperability with Python multiprocessing.shared_memory' -Tag Posix, Interop -Skip:(-not $hasPython) {
    BeforeAll {
        # Python takes the name without the leading slash. Attaching registers the object with Python's
        # resource tracker, which would unlink it when Python exits (unless 3.13's track=False): registration is disabled.
        $python = @'
import sys
from multiprocessing import resource_tracker, shared_memory
resource_tracker.register = lambda *args, **kwargs: None
cmd, name = sys.argv[1], sys.argv[2]
if cmd == "create":
    shm = shared_memory.SharedMemory(name=name, create=True, size=int(sys.argv[3]))
    shm.buf[:4] = b"\x01\x02\x03\x04"
else:
    shm = shared_memory.SharedMemory(name=name, create=False)
if cmd == "size":
    print(shm.size)
elif cmd == "read":
    offset, count = int(sys.argv[3]), int(sys.argv[4])
    print(bytes(shm.buf[offset:offset + count]).hex())
elif cmd == "write":
    data = bytes.fromhex(sys.argv[4])
    offset = int(sys.argv[3])
    shm.buf[offset:offset + len(data)] = data
shm.close()
'@
        $all = [byte[]](0..255)
        $allHex = [Convert]::ToHexString($all).ToLowerInvariant()
    }
    BeforeEach {
        $name = New-TestName
        $bare = $name.TrimStart('/')
        New-SharedMemory -Name $name -Size 300 | Out-Null
    }
    AfterAll { Remove-TestSharedMemory }

    It 'Python opens the object by its name without the slash and sees its size' {
        python3 -c $python size $bare | Should -Be '300'
    }

    It 'Python reads every byte value that Write-SharedMemory wrote' {
        Write-SharedMemory -Name $name -Offset 5 -Value $all
        python3 -c $python read $bare 5 256 | Should -Be $allHex
    }

    It 'Read-SharedMemory reads what Python wrote' {
        python3 -c $python write $bare 10 $allHex
        $LASTEXITCODE | Should -Be 0
        [Convert]::ToHexString((Read-SharedMemory -Name $name -Offset 10 -Count 256)) | Should -Be $allHex
        Test-Path "/dev/shm/$bare" | Should -BeTrue -Because 'Python must not remove an object it only attached to'
    }

    It 'ShmPS lists, reads and removes an object that Python created' {
        $other = New-TestName
        python3 -c $python create $other.TrimStart('/') 4097
        $LASTEXITCODE | Should -Be 0
        $found = Get-SharedMemory -Name $other
        $found.Size | Should -Be 4097
        [Convert]::ToHexString((Read-SharedMemory -Name $other -Count 5)) | Should -Be '0102030400'
        Remove-SharedMemory -Name $other
        Test-Path "/dev/shm$other" | Should -BeFalse
    }
}

Describe 'File interoperability with C' -Tag File, Interop {
    BeforeAll {
        $Filemap = Get-NativeTool filemap
    }

    It 'sees at once what a C program writes through its MAP_SHARED mapping, and the reverse' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 8192
        $mapper = Start-TestProcess $Filemap 'serve', $path -Ready
        $mapper.ReadyLine | Should -Be 'ready 8192'

        $fromC = New-RandomBytes 256
        Send-ProcessCommand $mapper "w 1000 $(ConvertTo-Hex $fromC)" | Should -Be 'ok'
        ConvertTo-Hex (Read-SharedMemory -LiteralPath $path -Offset 1000 -Count 256) | Should -Be (ConvertTo-Hex $fromC)

        $fromShmPS = New-RandomBytes 256
        Write-SharedMemory -LiteralPath $path -Offset 5000 -Value $fromShmPS
        Send-ProcessCommand $mapper 'r 5000 256' | Should -Be (ConvertTo-Hex $fromShmPS)
        Stop-TestProcess $mapper
    }
}

# What a user meets when Python and ShmPS share objects (about_ShmPS, "Working with Python and C programs"):
# each note is shown here with Debian's Python and sysv_ipc, as installed on the system.
Describe 'Notes for users of Python and C programs' -Tag Posix, SystemV, File, Interop {
    BeforeAll {
        $SystemPython = '/usr/bin/python3'
        $SystemPythonVersion = [version](& $SystemPython -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    }
    AfterAll { Remove-TestSharedMemory }

    It "Python $SystemPythonVersion's multiprocessing.shared_memory removes an object it only attached to when it exits" {
        $shm = New-TestSharedMemory Posix -Size 64
        $bare = $shm.Name.TrimStart('/')
        $output = & $SystemPython -c "from multiprocessing import shared_memory`nshm = shared_memory.SharedMemory('$bare')`nprint(shm.size)`nshm.close()" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output[0] | Should -Be '64'
        Test-Path "/dev/shm/$bare" | Should -BeFalse -Because 'the resource tracker unlinked the object that ShmPS created'
        Get-SharedMemory -Name $shm.Name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It "Python <Version>: <Workaround> keeps the object" -TestCases @{ Version = "$SystemPythonVersion"; Workaround = $TrackerWorkaround } {
        $shm = New-TestSharedMemory Posix -Size 64
        $bare = $shm.Name.TrimStart('/')
        $attach = if ([version]$Version -ge [version]'3.13') { "shm = shared_memory.SharedMemory('$bare', track=False)" }
            else { "shm = shared_memory.SharedMemory('$bare')`nresource_tracker.unregister(shm._name, 'shared_memory')" }
        $output = & $SystemPython -c "from multiprocessing import resource_tracker, shared_memory`n$attach`nshm.buf[:2] = b'ok'`nshm.close()" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -BeNullOrEmpty -Because 'no leak warning either'
        Test-Path "/dev/shm/$bare" | Should -BeTrue
        Read-SharedMemory -Name $shm.Name -Encoding utf8 | Should -BeExactly 'ok'
    }

    It 'sysv_ipc fills a new segment with spaces: text reads to the end of the segment; -Count or TrimEnd give the text' {
        $key = New-TestKey
        $id = & $SystemPython -c "import sysv_ipc`nm = sysv_ipc.SharedMemory($key, sysv_ipc.IPC_CREX, size=32)`nm.write(b'hi')`nprint(m.id)"
        $LASTEXITCODE | Should -Be 0
        Register-TestSharedMemory -Id $id
        [Convert]::ToHexString((Read-SharedMemory -Key $key)) | Should -Be ('6869' + '20' * 30)
        Read-SharedMemory -Key $key -Encoding utf8 | Should -BeExactly ('hi' + ' ' * 30) -Because 'there is no NUL to stop at'
        Read-SharedMemory -Key $key -Encoding utf8 -Count 2 | Should -BeExactly 'hi'
        (Read-SharedMemory -Key $key -Encoding utf8).TrimEnd() | Should -BeExactly 'hi'
    }

    It "sysv_ipc with init_character=b'\0' fills a new segment with NULs, as ShmPS and shmget do: text stops at the first NUL" {
        $key = New-TestKey
        $id = & $SystemPython -c "import sysv_ipc`nm = sysv_ipc.SharedMemory($key, sysv_ipc.IPC_CREX, size=32, init_character=b'\0')`nm.write(b'hi')`nprint(m.id)"
        $LASTEXITCODE | Should -Be 0
        Register-TestSharedMemory -Id $id
        Read-SharedMemory -Key $key -Encoding utf8 | Should -BeExactly 'hi'
        $segment = New-TestSharedMemory SystemV -Size 32
        & $SystemPython -c "import sysv_ipc; print(sysv_ipc.SharedMemory($($segment.Key)).read().hex())" | Should -Be ('00' * 32)
    }

    It 'Read-SharedMemory attaches a segment: LastProcessId and LastAttachTime become this pwsh, as ipcs -m -p and /proc/sysvipc/shm say' {
        $segment = New-TestSharedMemory SystemV -Size 64
        $pythonPid = & $SystemPython -c "import os, sysv_ipc`nm = sysv_ipc.SharedMemory($($segment.Key))`nm.write(b'from python')`nm.detach()`nprint(os.getpid())"
        $LASTEXITCODE | Should -Be 0
        $before = Get-SharedMemory -Id $segment.Id
        $before.LastProcessId | Should -Be $pythonPid -Because 'Get-SharedMemory reads the segment status without attaching'
        (Get-SysvIpcTable shm -Id $segment.Id).lpid | Should -Be $pythonPid

        Start-Sleep -Milliseconds 1100 # the times have whole seconds
        Read-SharedMemory -Id $segment.Id -Count 11 -Encoding utf8 | Should -BeExactly 'from python'
        $after = Get-SharedMemory -Id $segment.Id
        $after.LastProcessId | Should -Be $PID
        $after.LastAttachTime | Should -BeGreaterThan $before.LastAttachTime
        (Get-SysvIpcTable shm -Id $segment.Id).lpid | Should -Be $PID
        $ipcs = ipcs -m -p | Where-Object { (-split $_)[0] -eq "$($segment.Id)" }
        (-split $ipcs)[3] | Should -Be "$PID" -Because 'ipcs -m -p: shmid owner cpid lpid'
    }

    It 'Get-Item of a file piped to Get-SharedMemory finds a File object, even where a POSIX object has its name' {
        $path = New-TestPath
        [IO.File]::WriteAllBytes($path, [byte[]](1..10))
        $posix = New-TestSharedMemory Posix -Name ('/' + (Split-Path -Leaf $path)) -Size 99
        $found = Get-Item -LiteralPath $path | Get-SharedMemory
        $found.Kind | Should -Be 'File'
        $found.Path | Should -Be $path
        $found.Size | Should -Be 10
        $posix.Size | Should -Be 99
    }
}
