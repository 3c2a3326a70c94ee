# Shared file mappings as the third kind: exclusive creation with an exact mode and a reservation,
# paths resolved against PowerShell's location with wildcards and literal paths, refusal of anything
# that is not a regular file, data shared with C programs' MAP_SHARED mappings and with later
# processes, truncation by another process, resizing, permissions and removal.

BeforeDiscovery {
    $script:Modes = '0600', '0640', '0644', '0666', '0777', '0400' | ForEach-Object { @{ Mode = $_ } }
    # Symbolic links are never followed and have their own ErrorId; other non-regular files are NotARegularFile.
    $refusal = @{
        'directory' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'FIFO' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'character device' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'symbolic link to a regular file' = @{ ErrorId = 'SymbolicLinkRefused'; Category = 'SecurityError' }
        'dangling symbolic link' = @{ ErrorId = 'SymbolicLinkRefused'; Category = 'SecurityError' }
    }
    $script:Refused = foreach ($type in 'directory', 'FIFO', 'character device', 'symbolic link to a regular file', 'dangling symbolic link') {
        foreach ($force in $false, $true) { @{ Type = $type; Force = $force } + $refusal[$type] }
    }
    $script:RefusedLookups = foreach ($type in 'directory', 'FIFO', 'symbolic link to a regular file') {
        foreach ($command in 'Get-SharedMemory', 'Read-SharedMemory', 'Write-SharedMemory', 'Resize-SharedMemory',
            'Set-SharedMemoryPermission', 'Remove-SharedMemory') { @{ Type = $type; Command = $command } + $refusal[$type] }
    }
    $script:RemoveConfirmations = @(@{ How = '-Force'; Parameters = @{ Force = $true } }, @{ How = '-Confirm:$false'; Parameters = @{ Confirm = $false } })
    $script:BadSizes = @(@{ Size = 0 }, @{ Size = -1 })
    $script:Reservations = @(@{ Sparse = $false }, @{ Sparse = $true })
    $script:DataCommands = 'Read-SharedMemory', 'Write-SharedMemory' | ForEach-Object { @{ Command = $_ } }
    $script:OutOfRange = @(
        @{ Offset = 4096; Count = 1 }
        @{ Offset = 4000; Count = 97 }
        @{ Offset = -1; Count = 1 }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/Processes.ps1

    $Filemap = Get-NativeTool filemap
    $Holders = [Collections.Generic.List[Diagnostics.Process]]::new()
    # Every file of this test file lives here; world-traversable so that other users can reach it.
    $Root = Join-Path ([IO.Path]::GetTempPath()) ('shmps-file-' + [Guid]::NewGuid().ToString('N').Substring(0, 12))
    $null = New-Item -ItemType Directory $Root
    chmod 755 $Root

    function New-TestDirectory {
        $dir = Join-Path $Root ([Guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory $dir
        $dir
    }

    function New-TestPath([string] $Extension = '.bin') {
        Join-Path $Root ([Guid]::NewGuid().ToString('N').Substring(0, 12) + $Extension)
    }

    function Get-FileStat([string] $Path) {
        <# stat(1) of the path itself (symbolic links not followed): the independent view of the file. #>
        $f = -split (stat -c '%a %u %g %s %b %B %F' -- $Path)
        [pscustomobject]@{ Mode = $f[0]; Uid = [long]$f[1]; Gid = [long]$f[2]; Size = [long]$f[3]
            Allocated = [long]$f[4] * [long]$f[5]; Type = $f[6..($f.Count - 1)] -join ' ' }
    }

    function New-NonRegular([string] $Type, [string] $Dir) {
        <# Puts a non-regular file of the given type at $Dir/x.bin (or returns /dev/null); returns its path. #>
        $path = Join-Path $Dir 'x.bin'
        switch ($Type) {
            'directory' { $null = New-Item -ItemType Directory $path }
            'FIFO' { mkfifo $path }
            'character device' { $path = '/dev/null' }
            'symbolic link to a regular file' {
                $target = Join-Path $Dir 'target.bin'
                [IO.File]::WriteAllBytes($target, [byte[]](1..100))
                chmod 644 $target
                $null = New-Item -ItemType SymbolicLink -Path $path -Target $target
            }
            'dangling symbolic link' { $null = New-Item -ItemType SymbolicLink -Path $path -Target (Join-Path $Dir 'missing.bin') }
        }
        $path
    }
}

AfterAll {
    foreach ($p in $Holders) { Stop-NativeProcess $p }
    if ($Root -and (Test-Path $Root)) { Remove-Item -LiteralPath $Root -Recurse -Force }
}

Describe 'New-SharedMemory -Path' -Tag File {
    It 'creates the file with exactly mode <Mode>, whatever the umask' -TestCases $Modes {
        param($Mode)
        $path = New-TestPath
        $shm = New-SharedMemory -Path $path -Size 4096 -Mode $Mode -WarningVariable warnings -WarningAction SilentlyContinue
        $expected = [Convert]::ToInt32($Mode, 8)
        $shm | Should -BeOfType ShmPS.FileSharedMemory
        $shm.Kind | Should -Be 'File' -Because '-Path implies the kind'
        [int]$shm.Mode | Should -Be $expected
        (Get-FileStat $path).Mode | Should -Be ([Convert]::ToString($expected, 8)) -Because "the umask is $(sh -c umask)"
        @($warnings).Count -gt 0 | Should -Be (($expected -band 2) -ne 0) -Because 'a world-writable mode warns'
    }

    It 'gives the file mode 0600 by default' {
        $path = New-TestPath
        $shm = New-SharedMemory -Path $path -Size 100
        $shm.Permissions | Should -BeExactly 'rw-------'
        (Get-FileStat $path).Mode | Should -Be '600'
    }

    It 'reserves the blocks of the file unless -Sparse' {
        $reserved = New-SharedMemory -Path (New-TestPath) -Size 1MB
        $sparse = New-SharedMemory -Path (New-TestPath) -Size 1MB -Sparse
        foreach ($shm in $reserved, $sparse) {
            $stat = Get-FileStat $shm.Path
            $stat.Size | Should -Be 1MB
            $shm.Size | Should -Be 1MB
            $shm.AllocatedBytes | Should -Be $stat.Allocated
        }
        $reserved.AllocatedBytes | Should -BeGreaterOrEqual 1MB
        $sparse.AllocatedBytes | Should -BeLessThan 1MB
    }

    It 'resolves a relative path against the current location, not the process working directory' {
        $dir = New-TestDirectory
        $processCwd = [Environment]::CurrentDirectory
        $processCwd | Should -Not -Be $dir
        Push-Location $dir
        try {
            $shm = New-SharedMemory -Path 'relative.bin' -Size 64
            $shm.Path | Should -Be (Join-Path $dir 'relative.bin')
            Test-Path -LiteralPath (Join-Path $dir 'relative.bin') | Should -BeTrue
            Test-Path -LiteralPath (Join-Path $processCwd 'relative.bin') | Should -BeFalse

            Write-SharedMemory -Path 'relative.bin' -Value 'here'
            Read-SharedMemory -Path 'relative.bin' -Count 4 -Encoding utf8 | Should -BeExactly 'here'
            (Get-SharedMemory -LiteralPath 'relative.bin').Path | Should -Be $shm.Path
            Remove-SharedMemory -Path 'relative.bin' -Force
            Test-Path -LiteralPath (Join-Path $dir 'relative.bin') | Should -BeFalse
        }
        finally {
            Pop-Location
        }
    }

    It 'resolves a path on a PowerShell drive' {
        $dir = New-TestDirectory
        $null = New-PSDrive -Name ShmPSTest -PSProvider FileSystem -Root $dir
        try {
            $shm = New-SharedMemory -Path 'ShmPSTest:/drive.bin' -Size 64
            $shm.Path | Should -Be (Join-Path $dir 'drive.bin')
            Test-Path -LiteralPath (Join-Path $dir 'drive.bin') | Should -BeTrue
            (Get-SharedMemory -Path 'ShmPSTest:/*.bin').Path | Should -Be $shm.Path
        }
        finally {
            Remove-PSDrive -Name ShmPSTest
        }
    }

    It 'refuses a file that exists (SharedMemoryExists) and leaves it as it was' {
        $path = New-TestPath
        $data = New-RandomBytes 300
        [IO.File]::WriteAllBytes($path, $data)
        { New-SharedMemory -Path $path -Size 4096 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryExists,ShmPS.Commands.NewSharedMemoryCommand'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($path)) | Should -Be (ConvertTo-Hex $data)
    }

    It 'opens an existing regular file with -Force without truncating or growing it' {
        $path = New-TestPath
        $data = New-RandomBytes 5000
        [IO.File]::WriteAllBytes($path, $data)
        chmod 640 $path
        $shm = New-SharedMemory -Path $path -Size 100 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $shm.Size | Should -Be 5000
        (Get-FileStat $path).Size | Should -Be 5000
        (Get-FileStat $path).Mode | Should -Be '640' -Because 'opening is not creating: the mode stays'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($path)) | Should -Be (ConvertTo-Hex $data)
        ConvertTo-Hex $shm.Read(0, 5000) | Should -Be (ConvertTo-Hex $data)
        $warnings | Should -Not -BeNullOrEmpty -Because 'the size asked for differs'
    }

    It 'creates the file with -Force when it does not exist' {
        $path = New-TestPath
        $shm = New-SharedMemory -Path $path -Size 4096 -Force
        $shm.Size | Should -Be 4096
        (Get-FileStat $path).Size | Should -Be 4096
        (Get-FileStat $path).Mode | Should -Be '600'
    }

    It 'warns when -Force opens a file that belongs to another user' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        chown 65534 $path
        $shm = New-SharedMemory -Path $path -Size 64 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $shm.OwnerId | Should -Be 65534
        $warnings | Should -Not -BeNullOrEmpty -Because 'the size is the same, so the warning is about the owner'
    }

    It 'refuses a <Type> (Force: <Force>) with <ErrorId> and leaves it' -TestCases $Refused {
        param($Type, $Force, $ErrorId, $Category)
        $dir = New-TestDirectory
        $path = New-NonRegular $Type $dir
        $before = Get-FileStat $path
        $record = { New-SharedMemory -Path $path -Size 100 -Force:$Force -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId,ShmPS.Commands.NewSharedMemoryCommand" -PassThru
        $record.CategoryInfo.Category | Should -Be $Category
        (Get-FileStat $path).Type | Should -Be $before.Type
        if ($Type -eq 'symbolic link to a regular file') {
            ConvertTo-Hex ([IO.File]::ReadAllBytes((Join-Path $dir 'target.bin'))) | Should -Be (ConvertTo-Hex ([byte[]](1..100)))
        }
        if ($Type -eq 'dangling symbolic link') {
            Test-Path -LiteralPath (Join-Path $dir 'missing.bin') | Should -BeFalse -Because 'the link is not followed'
        }
    }

    It 'reports a directory that does not exist as a ShmPS error (ObjectNotFound), Sparse: <Sparse>' -TestCases $Reservations {
        param($Sparse)
        $path = Join-Path (New-TestPath -Extension '.missing') 'x.bin'
        $record = { New-SharedMemory -Path $path -Size 4096 -Sparse:$Sparse -ErrorAction Stop } |
            Should -Throw -PassThru
        $record.Exception | Should -BeOfType ShmPS.SharedMemoryException
        $record.FullyQualifiedErrorId | Should -BeLike '*,ShmPS.Commands.NewSharedMemoryCommand'
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Test-Path -LiteralPath (Split-Path $path) | Should -BeFalse
    }

    It 'refuses size <Size> (InvalidSize) and creates no file' -TestCases $BadSizes {
        param($Size)
        $path = New-TestPath
        { New-SharedMemory -Path $path -Size $Size -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSize,ShmPS.Commands.NewSharedMemoryCommand'
        Test-Path -LiteralPath $path | Should -BeFalse
    }
}

Describe 'Get-SharedMemory -Path and -LiteralPath' -Tag File {
    It 'describes the file as a FileSharedMemory' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 1234 -Mode 0640
        chown 65534:65534 $path
        $shm = Get-SharedMemory -LiteralPath $path
        $item = Get-Item -LiteralPath $path
        $shm | Should -BeOfType ShmPS.FileSharedMemory
        $shm.Kind | Should -Be 'File'
        $shm.Path | Should -Be $path
        $shm.Name | Should -Be $path
        $shm.Size | Should -Be 1234
        $shm.Permissions | Should -BeExactly 'rw-r-----'
        $shm.OwnerId | Should -Be 65534
        $shm.GroupId | Should -Be 65534
        $shm.Owner | Should -Be (getent passwd 65534).Split(':')[0]
        $shm.LastWriteTime | Should -Be $item.LastWriteTime
        $shm.AllocatedBytes | Should -Be (Get-FileStat $path).Allocated
    }

    It 'reports a missing file as SharedMemoryNotFound' {
        $path = New-TestPath
        { Get-SharedMemory -LiteralPath $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.GetSharedMemoryCommand'
        { Read-SharedMemory -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.ReadSharedMemoryCommand'
        { Remove-SharedMemory -Path $path -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.RemoveSharedMemoryCommand'
    }

    It 'expands wildcards in -Path for Get, Read, Write and Remove' {
        $dir = New-TestDirectory
        $bins = 'one.bin', 'two.bin', 'three.bin' | ForEach-Object { (New-SharedMemory -Path (Join-Path $dir $_) -Size 64).Path }
        $other = (New-SharedMemory -Path (Join-Path $dir 'other.txt') -Size 64).Path
        $pattern = Join-Path $dir '*.bin'

        (Get-SharedMemory -Path $pattern).Path | Sort-Object | Should -Be ($bins | Sort-Object)

        $data = New-RandomBytes 16
        Write-SharedMemory -Path $pattern -Value $data
        $read = @(Read-SharedMemory -Path $pattern -Count 16)
        $read | Should -HaveCount 3
        $read | ForEach-Object { ConvertTo-Hex $_ | Should -Be (ConvertTo-Hex $data) }
        ConvertTo-Hex ([IO.File]::ReadAllBytes($other)[0..15]) | Should -Not -Be (ConvertTo-Hex $data)

        Remove-SharedMemory -Path $pattern -Force
        $bins | ForEach-Object { Test-Path -LiteralPath $_ | Should -BeFalse }
        Test-Path -LiteralPath $other | Should -BeTrue
    }

    It 'takes wildcard characters literally in -LiteralPath' {
        $dir = New-TestDirectory
        $bracket = Join-Path $dir 'a[1].bin'
        $plain = Join-Path $dir 'a1.bin'
        $null = New-SharedMemory -LiteralPath $bracket -Size 64
        $null = New-SharedMemory -Path $plain -Size 64
        Test-Path -LiteralPath $bracket | Should -BeTrue

        (Get-SharedMemory -LiteralPath $bracket).Path | Should -Be $bracket
        (Get-SharedMemory -Path $bracket).Path | Should -Be $plain -Because '-Path reads [1] as a wildcard'

        $data = New-RandomBytes 8
        Write-SharedMemory -LiteralPath $bracket -Value $data
        ConvertTo-Hex (Read-SharedMemory -LiteralPath $bracket -Count 8) | Should -Be (ConvertTo-Hex $data)
        ConvertTo-Hex ([IO.File]::ReadAllBytes($plain)[0..7]) | Should -Not -Be (ConvertTo-Hex $data)

        Remove-SharedMemory -LiteralPath $bracket -Force
        Test-Path -LiteralPath $bracket | Should -BeFalse
        Test-Path -LiteralPath $plain | Should -BeTrue
    }

    It '<Command> refuses a <Type> (<ErrorId>)' -TestCases $RefusedLookups {
        param($Type, $Command, $ErrorId)
        $dir = New-TestDirectory
        $path = New-NonRegular $Type $dir
        $extra = switch ($Command) {
            'Write-SharedMemory' { @{ Value = [byte[]](9, 9, 9) } }
            'Resize-SharedMemory' { @{ Size = 10; Force = $true } }
            'Set-SharedMemoryPermission' { @{ Mode = '0666'; WarningAction = 'SilentlyContinue' } }
            'Remove-SharedMemory' { @{ Force = $true } }
            default { @{} }
        }
        $before = Get-FileStat $path
        { & $Command -LiteralPath $path @extra -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId,ShmPS.Commands.$($Command -replace '-')Command"
        $after = Get-FileStat $path
        $after.Type | Should -Be $before.Type -Because 'it is still there'
        $after.Mode | Should -Be $before.Mode
        if ($Type -eq 'symbolic link to a regular file') {
            $target = Join-Path $dir 'target.bin'
            ConvertTo-Hex ([IO.File]::ReadAllBytes($target)) | Should -Be (ConvertTo-Hex ([byte[]](1..100))) -Because 'the link is not followed'
            (Get-FileStat $target).Mode | Should -Be '644'
        }
    }
}

Describe 'Read-SharedMemory and Write-SharedMemory -Path' -Tag File {
    It '<Command> refuses a symbolic link planted at the path after the object was found (SymbolicLinkRefused)' -TestCases $DataCommands {
        param($Command)
        $dir = New-TestDirectory
        $path = Join-Path $dir 'x.bin'
        $shm = New-SharedMemory -Path $path -Size 100
        $shm.Close()
        $target = Join-Path $dir 'target.bin'
        [IO.File]::WriteAllBytes($target, [byte[]](1..100))
        Remove-Item -LiteralPath $path
        $null = New-Item -ItemType SymbolicLink -Path $path -Target $target
        $extra = if ($Command -eq 'Write-SharedMemory') { @{ Value = [byte[]](9, 9, 9) } } else { @{ Count = 3 } }
        { & $Command -InputObject $shm @extra -ErrorAction Stop } |
            Should -Throw -ErrorId "SymbolicLinkRefused,ShmPS.Commands.$($Command -replace '-')Command"
        ConvertTo-Hex ([IO.File]::ReadAllBytes($target)) | Should -Be (ConvertTo-Hex ([byte[]](1..100)))
    }

    It 'writes and reads bytes, text and numbers in the file' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 4096
        $bytes = New-RandomBytes 32
        $number = [long][Security.Cryptography.RandomNumberGenerator]::GetInt32([int]::MaxValue) * 3
        Write-SharedMemory -LiteralPath $path -Offset 100 -Value $bytes
        Write-SharedMemory -LiteralPath $path -Offset 200 -Value 'grüße'
        Write-SharedMemory -LiteralPath $path -Offset 300 -Value $number -As Int64

        $file = [IO.File]::ReadAllBytes($path)
        ConvertTo-Hex $file[100..131] | Should -Be (ConvertTo-Hex $bytes)
        [Text.Encoding]::UTF8.GetString($file, 200, 7) | Should -BeExactly 'grüße'
        [BitConverter]::ToInt64($file, 300) | Should -Be $number

        ConvertTo-Hex (Read-SharedMemory -LiteralPath $path -Offset 100 -Count 32) | Should -Be (ConvertTo-Hex $bytes)
        Read-SharedMemory -LiteralPath $path -Offset 200 -Encoding utf8 | Should -BeExactly 'grüße'
        Read-SharedMemory -LiteralPath $path -Offset 300 -Count 1 -As Int64 | Should -Be $number
    }

    It 'refuses offset <Offset> and count <Count> in 4096 bytes (OffsetOutOfRange) without growing the file' -TestCases $OutOfRange {
        param($Offset, $Count)
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 4096
        { Read-SharedMemory -Path $path -Offset $Offset -Count $Count -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.ReadSharedMemoryCommand'
        { Write-SharedMemory -Path $path -Offset $Offset -Value (New-RandomBytes $Count) -ErrorAction Stop } |
            Should -Throw -ErrorId 'OffsetOutOfRange,ShmPS.Commands.WriteSharedMemoryCommand'
        (Get-FileStat $path).Size | Should -Be 4096
    }

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

    It 'sees at once what a C program writes through its MAP_SHARED mapping, and the reverse' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 8192
        $mapper = Start-NativeProcess $Filemap 'serve', $path
        $Holders.Add($mapper)
        $mapper.ReadyLine | Should -Be 'ready 8192'

        $fromC = New-RandomBytes 256
        Send-NativeCommand $mapper "w 1000 $(ConvertTo-Hex $fromC)" | Should -Be 'ok'
        ConvertTo-Hex (Read-SharedMemory -LiteralPath $path -Offset 1000 -Count 256) | Should -Be (ConvertTo-Hex $fromC)

        $fromShmPS = New-RandomBytes 256
        Write-SharedMemory -LiteralPath $path -Offset 5000 -Value $fromShmPS
        Send-NativeCommand $mapper 'r 5000 256' | Should -Be (ConvertTo-Hex $fromShmPS)
        Stop-NativeProcess $mapper
    }

    It 'gives errors, not a signal, while another process truncates the file again and again' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 65536
        $churn = Start-NativeProcess $Filemap 'churn', $path, 65536
        $Holders.Add($churn)
        $child = Invoke-ChildPwsh @"
`$path = '$path'
`$shm = Get-SharedMemory -LiteralPath `$path
`$data = [byte[]]::new(4096)
`$ops = 0; `$ids = [Collections.Generic.List[string]]::new()
`$clock = [Diagnostics.Stopwatch]::StartNew()
while (`$clock.ElapsedMilliseconds -lt 2000 -and `$ops -lt 100000) {
    foreach (`$op in 0..3) {
        `$ops++
        try {
            switch (`$op) {
                0 { `$null = Read-SharedMemory -LiteralPath `$path -Count 65536 -ErrorAction Stop }
                1 { `$null = `$shm.Read(60000, 4096) }
                2 { `$shm.Write(61440, `$data) }
                3 { Write-SharedMemory -LiteralPath `$path -Value `$data -ErrorAction Stop }
            }
        }
        catch {
            `$e = `$_.Exception
            while (`$e -is [Management.Automation.MethodInvocationException]) { `$e = `$e.InnerException }
            `$ids.Add((`$e -is [ShmPS.SharedMemoryException]) ? `$e.ErrorId : ('{0}: {1}' -f `$e.GetType().FullName, `$e.Message))
        }
    }
}
@{ Ops = `$ops; Errors = `$ids.Count; Ids = @(`$ids | Sort-Object -Unique) } | ConvertTo-Json -Compress
exit 0
"@
        Stop-NativeProcess $churn
        $churn.ExitCode | Should -Be 137 -Because 'the truncating process ran until it was killed (SIGKILL), not failing'
        $child.ExitCode | Should -Be 0 -Because "the child must not die of SIGBUS (exit code 135): $($child.Error)"
        $r = $child.Output | ConvertFrom-Json
        $r.Ops | Should -BeGreaterThan 0
        $r.Errors | Should -BeGreaterThan 0 -Because 'some operations meet a file shorter than they need'
        $r.Ids | Should -Be @('OffsetOutOfRange')
    }
}

Describe 'Resize-SharedMemory -Path' -Tag File {
    It 'grows the file, reserving the new part, and keeps the data' {
        $path = New-TestPath
        $shm = New-SharedMemory -Path $path -Size 4096
        $data = New-RandomBytes 4096
        $shm.Write(0, $data)
        $after = Resize-SharedMemory -LiteralPath $path -Size 1MB -PassThru
        $after.Size | Should -Be 1MB
        $after.AllocatedBytes | Should -BeGreaterOrEqual 1MB
        (Get-FileStat $path).Size | Should -Be 1MB
        (Get-FileStat $path).Allocated | Should -BeGreaterOrEqual 1MB
        ConvertTo-Hex (Read-SharedMemory -LiteralPath $path -Count 4096) | Should -Be (ConvertTo-Hex $data)
    }

    It 'grows the file without reserving with -Sparse' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 4096
        $after = Resize-SharedMemory -LiteralPath $path -Size 1MB -Sparse -PassThru
        $after.Size | Should -Be 1MB
        (Get-FileStat $path).Size | Should -Be 1MB
        $after.AllocatedBytes | Should -BeLessThan 1MB
    }

    It 'shrinks the file with -Force, keeping the data before the new end' {
        $path = New-TestPath
        $shm = New-SharedMemory -Path $path -Size 8192
        $data = New-RandomBytes 8192
        $shm.Write(0, $data)
        $after = Resize-SharedMemory -LiteralPath $path -Size 1000 -Force -PassThru
        $after.Size | Should -Be 1000
        (Get-FileStat $path).Size | Should -Be 1000
        ConvertTo-Hex ([IO.File]::ReadAllBytes($path)) | Should -Be (ConvertTo-Hex $data[0..999])
    }
}

Describe 'Set-SharedMemoryPermission -Path' -Tag File {
    It 'changes mode, owner and group of the file' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        $after = Set-SharedMemoryPermission -LiteralPath $path -Mode 0604 -Owner 65534 -Group 65534 -PassThru
        $stat = Get-FileStat $path
        $stat.Mode | Should -Be '604'
        $stat.Uid | Should -Be 65534
        $stat.Gid | Should -Be 65534
        $after.Permissions | Should -BeExactly 'rw----r--'
        $after.OwnerId | Should -Be 65534
        $after.GroupId | Should -Be 65534
    }
}

Describe 'Remove-SharedMemory -Path' -Tag File {
    It 'deletes the file with <How>' -TestCases $RemoveConfirmations {
        param($Parameters)
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        Remove-SharedMemory -Path $path @Parameters
        Test-Path -LiteralPath $path | Should -BeFalse
    }

    It 'leaves the file, with ConfirmationRequired, where the session cannot ask (no -Force or -Confirm:$false)' {
        # build.ps1 runs Pester in pwsh -NonInteractive: deleting a file is High impact and cannot be confirmed there.
        if ([Environment]::GetCommandLineArgs() -notcontains '-NonInteractive') {
            Set-ItResult -Skipped -Because 'this session could prompt'
            return
        }
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        { Remove-SharedMemory -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfirmationRequired,ShmPS.Commands.RemoveSharedMemoryCommand'
        Test-Path -LiteralPath $path | Should -BeTrue
    }

    It 'leaves the file with -WhatIf' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 64
        Remove-SharedMemory -Path $path -WhatIf
        Test-Path -LiteralPath $path | Should -BeTrue
        (Get-FileStat $path).Size | Should -Be 64
    }
}

Describe 'Shared file mappings where the user may not write' -Tag File {
    BeforeAll {
        # uid 65534 cannot run this pwsh ($PSHOME is under /root, mode 0700), so the child pwsh runs as
        # root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: held to the file modes like any user,
        # it is "other" to a directory and a file owned by 65534.
        $Locked = New-TestDirectory
        $Existing = Join-Path $Locked 'existing.bin'
        $ExistingData = New-RandomBytes 64
        [IO.File]::WriteAllBytes($Existing, $ExistingData)
        chmod 644 $Existing
        chown -R 65534:65534 $Locked
        chmod 755 $Locked
        $NoDac = 'setpriv', '--bounding-set=-dac_override,-dac_read_search'
    }

    It 'refuses to create or remove a file in a directory without write permission, or to write a file without it (PermissionDenied)' {
        $probe = & $NoDac[0] $NoDac[1] sh -c "touch '$Locked/probe' 2>&1"
        $LASTEXITCODE | Should -Not -Be 0 -Because "the launcher really drops the capabilities ($probe)"
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Launcher $NoDac -Script @"
`$r = [ordered]@{}
try { `$null = New-SharedMemory -Path '$Locked/new.bin' -Size 64 -ErrorAction Stop; `$r.New = 'created' }
catch { `$r.New = `$_.FullyQualifiedErrorId; `$r.NewCategory = "`$(`$_.CategoryInfo.Category)" }
try { Remove-SharedMemory -Path '$Existing' -Force -ErrorAction Stop; `$r.Remove = 'removed' }
catch { `$r.Remove = `$_.FullyQualifiedErrorId }
try { Write-SharedMemory -Path '$Existing' -Value 1 -ErrorAction Stop; `$r.Write = 'written' }
catch { `$r.Write = `$_.FullyQualifiedErrorId }
`$r.Read = [Convert]::ToHexString((Read-SharedMemory -Path '$Existing')).ToLowerInvariant()
`$r | ConvertTo-Json -Compress
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $r = $child.Output | ConvertFrom-Json
        $r.New | Should -BeExactly 'PermissionDenied,ShmPS.Commands.NewSharedMemoryCommand'
        $r.NewCategory | Should -Be 'PermissionDenied'
        $r.Remove | Should -BeExactly 'PermissionDenied,ShmPS.Commands.RemoveSharedMemoryCommand'
        $r.Write | Should -BeExactly 'PermissionDenied,ShmPS.Commands.WriteSharedMemoryCommand'
        $r.Read | Should -Be (ConvertTo-Hex $ExistingData) -Because 'mode 0644 lets others read'
        Test-Path -LiteralPath (Join-Path $Locked 'new.bin') | Should -BeFalse
        ConvertTo-Hex ([IO.File]::ReadAllBytes($Existing)) | Should -Be (ConvertTo-Hex $ExistingData)
    }

    It 'refuses to create or write on a read-only file system (ReadOnlyFileSystem, category PermissionDenied)' {
        # A read-only bind mount in a new mount namespace (needs root): EROFS, whoever asks.
        unshare -m true 2>$null
        if ($LASTEXITCODE) {
            Set-ItResult -Skipped -Because 'a read-only bind mount needs a new mount namespace (unshare -m as root)'
            return
        }
        $dir = New-TestDirectory
        $file = Join-Path $dir 'existing.bin'
        $data = New-RandomBytes 64
        [IO.File]::WriteAllBytes($file, $data)
        $launcher = 'unshare', '-m', 'sh', '-c', "mount --bind -o ro '$dir' '$dir' && exec `"`$0`" `"`$@`""
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Launcher $launcher -Script @"
`$r = [ordered]@{}
try { `$null = New-SharedMemory -Path '$dir/new.bin' -Size 64 -ErrorAction Stop; `$r.New = 'created' }
catch { `$r.New = `$_.FullyQualifiedErrorId; `$r.NewCategory = "`$(`$_.CategoryInfo.Category)" }
try { Write-SharedMemory -Path '$file' -Value 1 -ErrorAction Stop; `$r.Write = 'written' }
catch { `$r.Write = `$_.FullyQualifiedErrorId }
`$r.Read = [Convert]::ToHexString((Read-SharedMemory -Path '$file')).ToLowerInvariant()
`$r | ConvertTo-Json -Compress
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $r = $child.Output | ConvertFrom-Json
        $r.New | Should -BeExactly 'ReadOnlyFileSystem,ShmPS.Commands.NewSharedMemoryCommand'
        $r.NewCategory | Should -Be 'PermissionDenied'
        $r.Write | Should -BeExactly 'ReadOnlyFileSystem,ShmPS.Commands.WriteSharedMemoryCommand'
        $r.Read | Should -Be (ConvertTo-Hex $data)
        Test-Path -LiteralPath (Join-Path $dir 'new.bin') | Should -BeFalse
    }
}

Describe 'Files piped from Get-ChildItem' -Tag File {
    BeforeAll {
        $script:Dir = Join-Path ([IO.Path]::GetTempPath()) "shmps-pipe-$PID"
        New-Item -ItemType Directory $Dir -Force | Out-Null
        New-SharedMemory -Path (Join-Path $Dir 'a.bin') -Size 100 | Out-Null
        New-SharedMemory -Path (Join-Path $Dir 'b.bin') -Size 200 | Out-Null
    }
    AfterAll { Remove-Item $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'are found as shared file mappings by their full path, not as POSIX names' {
        $found = Get-ChildItem (Join-Path $Dir '*.bin') | Get-SharedMemory
        $found.Kind | Should -Be @('File', 'File')
        $found.Name | Should -Be @((Join-Path $Dir 'a.bin'), (Join-Path $Dir 'b.bin'))
        $found.Size | Should -Be @(100, 200)
    }

    It 'drive Write-, Read- and Remove-SharedMemory' {
        Get-ChildItem (Join-Path $Dir '*.bin') | Write-SharedMemory -Value 42L
        Get-ChildItem (Join-Path $Dir '*.bin') | Read-SharedMemory -As Int64 -Count 1 | Should -Be @(42, 42)
        Get-ChildItem (Join-Path $Dir 'a.bin') | Remove-SharedMemory -Force
        Join-Path $Dir 'a.bin' | Should -Not -Exist
        Join-Path $Dir 'b.bin' | Should -Exist
    }
}
