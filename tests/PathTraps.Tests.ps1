# Every parameter that takes a path, on every cmdlet, found from the module's own metadata (so a new one is
# covered without anyone remembering to), meets the traps another user sets at that path: a symbolic link
# to a root-owned file, a dangling link to where root would create one, a FIFO, a directory, and a second
# hard link to the root-owned file. As root, ShmPS must leave that file untouched (content, size, mode,
# owner), create nothing where the dangling link points, and never hang. The traps are set by uid 65534
# in a directory of its own inside a fresh sticky world-writable directory; the hard link is made by root
# (fs.protected_hardlinks keeps uid 65534 from making it). Each case runs in a runspace of a child pwsh
# with a time limit: a hang is reported, and the child is ended at the end of its cases.

BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $Parameters = foreach ($command in Get-Command -Module ShmPS -CommandType Cmdlet) {
        foreach ($p in $command.Parameters.Values) {
            $type = $p.ParameterType
            $takesText = $type -eq [string] -or $type -eq [string[]]
            if ($takesText -and ($p.Name -match '(Path|File)$' -or @($p.Aliases) -match '(Path|File)$')) {
                # A path in an identity set names the object; any other (OutFile, InputFile, KeyPath) is used beside one.
                $identity = @($p.ParameterSets.Keys) -match '^(Path|LiteralPath|File)$'
                # A path beside the identity of an existing object (-OutFile, -InputFile) needs one; -KeyPath does not.
                $needsObject = -not $identity -and $command.Parameters.ContainsKey('InputObject')
                @{ Command = $command.Name; Parameter = $p.Name; Identity = [bool]$identity; NeedsObject = $needsObject }
            }
        }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    # A fresh sticky world-writable directory (as /tmp), and in it one that uid 65534 owns: its traps.
    $script:Sticky = Join-Path ([IO.Path]::GetTempPath()) "shmps-traps-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-Item -ItemType Directory $Sticky
    chmod 1777 $Sticky
    $script:TrapDir = Join-Path $Sticky 'nobody'
    $null = New-Item -ItemType Directory $TrapDir
    chown 65534:65534 $TrapDir
    # The victim: root's file in root's directory, on the same file system (for the hard link).
    $script:VictimDir = Join-Path $Sticky 'root'
    $null = New-Item -ItemType Directory $VictimDir
    chmod 755 $VictimDir
    $script:Victim = Join-Path $VictimDir 'victim.bin'
    $script:VictimBytes = [byte[]](1..100)
    [IO.File]::WriteAllBytes($Victim, $VictimBytes)
    chmod 644 $Victim
    $script:Dangling = Join-Path $VictimDir 'created-through-a-link.bin'
    $script:VictimStat = Get-FileStat $Victim

    # What each command needs besides the path to do its work on the trap (the base of every generated case).
    $script:Extra = @{
        'New-SharedMemory' = @{ Size = 64 }
        'Write-SharedMemory' = @{ Value = [byte[]](9, 9, 9) }
        'Resize-SharedMemory' = @{ Size = 200 }
        'Set-SharedMemoryPermission' = @{ Mode = '0666' }
        'Remove-SharedMemory' = @{ Confirm = $false }
    }
    # Commands that write a file's data, size, mode or owner: a second hard link is HardLinkRefused there.
    $script:Modifying = 'Write-SharedMemory', 'Resize-SharedMemory', 'Set-SharedMemoryPermission', 'Clear-SharedMemory'

    $script:Traps = 'symbolic link', 'dangling symbolic link', 'FIFO', 'directory', 'hard link'

    function script:Invoke-Traps([string] $Command, [string] $Parameter, [bool] $NeedsObject) {
        $object = New-TestSharedMemory Posix -Size 4096
        $arguments = @{} + ($Extra[$Command] ?? @{})
        if ($Command -eq 'Write-SharedMemory' -and $Parameter -eq 'InputFile') { $arguments.Remove('Value') }
        if ($NeedsObject) { $arguments.Name = $object.Name }
        $json = ConvertTo-Json -Compress -Depth 3 $arguments
        $script = @"
`$arguments = ConvertFrom-Json -AsHashtable '$($json -replace "'", "''")'
if (`$arguments.Value) { `$arguments.Value = [byte[]]`$arguments.Value }
`$iss = [Management.Automation.Runspaces.InitialSessionState]::CreateDefault()
`$iss.ImportPSModule('$ModulePath')
`$results = foreach (`$trap in '$($Traps -join "','")') {
    `$path = Join-Path '$TrapDir' ('$Parameter-' + (`$trap -replace ' ', '-') + '-' + [Guid]::NewGuid().ToString('N').Substring(0, 6))
    `$nobody = 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'
    switch (`$trap) {
        'symbolic link' { & `$nobody[0] `$nobody[1..3] ln -s '$Victim' `$path }
        'dangling symbolic link' { & `$nobody[0] `$nobody[1..3] ln -s '$Dangling' `$path }
        'FIFO' { & `$nobody[0] `$nobody[1..3] mkfifo `$path }
        'directory' { & `$nobody[0] `$nobody[1..3] mkdir `$path }
        'hard link' { ln '$Victim' `$path }
    }
    if (`$LASTEXITCODE) { throw "could not set the trap `$trap" }
    `$writer = `$null
    if (`$trap -eq 'FIFO' -and '$Parameter' -eq 'InputFile') {
        # -InputFile reads FIFOs: a writer of the other user's comes.
        `$start = [Diagnostics.ProcessStartInfo]::new('setpriv')
        foreach (`$a in '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', "printf abc > '`$path'") { `$start.ArgumentList.Add(`$a) }
        `$writer = [Diagnostics.Process]::Start(`$start)
    }
    `$ps = [powershell]::Create(`$iss)
    `$call = @{} + `$arguments
    `$call['$Parameter'] = `$path
    `$null = `$ps.AddCommand('$Command').AddParameters(`$call)
    `$handle = `$ps.BeginInvoke()
    `$outcome = if (-not `$handle.AsyncWaitHandle.WaitOne(15000)) { 'hung' }
    else {
        try {
            foreach (`$o in `$ps.EndInvoke(`$handle)) { if (`$o -is [ShmPS.SharedMemory] -and `$o.Kind -eq 'SystemV') { `$o | Remove-SharedMemory } }
            `$ids = @(`$ps.Streams.Error | ForEach-Object { (`$_.FullyQualifiedErrorId -split ',')[0] })
            if (`$ids) { `$ids -join ' ' } else { 'done' }
        }
        catch {
            # A terminating error: the id of its record (a cmdlet's ThrowTerminatingError, or a ShmPS exception).
            `$id = `$null
            for (`$e = `$_.Exception; `$e -and -not `$id; `$e = `$e.InnerException) {
                if (`$e -is [Management.Automation.IContainsErrorRecord] -and `$e -isnot [Management.Automation.MethodInvocationException]) { `$id = (`$e.ErrorRecord.FullyQualifiedErrorId -split ',')[0] }
            }
            "threw `$(`$id ?? `$_.Exception.GetType().Name)"
        }
    }
    if (`$writer) { `$null = `$writer.WaitForExit(5000); if (-not `$writer.HasExited) { `$writer.Kill() } }
    if (`$outcome -ne 'hung') { Remove-Item -LiteralPath `$path -Recurse -Force -ErrorAction SilentlyContinue }
    [pscustomobject]@{ Trap = `$trap; Outcome = `$outcome }
}
`$results | ConvertTo-Json -Compress
[Environment]::Exit(0) # ends a case still hung in a system call
"@
        try {
            $r = Invoke-ChildPwsh $script -TimeoutSeconds 200
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $results = @{}
            foreach ($row in ($r.Output | ConvertFrom-Json)) { $results[$row.Trap] = $row.Outcome }
            $results
        }
        finally {
            $object | Remove-SharedMemory -ErrorAction SilentlyContinue
            Get-ChildItem -LiteralPath $TrapDir -Force | Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

AfterAll {
    Remove-Item -LiteralPath $Sticky -Recurse -Force -ErrorAction SilentlyContinue
    Remove-TestSharedMemory
}

Describe 'Paths of <Command> -<Parameter> meet the traps of another user' -ForEach $Parameters {
    BeforeAll {
        $script:Outcome = Invoke-Traps $Command $Parameter $NeedsObject
    }

    It 'leaves the victim file untouched and creates nothing where a dangling link points' {
        [IO.File]::ReadAllBytes($Victim) | Should -Be $VictimBytes
        $now = Get-FileStat $Victim
        $now.Mode | Should -Be $VictimStat.Mode
        $now.Uid | Should -Be $VictimStat.Uid
        $now.Gid | Should -Be $VictimStat.Gid
        $now.Size | Should -Be $VictimStat.Size
        Test-Path -LiteralPath $Dangling | Should -BeFalse
    }

    It 'never hangs on a <_>' -ForEach 'symbolic link', 'dangling symbolic link', 'FIFO', 'directory', 'hard link' {
        $Outcome[$_] | Should -Not -BeNullOrEmpty
        $Outcome[$_] | Should -Not -Be 'hung'
    }

    It 'refuses a symbolic link, a dangling one, a FIFO and a directory at once' {
        switch ($Parameter) {
            'InputFile' {
                # Input is read through links and from FIFOs (and pipes, /proc); a directory is refused.
                $Outcome['symbolic link'] | Should -Be 'done'
                $Outcome['FIFO'] | Should -Be 'done'
                $Outcome['dangling symbolic link'] | Should -Match 'InputFileNotFound'
                $Outcome['directory'] | Should -Match 'NotARegularFile'
            }
            'KeyPath' {
                # ftok of a directory is a common idiom; the rest is refused.
                $Outcome['symbolic link'] | Should -Match 'SymbolicLinkRefused'
                $Outcome['dangling symbolic link'] | Should -Match 'SymbolicLinkRefused'
                $Outcome['FIFO'] | Should -Match 'NotARegularFile'
                $Outcome['directory'] | Should -Be 'done'
            }
            default {
                $Outcome['symbolic link'] | Should -Match 'SymbolicLinkRefused'
                $Outcome['dangling symbolic link'] | Should -Match 'SymbolicLinkRefused'
                $Outcome['FIFO'] | Should -Match 'NotARegularFile'
                $Outcome['directory'] | Should -Match 'NotARegularFile'
            }
        }
    }

    It 'refuses to modify a file with a second hard link in a directory another user can write to' {
        if ($Command -in $Modifying -and $Identity -or $Parameter -eq 'OutFile') {
            $Outcome['hard link'] | Should -Match 'HardLinkRefused'
        }
        else {
            $Outcome['hard link'] | Should -Not -Match 'HardLinkRefused' -Because 'reading, locking or removing the link does not change the file'
        }
    }
}

Describe 'Hard links and -Force' {
    BeforeAll {
        $script:Own = New-TestDirectory
        chown 65534:65534 $Own
    }

    It 'writes, resizes and changes the mode of a hard-linked file with -Force, and not without' {
        $file = Join-Path $Own 'linked.bin'
        [IO.File]::WriteAllBytes($file, [byte[]]::new(64))
        ln $file (Join-Path $Own 'other-name.bin')
        { Write-SharedMemory -LiteralPath $file -Value 7uy -ErrorAction Stop } | Should -Throw -ErrorId 'HardLinkRefused,*'
        [IO.File]::ReadAllBytes($file)[0] | Should -Be 0
        Write-SharedMemory -LiteralPath $file -Value 7uy -Force
        [IO.File]::ReadAllBytes($file)[0] | Should -Be 7
        { Resize-SharedMemory -LiteralPath $file -Size 128 -ErrorAction Stop } | Should -Throw -ErrorId 'HardLinkRefused,*'
        Resize-SharedMemory -LiteralPath $file -Size 128 -Force
        (Get-Item $file).Length | Should -Be 128
        { Set-SharedMemoryPermission -LiteralPath $file -Mode 0600 -ErrorAction Stop } | Should -Throw -ErrorId 'HardLinkRefused,*'
        Set-SharedMemoryPermission -LiteralPath $file -Mode 0600 -Force
        (Get-FileStat $file).Mode | Should -Be '600'
        $o = Get-SharedMemory -LiteralPath $file
        try {
            $o.Attach()
            { $o.WriteByte(0, 1) } | Should -Throw -ErrorId HardLinkRefused -Because 'methods have no -Force'
            $o.ReadByte(0) | Should -Be 7
        } finally { $o.Close() }
    }

    It 'overwrites a hard-linked -OutFile with -Force, and not without' {
        $out = Join-Path $Own 'out.bin'
        [IO.File]::WriteAllBytes($out, [byte[]](5, 5))
        ln $out (Join-Path $Own 'out-link.bin')
        $o = New-TestSharedMemory Posix -Size 16
        { Read-SharedMemory -InputObject $o -OutFile $out -ErrorAction Stop } | Should -Throw -ErrorId 'HardLinkRefused,*'
        [IO.File]::ReadAllBytes($out) | Should -Be 5, 5
        Read-SharedMemory -InputObject $o -OutFile $out -Force
        (Get-Item $out).Length | Should -Be 16
    }

    It 'writes a hard-linked file in a directory only root can write to' {
        $dir = New-TestDirectory
        $file = Join-Path $dir 'mine.bin'
        [IO.File]::WriteAllBytes($file, [byte[]]::new(8))
        ln $file (Join-Path $dir 'mine-too.bin')
        Write-SharedMemory -LiteralPath $file -Value 3uy
        [IO.File]::ReadAllBytes($file)[0] | Should -Be 3
    }
}

Describe '-OutFile in a place of its own' {
    It 'creates a new file, and overwrites (truncates) an existing regular one' {
        $o = New-TestSharedMemory SystemV -Size 32
        Write-SharedMemory -InputObject $o -Value ([byte[]](1..32))
        $out = New-TestPath
        Read-SharedMemory -InputObject $o -OutFile $out -Count 8
        [IO.File]::ReadAllBytes($out) | Should -Be (1..8)
        [IO.File]::WriteAllBytes($out, [byte[]]::new(100))
        Read-SharedMemory -InputObject $o -OutFile $out -Count 4
        [IO.File]::ReadAllBytes($out) | Should -Be (1..4)
    }
}
