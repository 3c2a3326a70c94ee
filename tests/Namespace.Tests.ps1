# Get-SharedMemory -ProcessId: what another process sees from its own IPC and mount namespaces (a
# container, played by `unshare -i -m` with a tmpfs of its own on /dev/shm, whose objects Python makes).
# Its objects are listed, refreshed and read from here, marked with their namespace; every cmdlet that
# would change them refuses; the host's objects of the same names are untouched; pwsh's own threads stay
# in their namespaces; another user gets PermissionDenied; a missing process is ProcessNotFound.

BeforeAll {
    . $PSScriptRoot/common.ps1

    unshare -i -m true 2>$null
    $script:CanUnshare = -not $LASTEXITCODE

    # Makes two POSIX objects in the namespace's /dev/shm and one System V segment in its IPC namespace,
    # with data in each; prints "ready SHMID".
    $script:MakeObjects = @'
import ctypes, os, sys
name, inner, key = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n, size, text in ((name, 8192, b'inside'), (inner, 4096, b'inner')):
    fd = os.open('/dev/shm' + n, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o640)
    os.ftruncate(fd, size)
    os.pwrite(fd, text, 0)
    os.close(fd)
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shmid = libc.shmget(ctypes.c_int(key), ctypes.c_size_t(12288), 0o1000 | 0o640)  # IPC_CREAT | 0640
if shmid < 0:
    raise OSError(ctypes.get_errno(), 'shmget')
addr = libc.shmat(shmid, None, 0)
ctypes.memmove(addr, b'segment', 7)
libc.shmdt(ctypes.c_void_p(addr))
print('ready', shmid, flush=True)
'@

    function Start-Container {
        <# A process in new IPC and mount namespaces with the objects above; unshare without --fork execs sh, then sleep: one pid. #>
        param([string] $Name, [string] $Inner, [int] $Key)
        $script = 'mount -t tmpfs tmpfs /dev/shm && python3 -c "$0" "$@" && exec sleep 300'
        Start-TestProcess unshare -ArgumentList '-i', '-m', '--propagation', 'private', 'sh', '-c', $script, $MakeObjects, $Name, $Inner, $Key -Ready
    }

    function Get-Namespace([int] $ProcessId, [string] $Kind) { (Get-Item "/proc/$ProcessId/ns/$Kind").LinkTarget }

    # The namespaces of every thread of this pwsh, as "TID ipc:[...] mnt:[...]".
    function Get-ThreadNamespace {
        foreach ($task in Get-ChildItem "/proc/$PID/task") {
            try { "$($task.Name) $((Get-Item "$($task.FullName)/ns/ipc").LinkTarget) $((Get-Item "$($task.FullName)/ns/mnt").LinkTarget)" }
            catch [System.Management.Automation.ItemNotFoundException] { } # a thread that ended meanwhile
        }
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Get-SharedMemory -ProcessId' -Tag Namespace {
    BeforeAll {
        if (-not $CanUnshare) { return }
        $script:Name = New-TestName
        $script:Inner = New-TestName
        $script:Key = New-TestKey
        # The host has an object of the same name and a segment with the same key, with other sizes and data.
        $script:HostPosix = New-TestSharedMemory Posix -Name $Name -Size 4096
        $HostPosix.WriteString(0, 'host')
        $script:HostSegment = New-TestSharedMemory SystemV -Key $Key -Size 4096
        $script:InitialThreads = @{ ipc = Get-Namespace $PID ipc; mnt = Get-Namespace $PID mnt }

        $script:Container = Start-Container -Name $Name -Inner $Inner -Key $Key
        $script:ContainerPid = $Container.Id
        $script:ContainerShmId = [int](-split $Container.ReadyLine)[1]
        $script:Listed = @(Get-SharedMemory -ProcessId $ContainerPid)
    }
    AfterAll { if ($CanUnshare) { Stop-TestProcess $Container } }
    BeforeEach { if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root (unshare -i -m)' } }

    It 'lists exactly the objects of the process''s /dev/shm and IPC namespace, with their sizes, keys and ids' {
        $posix = @($Listed | Where-Object Kind -EQ Posix | Sort-Object Size)
        $posix.Name | Should -Be $Inner, $Name
        $posix.Size | Should -Be 4096, 8192
        $posix.Permissions | Should -Be 'rw-r-----', 'rw-r-----'
        $segments = @($Listed | Where-Object Kind -EQ SystemV)
        $segments.Count | Should -Be 1 -Because 'a new IPC namespace has only the segment made in it'
        $segments[0].Key | Should -Be $Key
        $segments[0].Id | Should -Be $ContainerShmId
        $segments[0].Size | Should -Be 12288
        $segments[0].Permissions | Should -Be 'rw-r-----'
    }

    It 'agrees with /proc/sysvipc/shm read inside the namespace (nsenter)' {
        $rows = @(nsenter -t $ContainerPid -i cat /proc/sysvipc/shm | Select-Object -Skip 1 | ForEach-Object { , (-split $_) })
        $LASTEXITCODE | Should -Be 0
        $rows.Count | Should -Be 1
        [int]$rows[0][0] | Should -Be $Key
        [int]$rows[0][1] | Should -Be $ContainerShmId
        [long]$rows[0][3] | Should -Be 12288
    }

    It 'marks each object with its namespace and process' {
        foreach ($shm in $Listed) {
            $shm.NamespaceProcessId | Should -Be $ContainerPid
            $expected = $shm.Kind -eq 'SystemV' ? (Get-Namespace $ContainerPid ipc) : (Get-Namespace $ContainerPid mnt)
            $shm.Namespace | Should -Be $expected
        }
        $expected | Should -Not -Be $InitialThreads.mnt
        (Get-SharedMemory -Name $Name).Namespace | Should -BeNullOrEmpty -Because 'the caller''s own objects carry no namespace'
    }

    It 'does not show the host''s objects, and the host listing does not show the process''s' {
        ($Listed | Where-Object { $_.Kind -eq 'SystemV' -and $_.Id -eq $HostSegment.Id -and $_.Size -eq 4096 }) | Should -BeNullOrEmpty
        { Get-SharedMemory -Name $Inner -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        (Get-SharedMemory -Key $Key).Size | Should -Be 4096
        (Get-SharedMemory -Name $Name).Size | Should -Be 4096
    }

    It 'filters by -Name (wildcards) and -Kind, and names a missing name' {
        (Get-SharedMemory -ProcessId $ContainerPid -Name $Inner).Name | Should -Be $Inner
        @(Get-SharedMemory -ProcessId $ContainerPid -Name ($Inner.Substring(0, $Inner.Length - 4) + '*')).Name | Should -Be $Inner
        @(Get-SharedMemory -ProcessId $ContainerPid -Kind SystemV).Key | Should -Be $Key
        (Get-SharedMemory -ProcessId $ContainerPid -Kind SystemV -Name ('0x{0:x8}' -f $Key)).Id | Should -Be $ContainerShmId
        $missing = New-TestName
        { Get-SharedMemory -ProcessId $ContainerPid -Name $missing -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
    }

    It 'reads the process''s objects: the data written inside, not the host''s' {
        $posix = $Listed | Where-Object Name -EQ $Name
        $posix | Read-SharedMemory -Count 6 -Encoding utf8 | Should -Be 'inside'
        $posix.ReadString(0, 6) | Should -Be 'inside'
        $posix.Close()
        $segment = $Listed | Where-Object Kind -EQ SystemV
        $segment | Read-SharedMemory -Count 7 -Encoding utf8 | Should -Be 'segment'
        [Text.Encoding]::ASCII.GetString($segment.Read(0, 7)) | Should -Be 'segment'
        $segment.Close()
        $HostPosix.ReadString(0, 4) | Should -Be 'host'
    }

    It 'refreshes in the namespace: a change made inside shows, the host object stays as it is' {
        nsenter -t $ContainerPid -m truncate -s 16384 "/dev/shm$Inner"
        $LASTEXITCODE | Should -Be 0
        $inner = $Listed | Where-Object Name -EQ $Inner
        (Get-SharedMemory -InputObject $inner).Size | Should -Be 16384
        $inner.Namespace | Should -Be (Get-Namespace $ContainerPid mnt)
        $segment = $Listed | Where-Object Kind -EQ SystemV
        $segment.Refresh()
        $segment.Size | Should -Be 12288
        $segment.Key | Should -Be $Key
    }

    It '<Command> refuses an object of another namespace with ForeignNamespace, before asking' -ForEach @(
        # -WhatIf: the refusal comes before ShouldProcess, so it shows even then.
        @{ Command = 'Remove-SharedMemory'; Arguments = @{ WhatIf = $true } }
        @{ Command = 'Remove-SharedMemory'; Arguments = @{ Force = $true; Confirm = $false } }
        @{ Command = 'Write-SharedMemory'; Arguments = @{ Value = 'x'; WhatIf = $true } }
        @{ Command = 'Write-SharedMemory'; Arguments = @{ Value = 'x' } }
        @{ Command = 'Resize-SharedMemory'; Arguments = @{ Size = 65536 } }
        @{ Command = 'Set-SharedMemoryPermission'; Arguments = @{ Mode = '0600' } }
        @{ Command = 'Lock-SharedMemory'; Arguments = @{ Timeout = 1 } }
    ) {
        foreach ($shm in $Listed) {
            $err = $null
            $shm | & $Command @Arguments -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ForeignNamespace,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].Exception.Message | Should -BeLike "*process $ContainerPid*"
            $err[0].ErrorDetails.RecommendedAction | Should -BeLike "*nsenter -t $ContainerPid*"
        }
        # Nothing changed, inside or on the host.
        $inside = @(Get-SharedMemory -ProcessId $ContainerPid)
        $inside.Count | Should -Be 3
        ($inside | Where-Object Name -EQ $Name).ReadString(0, 6) | Should -Be 'inside'
        ($inside | Where-Object Name -EQ $Name).Permissions | Should -Be 'rw-r-----'
        $onHost = Get-SharedMemory -Name $Name
        $onHost.Size | Should -Be 4096
        $onHost.ReadString(0, 4) | Should -Be 'host'
        (Get-SharedMemory -Key $Key).Size | Should -Be 4096
    }

    It 'refuses writes and locks through the methods too' {
        $fresh = @(Get-SharedMemory -ProcessId $ContainerPid)
        foreach ($shm in $fresh) {
            $stream = $shm.OpenStream()
            $stream.CanWrite | Should -BeFalse -Because 'a stream over an object of another namespace only reads'
            $stream.CanRead | Should -BeTrue
            $stream.Dispose()
            foreach ($call in { $shm.WriteByte(0, 1) }, { $shm.Write(0, [byte[]](1, 2)) }, { $shm.Lock() }, { $shm.OpenStream('ReadWrite') }, { $shm.OpenStream('Write') }) {
                $thrown = $null
                try { & $call } catch { $thrown = $_.Exception }
                $thrown | Should -BeOfType ([ShmPS.SharedMemoryException])
                $thrown.ErrorId | Should -Be 'ForeignNamespace'
                $thrown.InnerException | Should -BeOfType ([InvalidOperationException])
            }
            $shm.Close()
        }
        (Get-SharedMemory -ProcessId $ContainerPid -Kind SystemV).Read(0, 2) | Should -Be 0x73, 0x65 -Because 'the segment still holds "se"'
    }

    It 'leaves every thread of this pwsh in its own IPC and mount namespaces' {
        $null = Get-SharedMemory -ProcessId $ContainerPid
        $null = ($Listed | Where-Object Kind -EQ SystemV) | Get-SharedMemory
        $threads = @(Get-ThreadNamespace)
        $threads.Count | Should -BeGreaterThan 1
        $threads | Should -Not -Match ([regex]::Escape((Get-Namespace $ContainerPid ipc)))
        foreach ($line in $threads) {
            $line | Should -Match ([regex]::Escape(" $($InitialThreads.ipc) $($InitialThreads.mnt)") + '$')
        }
        Get-Namespace $PID ipc | Should -Be $InitialThreads.ipc
        # And this thread still sees the host's segments.
        (Get-SharedMemory -Key $Key).Id | Should -Be $HostSegment.Id
    }

    It 'gives another user PermissionDenied with a ShmPS id' {
        $result = Invoke-ChildPwsh -Uid 65534 -Script @"
try { Get-SharedMemory -ProcessId $ContainerPid -ErrorAction Stop; 'LISTED' }
catch { "ERROR `$(`$_.FullyQualifiedErrorId) `$(`$_.CategoryInfo.Category)" }
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Match 'ERROR PermissionDenied,ShmPS\.Commands\.GetSharedMemoryCommand PermissionDenied'
        $result.Output | Should -Not -Match 'LISTED'
    }

    It 'lists what a process sharing the caller''s namespaces sees as the caller''s own objects (-ProcessId $PID)' {
        $own = @(Get-SharedMemory -ProcessId $PID -Name $Name)
        $own.Count | Should -Be 1
        $own[0].Size | Should -Be 4096
        $own[0].Namespace | Should -BeNullOrEmpty
        $own[0].NamespaceProcessId | Should -BeNullOrEmpty
        $segment = Get-SharedMemory -ProcessId $PID -Kind SystemV -Name ('0x{0:x8}' -f $Key)
        $segment.Id | Should -Be $HostSegment.Id
        $segment | Write-SharedMemory -Value 'ok'   # the caller's own: every cmdlet works
        $sleeper = Start-TestProcess sleep -ArgumentList 300
        (Get-SharedMemory -ProcessId $sleeper.Id -Name $Name).Namespace | Should -BeNullOrEmpty
        Stop-TestProcess $sleeper
    }

    It 'refuses a process id that exists no more with ProcessNotFound' {
        $beyond = [int](Get-Content /proc/sys/kernel/pid_max) + 1
        { Get-SharedMemory -ProcessId $beyond -ErrorAction Stop } | Should -Throw -ErrorId 'ProcessNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        $err = $null
        Get-SharedMemory -ProcessId $beyond, $ContainerPid -Kind SystemV -ErrorAction SilentlyContinue -ErrorVariable err |
            ForEach-Object Id | Should -Be $ContainerShmId -Because 'the other pids are still listed'
        $err.Count | Should -Be 1
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $beyond
    }

    It 'says that a zombie process has exited, with ProcessNotFound' {
        # sh starts a short child and becomes sleep, which never collects it: the child stays a zombie.
        $parent = Start-TestProcess sh -ArgumentList '-c', 'sleep 0.1 & exec sleep 60'
        try {
            $zombie = $null
            for ($i = 0; $i -lt 100 -and -not $zombie; $i++) {
                Start-Sleep -Milliseconds 50
                $zombie = (Get-Content "/proc/$($parent.Id)/task/$($parent.Id)/children" -ErrorAction Ignore) -split ' ' | Where-Object { $_ } |
                    Where-Object { (Get-Content "/proc/$_/stat" -ErrorAction Ignore) -match '^\d+ \(.*\) Z ' } | Select-Object -First 1
            }
            $zombie | Should -Not -BeNullOrEmpty -Because 'the child must have become a zombie'
            $err = $null
            Get-SharedMemory -ProcessId $zombie -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -Be 'ProcessNotFound,ShmPS.Commands.GetSharedMemoryCommand'
            $err[0].Exception.Message | Should -BeLike '*has exited (a zombie*'
        }
        finally { Stop-TestProcess $parent }
    }

    It 'completes -ProcessId with pids and names, those in other namespaces first' {
        $all = (TabExpansion2 -inputScript 'Get-SharedMemory -ProcessId ' -cursorColumn 28).CompletionMatches
        $mine = $all | Where-Object CompletionText -EQ "$ContainerPid"
        $mine.ListItemText | Should -Be "$ContainerPid sleep"
        $mine.ToolTip | Should -Match ([regex]::Escape((Get-Namespace $ContainerPid ipc)) + '.*another namespace')
        $all.CompletionText.IndexOf("$ContainerPid") | Should -BeLessThan $all.CompletionText.IndexOf("$PID")
        $prefix = "$ContainerPid".Substring(0, "$ContainerPid".Length - 1)
        $some = (TabExpansion2 -inputScript "Get-SharedMemory -ProcessId $prefix" -cursorColumn (28 + $prefix.Length)).CompletionMatches
        $some.CompletionText | Should -Contain "$ContainerPid"
        $some.CompletionText | ForEach-Object { $_ | Should -BeLike "$prefix*" }
    }

    It 'refuses an object whose process has exited, rather than acting on another one' {
        $name = New-TestName
        $other = Start-Container -Name $name -Inner (New-TestName) -Key (New-TestKey)
        $objects = @(Get-SharedMemory -ProcessId $other.Id)
        Stop-TestProcess $other
        foreach ($shm in $objects) {
            { Get-SharedMemory -InputObject $shm -ErrorAction Stop } | Should -Throw -ErrorId 'ProcessNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        }
    }
}

Describe 'Get-SharedMemory -ProcessId in a hostile root' -Tag Namespace {
    BeforeEach { if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root (unshare -m)' } }

    It 'does not follow a symbolic link at /dev/shm into the caller''s file system' {
        # A root whose /dev/shm is a link to /etc: followed from here, it would list the host's /etc.
        $script = 'mount -t tmpfs tmpfs /dev && ln -s /etc /dev/shm && echo ready && exec sleep 300'
        $evil = Start-TestProcess unshare -ArgumentList '-m', '--propagation', 'private', 'sh', '-c', $script -Ready
        try {
            $err = $null
            $listed = @(Get-SharedMemory -ProcessId $evil.Id -Kind Posix -ErrorAction SilentlyContinue -ErrorVariable err)
            $listed | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SymbolicLinkRefused,*'
            # The System V part (the caller's own IPC namespace here) is still listed.
            $key = New-TestKey
            $segment = New-TestSharedMemory SystemV -Key $key
            (Get-SharedMemory -ProcessId $evil.Id -Kind SystemV -Name ('0x{0:x8}' -f $key)).Id | Should -Be $segment.Id
        }
        finally { Stop-TestProcess $evil }
    }
}

Describe 'Processes of segments in other IPC namespaces' -Tag Namespace {
    BeforeAll {
        # Attaches a new private segment and keeps it attached; prints "ready SHMID". Ids are per IPC
        # namespace, so the first segment of every new namespace has the same id.
        $script:Hold = @'
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shmid = libc.shmget(0, ctypes.c_size_t(4096), 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT | 0600
if shmid < 0 or libc.shmat(shmid, None, 0) in (None, ctypes.c_void_p(-1).value):
    raise OSError(ctypes.get_errno(), 'shmget/shmat')
print('ready', shmid, flush=True)
time.sleep(300)
'@
    }
    BeforeEach { if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root (unshare -i)' } }

    It 'names only the processes of the segment''s own namespace, though another namespace has a segment of the same id' {
        $first = Start-TestProcess unshare -ArgumentList '-i', 'python3', '-c', $Hold -Ready
        $second = Start-TestProcess unshare -ArgumentList '-i', 'python3', '-c', $Hold -Ready
        try {
            (-split $first.ReadyLine)[1] | Should -Be (-split $second.ReadyLine)[1] -Because 'both namespaces start their ids alike'
            foreach ($holder in $first, $second) {
                $segment = Get-SharedMemory -ProcessId $holder.Id -Kind SystemV -IncludeProcess
                $segment.AttachCount | Should -Be 1
                $segment.Processes.ProcessId | Should -Be $holder.Id
                $segment.Processes.Attached | Should -BeTrue
            }
        }
        finally {
            Stop-TestProcess $first
            Stop-TestProcess $second
        }
    }
}
