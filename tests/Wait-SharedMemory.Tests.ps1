# Wait-SharedMemory: until an object exists or is gone (inotify for POSIX objects and files, a bounded
# backoff for System V), until a value equals / changes / satisfies a condition (futex wake-ups on the
# aligned word, slices of 50 ms for writers that do not wake), and until a document is published. Other
# processes are C programs (tests/native/futex.c), child pwsh and python3; the dangerous cases (the object
# shrinking or going while waited on) run in a child pwsh whose exit and output are checked.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $Kinds = Get-TestKind -AsTestCase
    $FileKinds = 'Posix', 'File' | ForEach-Object { @{ Kind = $_ } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Futex = Get-NativeTool futex

    # The identity parameters that name an object of a kind, as a user would type them.
    function script:Get-Identity($shm) {
        switch ($shm.Kind) {
            'Posix' { @{ Name = $shm.Name } }
            'SystemV' { @{ Key = $shm.Key } }
            'File' { @{ LiteralPath = $shm.Path } }
        }
    }

    # futex.c waiting, once it sleeps in FUTEX_WAIT (its wchan says so): a write before that would be
    # seen by its first look, and the test would not tell a wake from no wake.
    function script:Start-Sleeper([string[]] $Arguments) {
        $p = Start-TestProcess $Futex $Arguments -Ready
        Wait-Until { (Get-Content -Raw "/proc/$($p.Id)/wchan" -ErrorAction SilentlyContinue) -like '*futex*' } | Should -BeTrue
        $p
    }

    # The same, as text for a child pwsh's command line.
    function script:Get-IdentityText($shm) {
        switch ($shm.Kind) { 'Posix' { "-Name '$($shm.Name)'" } 'SystemV' { "-Id $($shm.Id)" } 'File' { "-LiteralPath '$($shm.Path)'" } }
    }

    # A PowerShell instance running a script in the background, to be stopped: returns it and its handle.
    function script:Start-Background([string] $Script) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModulePath'; $Script")
        [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Wait-SharedMemory until an object exists or is gone' -Tag Posix, SystemV, File {
    It '<Kind>: an object that exists is output at once' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $identity = Get-Identity $shm
        $found = Wait-SharedMemory @identity -Timeout 10
        $found.Name | Should -BeExactly $shm.Name
        $found | Should -BeOfType ([ShmPS.SharedMemory])
    }

    It '<Kind>: a named object that is absent is waited for until another process creates it' -TestCases $Kinds {
        $create = switch ($Kind) {
            'Posix' { $name = New-TestName; $identity = @{ Name = $name }; "New-SharedMemory -Name '$name' -Size 100" }
            'SystemV' { $key = New-TestKey; $identity = @{ Key = $key }; "New-SharedMemory -Key $key -Size 100" }
            'File' { $path = New-TestPath; $identity = @{ LiteralPath = $path }; "New-SharedMemory -Path '$path' -Size 100" }
        }
        $child = Start-ChildPwsh "Start-Sleep -Milliseconds 700; `$o = $create; `$o.Kind; `$o.Id"
        $found = Wait-SharedMemory @identity -Timeout 60
        Register-TestSharedMemory -InputObject $found
        $found.Size | Should -Be 100
        $child.WaitForExit(30000) | Should -BeTrue
        $child.ExitCode | Should -Be 0
    }

    It '<Kind>: -Removed returns when another process removes it, and the object is gone then' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $identity = Get-Identity $shm
        $remove = switch ($Kind) { 'Posix' { "rm '$($shm.Path)'" } 'SystemV' { "ipcrm -m $($shm.Id)" } 'File' { "rm '$($shm.Path)'" } }
        $child = Start-TestProcess bash '-c', "sleep 0.7; $remove"
        $out = Wait-SharedMemory @identity -Removed -Timeout 60
        $out | Should -BeNullOrEmpty
        { Get-SharedMemory @identity -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound*'
        $child.WaitForExit(10000) | Should -BeTrue
    }

    It '<Kind>: -Removed ends when the name is given to another object: the one waited on is gone' -TestCases $FileKinds {
        $shm = New-TestSharedMemory $Kind
        $child = Start-TestProcess bash '-c', "sleep 0.7; rm '$($shm.Path)'; echo x > '$($shm.Path)'"
        $shm | Wait-SharedMemory -Removed -Timeout 60 | Should -BeNullOrEmpty
        $child.WaitForExit(10000) | Should -BeTrue
        Test-Path -LiteralPath $shm.Path | Should -BeTrue -Because 'another file stands at the name now'
    }

    It 'a timeout is the non-terminating error WaitTimeout, so -ErrorAction works' {
        $name = New-TestName
        $out = Wait-SharedMemory -Name $name -Timeout 0.2 -ErrorAction SilentlyContinue -ErrorVariable failures
        $out | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'WaitTimeout,*'
        $failures[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        { Wait-SharedMemory -Name $name -Timeout 0.1 -ErrorAction Stop } | Should -Throw -ErrorId 'WaitTimeout*'
        { Wait-SharedMemory -Key (New-TestKey) -Timeout '00:00:00.1' -ErrorAction Stop } | Should -Throw -ErrorId 'WaitTimeout*'
    }

    It 'a wildcard waits until some object matches, and outputs those that do' {
        $prefix = (New-TestName) + '-w'
        $child = Start-ChildPwsh "Start-Sleep -Milliseconds 500; New-SharedMemory -Name '$prefix-1' -Size 64 | Out-Null"
        $found = @(Wait-SharedMemory -Name "$prefix-*" -Timeout 60)
        $found.Count | Should -Be 1
        $found[0].Name | Should -BeExactly "$prefix-1"
        $child.WaitForExit(30000) | Should -BeTrue
    }

    It 'objects piped in are waited on in turn' {
        $a = New-TestSharedMemory Posix
        $b = New-TestSharedMemory SystemV
        $out = @($a, $b | Wait-SharedMemory -Timeout 5)
        $out.Name | Should -Be $a.Name, $b.Name
    }
}

Describe 'Wait-SharedMemory on a value' -Tag Posix, SystemV, File {
    It '<Kind>: a C program that writes and FUTEX_WAKEs ends a -Value wait, which outputs the value' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $target = Get-CTarget $shm
        $child = Start-TestProcess bash '-c', "sleep 0.5; '$Futex' $($target[0]) '$($target[1])' wake 64 7"
        $value = $shm | Wait-SharedMemory -Offset 64 -Value 7 -Timeout 60
        $value | Should -Be 7
        $value | Should -BeOfType ([int])
        $child.WaitForExit(10000) | Should -BeTrue
        $child.StandardOutput.ReadToEnd() | Should -Match 'woke [01]'
    }

    It '<Kind>: a writer that does not wake (python, dd) is seen too' -TestCases $FileKinds {
        $shm = New-TestSharedMemory $Kind
        $child = Start-TestProcess bash '-c', "sleep 0.5; printf '\x2a\x00\x00\x00\x00\x00\x00\x00' | dd of='$($shm.Path)' bs=1 seek=8 conv=notrunc status=none"
        $shm | Wait-SharedMemory -Offset 8 -As Int64 -Value 42 -Timeout 60 | Should -Be 42
        $child.WaitForExit(10000) | Should -BeTrue
    }

    It 'System V: a python writer (sysv_ipc) that does not wake is seen' {
        $shm = New-TestSharedMemory SystemV
        $py = "import sysv_ipc, time; time.sleep(0.5); m = sysv_ipc.SharedMemory($($shm.Key)); m.write(bytes([9]), 100); m.detach()"
        $child = Start-TestProcess /usr/bin/python3 '-c', $py
        $shm | Wait-SharedMemory -Offset 100 -As Byte -Value 9 -Timeout 60 | Should -Be 9
        $child.WaitForExit(10000) | Should -BeTrue
        $child.ExitCode | Should -Be 0
    }

    It '<Kind>: -Changed returns the new value; -Condition gets the value as $_' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $shm.WriteInt32(16, 3)
        $target = Get-CTarget $shm
        $child = Start-TestProcess bash '-c', "sleep 0.4; '$Futex' $($target[0]) '$($target[1])' wake 16 4; sleep 0.4; '$Futex' $($target[0]) '$($target[1])' wake 16 12"
        Wait-SharedMemory -InputObject $shm -Offset 16 -Changed -Timeout 60 | Should -Be 4
        Wait-SharedMemory -InputObject $shm -Offset 16 -Condition { $_ -ge 10 } -Timeout 60 | Should -Be 12
        $child.WaitForExit(10000) | Should -BeTrue
        $shm.Close()
    }

    It '<Kind>: an unaligned Int64 waits on the word that holds its first byte, and -Wake there ends it' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $child = Start-ChildPwsh "Start-Sleep -Milliseconds 500; Write-SharedMemory $(Get-IdentityText $shm) -Offset 13 -As Int64 -Value 123456789012 -Wake"
        $shm | Wait-SharedMemory -Offset 13 -As Int64 -Value 123456789012 -Timeout 60 | Should -Be 123456789012
        $child.WaitForExit(30000) | Should -BeTrue
        $child.ExitCode | Should -Be 0
    }

    It '<Kind>: Write-SharedMemory -Wake and $obj.Wake() wake a C program in FUTEX_WAIT; a write without a wake does not' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $target = Get-CTarget $shm
        $waiter = Start-Sleeper ($target + 'wait', '32', '30000')
        $shm | Write-SharedMemory -Offset 32 -As Int32 -Value 5 -Wake
        Read-ProcessLine $waiter 30 | Should -BeExactly 'changed 5'

        $waiter = Start-Sleeper ($target + 'wait', '32', '30000')
        $shm.WriteInt32(32, 6)
        $shm.Wake(32) | Should -Be 1 -Because 'one process was waiting on the word'
        Read-ProcessLine $waiter 30 | Should -BeExactly 'changed 6'

        # Without a wake the C waiter, which re-reads only when woken, sleeps on until its own timeout.
        $waiter = Start-Sleeper ($target + 'wait', '32', '2000')
        $shm | Write-SharedMemory -Offset 32 -As Int32 -Value 7
        Read-ProcessLine $waiter 30 | Should -BeExactly 'timeout'
        $shm.Close()
    }

    It '<Kind>: Python (ctypes, as about_ShmPS shows) wakes Wait-SharedMemory through the shared futex word' -TestCases $FileKinds {
        $shm = New-TestSharedMemory $Kind
        $number = if ([Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq 'Arm64') { 98 } else { 202 }
        # FUTEX_WAKE returns how many it woke: 1 proves that Wait-SharedMemory sleeps on this very word
        # (a shared futex, keyed by the page). Python wakes it until it answers 1, then writes and wakes.
        $py = @"
import ctypes, mmap, os, time
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open('$($shm.Path)', os.O_RDWR)
buf = mmap.mmap(fd, 0)
word = ctypes.c_int32.from_buffer(buf, 48)
woke = 0
for attempt in range(200):
    woke = libc.syscall($number, ctypes.byref(word), 1, 0x7fffffff, None, None, 0)
    if woke == 1:
        break
    time.sleep(0.02)
print(woke)
word.value = 5
libc.syscall($number, ctypes.byref(word), 1, 0x7fffffff, None, None, 0)
"@
        $child = Start-TestProcess /usr/bin/python3 '-c', $py
        $shm | Wait-SharedMemory -Offset 48 -Value 5 -Timeout 60 | Should -Be 5
        $child.WaitForExit(30000) | Should -BeTrue
        $child.StandardOutput.ReadToEnd().Trim() | Should -Be '1'
    }

    It '<Kind>: an offset past the end is OffsetOutOfRange at once' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 4096
        { $shm | Wait-SharedMemory -Offset 4096 -Value 1 -Timeout 60 -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange*'
        { $shm | Wait-SharedMemory -Offset 4094 -As Int32 -Changed -Timeout 60 -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange*'
    }

    It 'parameters that contradict each other are refused' {
        $shm = New-TestSharedMemory Posix
        { $shm | Wait-SharedMemory -Removed -Value 1 } | Should -Throw -ErrorId 'InvalidArgument*'
        { $shm | Wait-SharedMemory -Value 1 -Changed } | Should -Throw -ErrorId 'InvalidArgument*'
        { $shm | Wait-SharedMemory -Offset 8 } | Should -Throw -ErrorId 'InvalidArgument*'
        { $shm | Wait-SharedMemory -Document -Value 1 } | Should -Throw -ErrorId 'InvalidArgument*'
        { $shm | Wait-SharedMemory -Value 'abc' } | Should -Throw -ErrorId 'InvalidValue*'
    }
}

Describe 'Wait-SharedMemory costs nothing while it waits and stops at once' -Tag Posix, SystemV, File {
    It 'a 4 s wait that times out uses under 0.25 s of CPU, for every kind and every form of wait' {
        $posix = New-TestSharedMemory Posix
        $segment = New-TestSharedMemory SystemV
        $file = New-TestSharedMemory File
        $missing = New-TestName
        $script = @"
`$waits = [ordered]@{
    posixValue = "Wait-SharedMemory -Name '$($posix.Name)' -Offset 0 -Value 1"
    sysvValue = "Wait-SharedMemory -Id $($segment.Id) -Offset 0 -Value 1"
    fileValue = "Wait-SharedMemory -LiteralPath '$($file.Path)' -Offset 0 -Changed"
    posixExists = "Wait-SharedMemory -Name '$missing'"
    sysvExists = "Wait-SharedMemory -Key $(New-TestKey)"
    document = "Wait-SharedMemory -Name '$($posix.Name)' -Offset 256 -Document -Changed"
}
# Warm up (JIT, first lookups) with short waits, then let the process become idle: a new pwsh spends CPU
# time in the background for its first seconds (tiered compilation, startup work) whatever it runs.
foreach (`$round in 1..3) { foreach (`$w in `$waits.Values) { & ([scriptblock]::Create("`$w -Timeout 0.1 -ErrorAction SilentlyContinue")) | Out-Null } }
for (`$quiet = 0; `$quiet -lt 30; `$quiet++) {
    `$before = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    Start-Sleep -Seconds 1
    if (([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - `$before).TotalSeconds -lt 0.02) { break }
}
foreach (`$name in `$waits.Keys) {
    `$wait = [scriptblock]::Create("`$(`$waits[`$name]) -Timeout 4 -ErrorAction SilentlyContinue")
    `$before = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    `$clock = [Diagnostics.Stopwatch]::StartNew()
    & `$wait | Out-Null
    `$cpu = ([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - `$before).TotalSeconds
    '{0} {1:0.000} {2:0.0}' -f `$name, `$cpu, `$clock.Elapsed.TotalSeconds
}
"@
        $result = Invoke-ChildPwsh $script -TimeoutSeconds 300
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $rows = $result.Output.Trim() -split "`n" | ForEach-Object { $f = $_.Trim() -split ' '; [pscustomobject]@{ Wait = $f[0]; Cpu = [double]$f[1]; Elapsed = [double]$f[2] } }
        $rows.Count | Should -Be 6
        foreach ($row in $rows) {
            $row.Elapsed | Should -BeGreaterOrEqual 3.9 -Because "$($row.Wait) waits out its timeout"
            $row.Cpu | Should -BeLessThan 0.25 -Because "$($row.Wait) must sleep, not spin ($($row.Cpu) s of CPU in $($row.Elapsed) s)"
        }
    }

    It 'stopping the pipeline (PowerShell.Stop(), as Ctrl+C does) ends every kind of wait' {
        $shm = New-TestSharedMemory Posix
        $segment = New-TestSharedMemory SystemV
        $scripts = @(
            "Wait-SharedMemory -Name '$($shm.Name)' -Offset 0 -Value 99"
            "Wait-SharedMemory -Id $($segment.Id) -Offset 8 -As Int64 -Changed"
            "Wait-SharedMemory -Name '$(New-TestName)'"
            "Wait-SharedMemory -Key $(New-TestKey)"
            "Wait-SharedMemory -Name '$($shm.Name)' -Removed"
            "Wait-SharedMemory -Name '$($shm.Name)' -Offset 512 -Document -Changed"
        )
        foreach ($script in $scripts) {
            $run = Start-Background $script
            Start-Sleep -Milliseconds 600
            $run.PowerShell.InvocationStateInfo.State | Should -Be 'Running' -Because "$script waits"
            $stop = $run.PowerShell.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue -Because "$script must end when stopped"
            $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
            $run.PowerShell.Dispose()
        }
    }
}

Describe 'Wait-SharedMemory when the object changes under it' -Tag Posix, SystemV, File {
    BeforeAll {
        # A child pwsh that takes the object, says so, and waits on a value that never comes; it prints the error id.
        function script:Start-Waiter($shm) {
            $find = if ($shm.Kind -eq 'SystemV') { "Get-SharedMemory -Id $($shm.Id)" } elseif ($shm.Kind -eq 'Posix') { "Get-SharedMemory -Name '$($shm.Name)'" } else { "Get-SharedMemory -LiteralPath '$($shm.Path)'" }
            $p = Start-ChildPwsh "`$o = $find; `$o.Attach(); 'waiting'; try { `$o | Wait-SharedMemory -Offset 64 -Value 99 -Timeout 60 -ErrorAction Stop; 'no error' } catch { `$_.FullyQualifiedErrorId.Split(',')[0] }; 'end'"
            Read-ProcessLine $p 60 | Should -BeExactly 'waiting'
            Start-Sleep -Milliseconds 500
            $p
        }
    }

    It '<Kind>: shrunk beneath the word: OffsetOutOfRange, not a crash' -TestCases $FileKinds {
        $shm = New-TestSharedMemory $Kind -Size 8192
        $p = Start-Waiter $shm
        truncate -s 0 $shm.Path
        Read-ProcessLine $p 30 | Should -BeExactly 'OffsetOutOfRange'
        Read-ProcessLine $p 30 | Should -BeExactly 'end'
        $p.WaitForExit(30000) | Should -BeTrue
        $p.ExitCode | Should -Be 0
    }

    It '<Kind>: removed while waited on: SharedMemoryNotFound' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $p = Start-Waiter $shm
        if ($Kind -eq 'SystemV') { ipcrm -m $shm.Id } else { Remove-Item -LiteralPath $shm.Path }
        Read-ProcessLine $p 30 | Should -BeExactly 'SharedMemoryNotFound'
        $p.WaitForExit(30000) | Should -BeTrue
        $p.ExitCode | Should -Be 0
    }

    It '<Kind>: its name given to another object while waited on: SharedMemoryNotFound' -TestCases $FileKinds {
        $shm = New-TestSharedMemory $Kind
        $p = Start-Waiter $shm
        Remove-Item -LiteralPath $shm.Path
        [IO.File]::WriteAllBytes($shm.Path, [byte[]]::new(4096))
        Read-ProcessLine $p 30 | Should -BeExactly 'SharedMemoryNotFound'
        $p.WaitForExit(30000) | Should -BeTrue
        $p.ExitCode | Should -Be 0
    }
}

Describe 'Wait-SharedMemory -Document' -Tag Posix, SystemV, File {
    It '<Kind>: -Document -Changed follows a document published with -Wake by another process' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $shm | Write-SharedMemory -Document '{"v":1}'
        $child = Start-ChildPwsh "Start-Sleep -Milliseconds 500; Write-SharedMemory $(Get-IdentityText $shm) -Document '{`"v`":2}' -Wake"
        $doc = $shm | Wait-SharedMemory -Document -Changed -Timeout 60
        ($doc | ConvertFrom-Json).v | Should -Be 2
        $child.WaitForExit(30000) | Should -BeTrue
        $child.ExitCode | Should -Be 0
    }

    It 'without -Changed it waits for the first document, and outputs one that is there at once' {
        $shm = New-TestSharedMemory Posix
        $child = Start-ChildPwsh "Start-Sleep -Milliseconds 500; Write-SharedMemory -Name '$($shm.Name)' -Offset 8 -Document 'first'"
        $shm | Wait-SharedMemory -Offset 8 -Document -Timeout 60 | Should -BeExactly 'first'
        $shm | Wait-SharedMemory -Offset 8 -Document -Timeout 0 | Should -BeExactly 'first'
        $child.WaitForExit(30000) | Should -BeTrue
    }
}
