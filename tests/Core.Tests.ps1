# The layers: ShmPS.Core holds the kinds, the data path, locking, processes and native code, with no
# reference to PowerShell, and a .NET program uses it alone (tests/CoreConsole); the module holds the
# cmdlets and the one translation into ErrorRecords. Also the descriptor rules the core keeps.

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Core = [ShmPS.SharedMemory].Assembly
    $script:Module = [ShmPS.SharedMemoryException].Assembly
}

AfterAll { Remove-TestSharedMemory }

Describe 'The core assembly' {
    It 'is its own assembly, and the module is another' {
        $Core.GetName().Name | Should -Be 'ShmPS.Core'
        $Module.GetName().Name | Should -Be 'ShmPS'
        $Module.GetReferencedAssemblies().Name | Should -Contain 'ShmPS.Core'
    }

    It 'references nothing of PowerShell' {
        $Core.GetReferencedAssemblies().Name | Where-Object { $_ -like 'System.Management.Automation*' -or $_ -like 'Microsoft.PowerShell*' } |
            Should -BeNullOrEmpty
    }

    It 'holds no cmdlet, completer or binding attribute: they are the module''s' {
        $psTypes = $Core.GetTypes() | Where-Object {
            $t = $_
            while ($t -and $t.Assembly -eq $Core) { $t = $t.BaseType }
            $t -and $t.Assembly.GetName().Name -like 'System.Management.Automation*'
        }
        $psTypes | Should -BeNullOrEmpty
        ($Module.GetTypes() | Where-Object { $_.IsSubclassOf([System.Management.Automation.Cmdlet]) }).Count | Should -BeGreaterThan 10
    }

    It 'maps its error categories onto PowerShell''s by name' {
        foreach ($name in [Enum]::GetNames([ShmPS.SharedMemoryErrorCategory])) {
            [int][ShmPS.SharedMemoryErrorCategory]$name | Should -Be ([int][System.Management.Automation.ErrorCategory]$name) -Because $name
        }
    }

    It 'presents a core failure in PowerShell with its ErrorId and category, the family exception inside' {
        $shm = New-TestSharedMemory Posix
        $e = { $shm.ReadInt64(8192) } | Should -Throw -PassThru -ErrorId OffsetOutOfRange
        $e.Exception | Should -BeOfType ([ShmPS.SharedMemoryException])
        $e.Exception.InnerException | Should -BeOfType ([ShmPS.SharedMemoryRangeException])
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.InnerException.Category | Should -Be ([ShmPS.SharedMemoryErrorCategory]::InvalidArgument)
    }
}

Describe 'A .NET program that uses ShmPS.Core alone' {
    BeforeAll {
        # Built once; the guard library is put where the core looks for it (runtimes/ beside bin/).
        $script:Bin = Join-Path (New-TestDirectory) 'bin'
        $out = dotnet build (Join-Path $PSScriptRoot 'CoreConsole') --nologo -v quiet -o $Bin 2>&1
        if ($LASTEXITCODE) { throw "dotnet build of tests/CoreConsole failed:`n$out" }
        $runtimes = Join-Path (Split-Path $ModulePath) 'runtimes'
        if (Test-Path $runtimes) { Copy-Item $runtimes (Split-Path $Bin) -Recurse }
        $script:Program = Join-Path $Bin 'CoreConsole'
    }

    It 'copies nothing of PowerShell beside it' {
        Get-ChildItem $Bin -Filter *.dll | ForEach-Object Name | Where-Object { $_ -like 'System.Management.Automation*' } | Should -BeNullOrEmpty
        Join-Path $Bin 'ShmPS.Core.dll' | Should -Exist
    }

    It 'creates, maps, locks and removes a <_> object that this session sees, reads and cannot lock meanwhile' -ForEach 'Posix', 'SystemV', 'File' {
        $kind = $_
        $identity = switch ($kind) {
            'Posix' { New-TestName }
            'SystemV' { '0x{0:x8}' -f (New-TestKey) }
            'File' { New-TestPath }
        }
        $value = Get-Random -Minimum 1 -Maximum ([long]::MaxValue)
        $process = Start-TestProcess $Program -ArgumentList $kind, $identity, $value -Ready -TimeoutSeconds 30
        try {
            $line = $process.ReadyLine
            $line | Should -BeLike "ready * 4096 $value *"
            $line | Should -Match 'guarded' -Because 'the program finds the guard library as the module does'
            $shm = switch ($kind) {
                'Posix' { Get-SharedMemory -Name $identity }
                'SystemV' { Get-SharedMemory -Key $identity }
                'File' { Get-SharedMemory -Path $identity }
            }
            Read-SharedMemory -InputObject $shm -Offset 0 -Count 1 -As Int64 | Should -Be $value
            $shm.Processes.ProcessId | Should -Contain $process.Id
            # Its lock is the module's lock: this session cannot take it while the program holds it.
            { Lock-SharedMemory -InputObject $shm -Timeout 0 -ErrorAction Stop } | Should -Throw -ErrorId 'LockTimeout,ShmPS.Commands.LockSharedMemoryCommand'
            $process.StandardInput.WriteLine()
            $process.StandardInput.Flush()
            Read-ProcessLine $process 30 | Should -Be 'removed'
            $process.WaitForExit(30000) | Should -BeTrue
            $process.ExitCode | Should -Be 0
            { $shm.Refresh() } | Should -Throw -ErrorId SharedMemoryNotFound
        }
        finally { Stop-TestProcess $process }
    }

    It 'catches a failure as its .NET family, with the id and category' {
        $out = & $Program missing Posix (New-TestName)
        $out | Should -Be 'SharedMemoryIOException SharedMemoryNotFound ObjectNotFound'
    }
}

Describe 'Descriptors' {
    It 'uses and closes descriptor 0 like any other when standard input is closed' {
        # With descriptor 0 closed, the kernel hands it out to the next open: the object must work on it, and
        # closing the object must close it (it was once taken as invalid, so never closed).
        $name = New-TestName
        $script = @"
Add-Type -Namespace Fd -Name Libc -MemberDefinition '[DllImport("libc")] public static extern int close(int fd);'
`$null = [Fd.Libc]::close(0)
`$shm = New-SharedMemory -Name '$name' -Size 4096
`$shm.Attach()
`$shm.WriteInt32(0, 1234)
"zero:`$((Get-Item /proc/self/fd/0 -ErrorAction SilentlyContinue).LinkTarget)"
"value:`$(`$shm.ReadInt32(0))"
`$shm.Close()
`$open = Get-ChildItem /proc/self/fd | Where-Object { (`$_.LinkTarget ?? '') -like '*$name*' }
"open:`$(@(`$open).Count)"
Remove-SharedMemory -Name '$name'
"@
        $out = & $PwshPath -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; $script" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out | Should -Contain "zero:/dev/shm$name" -Because 'the object got descriptor 0'
        $out | Should -Contain 'value:1234'
        $out | Should -Contain 'open:0'
    }
}
