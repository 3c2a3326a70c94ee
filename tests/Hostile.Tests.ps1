# Hostile and careless use: what a user can pass and what other processes and users can do must end in
# a result or an error record with a ShmPS id, never in a dead PowerShell, the wrong object touched, or
# memory and descriptors held behind the user's back. The dangerous cases run in a child pwsh (a crash
# cannot be caught, only seen in its exit code: 128+n is signal n), some in private namespaces.

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Posix = Get-NativeTool posix
    $script:Sysv = Get-NativeTool sysv
    $script:Watch = Get-NativeTool watch
    $script:IsRoot = (id -u) -eq '0'
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) "shmps-test-hostile-$env:SHMPS_TEST_RUN"
    New-Item -ItemType Directory $Root -Force | Out-Null
    chmod 755 $Root

    # Prepended to every child script: the ShmPS error id of whatever a block threw, 'ok' if nothing;
    # and the descriptors the child holds on what ShmPS could have opened: shared memory and the test
    # files (under the temporary directory's shmps-test-* roots). The runtime and pwsh open others of
    # their own (assemblies, the history and module cache under HOME, which may itself be under /tmp).
    $script:Prelude = @'
function Get-HeldDescriptor {
    $testFiles = Join-Path ([IO.Path]::GetTempPath()) 'shmps-test-*'
    @([IO.Directory]::GetFiles("/proc/$PID/fd") | ForEach-Object {
        try { [IO.File]::ResolveLinkTarget($_, $false).FullName } catch { }
    } | Where-Object { $_ -like '/dev/shm/*' -or $_ -like $testFiles -or $_ -like '*SYSV*' }).Count
}
function Get-Id([scriptblock] $Block) {
    try { $null = & $Block; 'ok' }
    catch {
        $e = $_.Exception
        while ($e -and -not $e.PSObject.Properties['ErrorId']) { $e = $e.InnerException }
        if ($e) { $e.ErrorId }
        elseif ($_.Exception.InnerException) { $_.Exception.InnerException.GetType().Name }
        else { ($_.FullyQualifiedErrorId -split ',')[0] }
    }
}
'@
    function script:Invoke-Child([string] $Script, [string[]] $Launcher = @(), [int] $TimeoutSeconds = 180) {
        $r = Invoke-ChildPwsh -Script ($Prelude + "`n" + $Script) -Launcher $Launcher -TimeoutSeconds $TimeoutSeconds
        $r.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($r.Error)`n$($r.Output)"
        $r.Output
    }
    # The runtime's W^X double mapping cannot start under a small RLIMIT_FSIZE, and pwsh writes a
    # ~100 KiB startup profile: both are the runtime's, not ShmPS's, so they are kept out of the way.
    $script:FileLimit = @('bash', '-c', 'ulimit -f 100; export DOTNET_EnableWriteXorExecute=0 XDG_CACHE_HOME=$(mktemp -d); mkdir -p $XDG_CACHE_HOME/powershell; ln -s /dev/null $XDG_CACHE_HOME/powershell/StartupProfileData-NonInteractive; exec "$0" "$@"')
}

AfterAll {
    Remove-TestSharedMemory
    Remove-Item $Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'RLIMIT_FSIZE (ulimit -f): FileSizeLimitExceeded, never SIGXFSZ, nothing half-written' -Tag Robustness {
    It 'refuses <Case> in a child under ulimit -f 100 (100 KiB)' -TestCases @(
        @{ Case = 'a cmdlet write past the limit in a 1 MiB file'; Block = 'Write-SharedMemory -LiteralPath $f -Offset 512KB -Value 1uy -ErrorAction Stop' }
        @{ Case = 'a method write past the limit'; Block = '$o.WriteInt64(600KB, 42)' }
        @{ Case = 'an -InputFile larger than the limit'; Block = 'Write-SharedMemory -LiteralPath $f -InputFile $big -ErrorAction Stop' }
        @{ Case = 'Resize-SharedMemory -Sparse past the limit'; Block = 'Resize-SharedMemory -LiteralPath $f -Size 4MB -Sparse -ErrorAction Stop' }
        @{ Case = 'Resize-SharedMemory past the limit'; Block = 'Resize-SharedMemory -LiteralPath $f -Size 4MB -ErrorAction Stop' }
        @{ Case = 'a new object larger than the limit'; Block = 'New-SharedMemory -Path "$f.new" -Size 1MB -ErrorAction Stop' }
        @{ Case = 'a POSIX object write past the limit'; Block = 'Write-SharedMemory -Name $n -Offset 200KB -Value 7uy -ErrorAction Stop' }
    ) {
        param($Case, $Block)
        $f = Join-Path $Root "limit-$(Get-Random).bin"
        $big = Join-Path $Root "big-$(Get-Random).bin"
        $n = New-TestName
        New-SharedMemory -Path $f -Size 1MB | Out-Null
        New-SharedMemory -Name $n -Size 1MB | Out-Null
        [IO.File]::WriteAllBytes($big, [byte[]]::new(300KB) + [byte[]](1..10))
        $before = [IO.File]::ReadAllBytes($f)
        $out = Invoke-Child -Launcher $FileLimit @"
`$f = '$f'; `$big = '$big'; `$n = '$n'
`$o = Get-SharedMemory -LiteralPath `$f
Get-Id { $Block }
"@
        ($out -split "`n")[0].Trim() | Should -Be 'FileSizeLimitExceeded'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($f)) | Should -Be (ConvertTo-Hex $before) -Because 'nothing is half-written'
        (Get-Item $f).Length | Should -Be 1MB
        Test-Path "$f.new" | Should -BeFalse
        Read-SharedMemory -Name $n -Offset 200KB -Count 1 | Should -Be 0
    }

    It 'keeps a write below the limit working in the same child' {
        $f = Join-Path $Root "limit-ok-$(Get-Random).bin"
        New-SharedMemory -Path $f -Size 1MB | Out-Null
        $out = Invoke-Child -Launcher $FileLimit "Write-SharedMemory -LiteralPath '$f' -Offset 1000 -Value 0x55uy; 'done'"
        $out.Trim() | Should -Be 'done'
        [IO.File]::ReadAllBytes($f)[1000] | Should -Be 0x55
    }
}

Describe 'A fault while copying through an attachment' -Tag SystemV, Robustness {
    It 'is MemoryFault for a huge-page segment made with SHM_NORESERVE when no huge page is free' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'SHM_HUGETLB needs CAP_IPC_LOCK'; return }
        $free = [long]((Get-Content /proc/meminfo | Select-String '^HugePages_Free:') -split '\s+')[1]
        $key = '0x{0:x8}' -f (Get-Random -Minimum 0x10000000 -Maximum 0x7fffffff)
        $id = & $Sysv hugetlb-noreserve $key 2097152
        if ($LASTEXITCODE) { Set-ItResult -Skipped -Because "the kernel has no huge-page System V segments: $id"; return }
        try {
            $out = Invoke-Child @"
`$o = Get-SharedMemory -Key $key
Get-Id { Read-SharedMemory -Key $key -Count 8 -ErrorAction Stop }
Get-Id { Write-SharedMemory -Key $key -Value 1L -ErrorAction Stop }
Get-Id { `$o.ReadInt64(0) }
`$o.Attach()
Get-Id { `$o.ReadInt64(4096) }
Get-Id { `$o.Write(0, [byte[]]::new(100000)) }
`$o.Close()
'alive'
"@
            $lines = ($out -split "`n" | ForEach-Object Trim | Where-Object { $_ })
            $lines[-1] | Should -Be 'alive'
            $expected = if ($free -eq 0) { 'MemoryFault' } else { 'ok' }
            $lines[0..4] | Should -Be (@($expected) * 5)
        }
        finally {
            ipcrm -m $id 2>$null
        }
    }
}

Describe 'Values a user can build' -Tag Robustness {
    It 'refuses <Case> with InvalidValue, without a stack overflow' -TestCases @(
        @{ Case = 'an ArrayList that contains itself'; Setup = '$v = [Collections.ArrayList]::new(); [void]$v.Add(1); [void]$v.Add($v)' }
        @{ Case = 'an array that contains itself'; Setup = '$v = [object[]]::new(2); $v[0] = 1; $v[1] = $v' }
        @{ Case = 'a list that contains itself two levels down'; Setup = '$a = [Collections.ArrayList]::new(); $b = [Collections.ArrayList]::new(); [void]$a.Add($b); [void]$b.Add($a); $v = $a' }
        @{ Case = 'nesting 10,000 deep'; Setup = '$v = 1; foreach ($i in 1..10000) { $v = [Collections.ArrayList]@(, $v) }' }
        @{ Case = 'a hashtable'; Setup = '$v = @{ a = 1 }' }
        @{ Case = 'a null inside an array'; Setup = '$v = @(1, $null)' }
    ) {
        param($Case, $Setup)
        $n = New-TestName
        New-SharedMemory -Name $n -Size 64 | Out-Null
        $out = Invoke-Child "$Setup`nGet-Id { Write-SharedMemory -Name '$n' -Value `$v -ErrorAction Stop }"
        $out.Trim() | Should -Be 'InvalidValue'
        ConvertTo-Hex (Read-SharedMemory -Name $n) | Should -Be ('00' * 64)
    }

    It 'writes the same list twice when it appears twice without a cycle' {
        $n = New-TestName
        New-SharedMemory -Name $n -Size 8 | Out-Null
        $inner = [byte[]](1, 2)
        Write-SharedMemory -Name $n -Value @($inner, $inner, @($inner))
        ConvertTo-Hex (Read-SharedMemory -Name $n -Count 6) | Should -Be '010201020102'
    }
}

Describe 'Descriptors, attachments and memory held behind the user''s back' -Tag Robustness {
    It 'pipes 600 objects through Write- and Read-SharedMemory under ulimit -n 256 without holding their descriptors' {
        $prefix = "/shmps-test-$env:SHMPS_TEST_RUN-fd$(Get-Random)-"
        $out = Invoke-Child -Launcher 'bash', '-c', 'ulimit -n 256; exec "$0" "$@"' @"
1..600 | ForEach-Object { New-SharedMemory -Name ('$prefix' + `$_) -Size 64 } | Out-Null
`$before = Get-HeldDescriptor
`$objects = @(Get-SharedMemory -Name '$prefix*')
`$objects | Write-SharedMemory -Value 7uy
`$sum = (`$objects | Read-SharedMemory -Count 1 | ForEach-Object { `$_[0] } | Measure-Object -Sum).Sum
`$objects | Write-SharedMemory -Value 8uy -PassThru | Out-Null
`$after = Get-HeldDescriptor
`$objects | Remove-SharedMemory
"`$(`$objects.Count) `$sum `$(`$after - `$before)"
"@
        $f = -split $out.Trim()
        $f[0] | Should -Be 600
        $f[1] | Should -Be (600 * 7)
        [int]$f[2] | Should -Be 0 -Because 'nothing that only went through cmdlets keeps a descriptor'
        @(Get-ChildItem /dev/shm -Filter ($prefix.TrimStart('/') + '*')).Count | Should -Be 0
    }

    It 'gives TooManyOpenFiles, not a crash, when every descriptor is in use' {
        $n = New-TestName
        New-SharedMemory -Name $n -Size 64 | Out-Null
        $out = Invoke-Child -Launcher 'bash', '-c', 'ulimit -n 256; exec "$0" "$@"' @"
# Every command runs once first, so that nothing it loads needs a descriptor later.
`$null = @({ Read-SharedMemory -Name '$n' -Count 4 -ErrorAction Stop }, { Write-SharedMemory -Name '$n' -Value 1uy -ErrorAction Stop }, { Get-SharedMemory -Kind SystemV -ErrorAction Stop }) | ForEach-Object { Get-Id `$_ }
`$hog = [Collections.Generic.List[object]]::new()
try { while (`$true) { `$hog.Add([IO.File]::OpenHandle('/dev/null')) } } catch { }
Get-Id { Read-SharedMemory -Name '$n' -Count 4 -ErrorAction Stop }
Get-Id { Write-SharedMemory -Name '$n' -Value 1uy -ErrorAction Stop }
Get-Id { Get-SharedMemory -Kind SystemV -ErrorAction Stop }
`$hog | ForEach-Object Dispose
Get-Id { Read-SharedMemory -Name '$n' -Count 4 -ErrorAction Stop }
"@
        $lines = ($out -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $lines[0..2] | Should -Be 'TooManyOpenFiles', 'TooManyOpenFiles', 'TooManyOpenFiles'
        $lines[3] | Should -Be 'ok'
    }

    It 'frees the memory of removed objects at once: 300 × 4 MiB through a 64 MiB /dev/shm' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'a private mount namespace needs root'; return }
        $out = Invoke-Child -Launcher 'unshare', '-m', '--propagation', 'private', 'bash', '-c', 'mount -t tmpfs -o size=64m shmps-test /dev/shm && exec "$0" "$@"' @'
$failed = 0
foreach ($i in 1..300) {
    try {
        New-SharedMemory -Name /big -Size 4MB | Out-Null
        Remove-SharedMemory -Name /big
        $s = New-SharedMemory -Name /big2 -Size 4MB
        $s | Write-SharedMemory -Value 1uy
        $s.ReadByte(0) | Out-Null      # a method keeps its descriptor until Close()
        $s.Close()
        $s | Remove-SharedMemory
    }
    catch { $failed++ }
}
"$failed $((Get-ChildItem /dev/shm).Count)"
'@
        $out.Trim() | Should -Be '0 0'
    }

    It 'leaves no descriptor on objects that pass through New-, Get-, Write-, Read- and Set-SharedMemoryPermission' {
        $path = Join-Path $Root "held-$(Get-Random).bin"
        $out = Invoke-Child @"
`$before = Get-HeldDescriptor
`$p = New-SharedMemory -Size 4KB
`$f = New-SharedMemory -Path '$path' -Size 4KB
`$p, `$f | Write-SharedMemory -Value 1uy -PassThru | Read-SharedMemory -Count 1 | Out-Null
`$p, `$f | Set-SharedMemoryPermission -Mode 0640
`$p, `$f | Resize-SharedMemory -Size 8KB
`$p, `$f | Lock-SharedMemory -ScriptBlock { `$null = `$_ }
`$after = Get-HeldDescriptor
`$p | Remove-SharedMemory
`$after - `$before
"@
        [int]$out.Trim() | Should -Be 0
    }
}

Describe 'NUL and other characters the system would cut at' -Tag Security {
    BeforeEach {
        $script:Victim = Join-Path $Root "victim-$(Get-Random)"
        [IO.File]::WriteAllBytes($Victim, [byte[]](1..64))
        chmod 644 $Victim
    }

    It '<Command> refuses a NUL in <Parameter> with <Id> and leaves the victim alone' -TestCases @(
        @{ Command = 'Remove-SharedMemory'; Parameter = '-LiteralPath'; Id = 'InvalidPath'; Call = { Remove-SharedMemory -LiteralPath "$Victim`0x" -Force -ErrorAction Stop } }
        @{ Command = 'Remove-SharedMemory'; Parameter = '-Path'; Id = 'InvalidPath'; Call = { Remove-SharedMemory -Path "$Victim`0x" -Force -ErrorAction Stop } }
        @{ Command = 'Set-SharedMemoryPermission'; Parameter = '-LiteralPath'; Id = 'InvalidPath'; Call = { Set-SharedMemoryPermission -LiteralPath "$Victim`0x" -Mode 0600 -ErrorAction Stop } }
        @{ Command = 'Write-SharedMemory'; Parameter = '-LiteralPath'; Id = 'InvalidPath'; Call = { Write-SharedMemory -LiteralPath "$Victim`0x" -Value 9uy -ErrorAction Stop } }
        @{ Command = 'Write-SharedMemory'; Parameter = '-InputFile'; Id = 'InvalidPath'; Call = { Write-SharedMemory -LiteralPath $Victim -InputFile "$Victim`0x" -ErrorAction Stop } }
        @{ Command = 'Resize-SharedMemory'; Parameter = '-LiteralPath'; Id = 'InvalidPath'; Call = { Resize-SharedMemory -LiteralPath "$Victim`0x" -Size 1 -Force -ErrorAction Stop } }
        @{ Command = 'Read-SharedMemory'; Parameter = '-OutFile'; Id = 'InvalidPath'; Call = { Read-SharedMemory -LiteralPath $Victim -OutFile "$Victim`0x" -ErrorAction Stop } }
        @{ Command = 'New-SharedMemory'; Parameter = '-Path'; Id = 'InvalidPath'; Call = { New-SharedMemory -Path "$Victim`0x" -Size 10 -Force -ErrorAction Stop } }
        @{ Command = 'New-SharedMemory'; Parameter = '-KeyPath'; Id = 'InvalidPath'; Call = { New-SharedMemory -KeyPath "$Victim`0z" -Size 10 -ErrorAction Stop } }
        @{ Command = 'Get-SharedMemory'; Parameter = '-LiteralPath'; Id = 'InvalidPath'; Call = { Get-SharedMemory -LiteralPath "$Victim`0x" -ErrorAction Stop } }
        @{ Command = 'Lock-SharedMemory'; Parameter = '-LiteralPath'; Id = 'InvalidPath'; Call = { Lock-SharedMemory -LiteralPath "$Victim`0x" -ErrorAction Stop } }
    ) {
        param($Command, $Parameter, $Id, $Call)
        $Call | Should -Throw -ErrorId "$Id,*"
        ConvertTo-Hex ([IO.File]::ReadAllBytes($Victim)) | Should -Be (ConvertTo-Hex ([byte[]](1..64)))
        stat -c '%a' $Victim | Should -Be '644'
        @(Get-ChildItem $Root -Filter "$(Split-Path $Victim -Leaf)*").Count | Should -Be 1
    }

    It 'refuses a NUL in a POSIX name with InvalidSharedMemoryName, for -Name and -LiteralName' {
        $n = New-TestName
        New-SharedMemory -Name $n -Size 8 | Out-Null
        { Remove-SharedMemory -Name "$n`0x" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
        { Remove-SharedMemory -LiteralName "$n`0x" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
        { New-SharedMemory -Name "$n`0x" -Size 8 -Force -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
        Test-Path "/dev/shm$n" | Should -BeTrue
    }

    It 'refuses a path component longer than 255 bytes with InvalidPath' {
        $long = Join-Path $Root ('a' * 300)
        { Get-SharedMemory -LiteralPath $long -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPath,*'
        { New-SharedMemory -Path $long -Size 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPath,*'
    }
}

Describe 'The object that was described, and no other' -Tag Security {
    It 'refuses a System V object whose id another segment reuses (<Case>), in a private IPC namespace' -TestCases @(
        @{ Case = 'made by ipcmk'; Make = 'ipcmk -M 4096 | Out-Null' }
        @{ Case = 'made by this session with another key'; Make = 'New-SharedMemory -Key 0x0bad0002 -Size 4096 | Out-Null' }
    ) {
        param($Case, $Make)
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'a private IPC namespace and shm_next_id need root'; return }
        $out = Invoke-Child -Launcher 'unshare', '-i' @"
`$old = New-SharedMemory -Key 0x0bad0001 -Size 4096
`$old.WriteInt64(0, 1)
`$old.Detach()   # methods keep the segment attached; attached, it would only be marked, and keep its id
ipcrm -m `$old.Id
bash -c "echo `$(`$old.Id) > /proc/sys/kernel/shm_next_id"
$Make
`$new = Get-SharedMemory -Id `$old.Id
`$new.WriteInt64(8, 77)
Get-Id { `$old.WriteInt64(0, 42) }
Get-Id { `$old.ReadInt64(0) }
Get-Id { `$old.Refresh() }
Get-Id { Remove-SharedMemory -InputObject `$old -ErrorAction Stop }
Get-Id { Set-SharedMemoryPermission -InputObject `$old -Mode 0666 -ErrorAction Stop }
Get-Id { Write-SharedMemory -InputObject `$old -Value 1uy -ErrorAction Stop }
`$new.Refresh()
"`$(`$new.ReadInt64(0)) `$(`$new.ReadInt64(8)) `$(`$new.Permissions)"
"@
        $lines = ($out -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $lines[0..5] | Should -Be (@('SharedMemoryNotFound') * 6)
        $lines[6] | Should -Match '^0 77 rw-'
        $lines[6] | Should -Not -Match 'rw-rw-rw-'
    }

    It 'refuses to write or remove through a parent directory that another user swapped for a link' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root and another user'; return }
        $base = Join-Path $Root "swap-$(Get-Random)"
        $user = Join-Path $base 'user'          # the other user's directory
        $secret = Join-Path $base 'rootonly'    # root's, with a file of the same name
        New-Item -ItemType Directory (Join-Path $user 'nb'), $secret -Force | Out-Null
        chmod 755 $base; chmod 700 $secret
        [IO.File]::WriteAllBytes((Join-Path $secret 'data.bin'), [byte[]](1..32))
        New-SharedMemory -Path (Join-Path $user 'nb/data.bin') -Size 32 | Out-Null
        chown -R 65534:65534 $user
        $o = Get-SharedMemory -LiteralPath (Join-Path $user 'nb/data.bin')
        $swap = Invoke-AsNobody bash -c "mv '$user/nb' '$user/nb.old' && ln -s '$secret' '$user/nb'"
        $swap.ExitCode | Should -Be 0 -Because $swap.Output
        try { $o.WriteString(0, 'X'); $wrote = 'ok' } catch { $wrote = $_.Exception.InnerException.ErrorId }
        $wrote | Should -Be 'SharedMemoryNotFound'
        { Write-SharedMemory -InputObject $o -Value 9uy -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        { Set-SharedMemoryPermission -InputObject $o -Mode 0666 -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        { Remove-SharedMemory -InputObject $o -Force -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        $file = Join-Path $secret 'data.bin'
        ConvertTo-Hex ([IO.File]::ReadAllBytes($file)) | Should -Be (ConvertTo-Hex ([byte[]](1..32)))
        stat -c '%a' $file | Should -Be '644'
    }

    It 'refuses a POSIX object removed and created again by another program' {
        $n = New-TestName
        $o = New-SharedMemory -Name $n -Size 64
        Remove-SharedMemory -Name $n
        & $Posix create $n 64 600 | Out-Null
        { Write-SharedMemory -InputObject $o -Value 1uy -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        { Remove-SharedMemory -InputObject $o -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        Test-Path "/dev/shm$n" | Should -BeTrue
        { $o | Get-SharedMemory -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*' -Because 'the object piped is gone; the name holds another'
        { $o.Refresh() } | Should -Throw -ErrorId SharedMemoryNotFound -ExceptionType ([ShmPS.SharedMemoryException])
        Test-Path "/dev/shm$n" | Should -BeTrue
        Get-SharedMemory -Name $n | Remove-SharedMemory # asked for by name: the object that has it now
        Test-Path "/dev/shm$n" | Should -BeFalse
    }
}

Describe 'Failures that are error records with ShmPS ids' -Tag Robustness {
    It 'reports <Case> as <Id>, non-terminating' -TestCases @(
        @{ Case = 'a path the caller may not look into'; Id = 'PermissionDenied'; Nobody = $true; Call = "Get-SharedMemory -LiteralPath '__PRIVATE__/y'" }
        @{ Case = 'a path through a symbolic link loop'; Id = 'SymbolicLinkRefused'; Nobody = $false; Call = "Get-SharedMemory -LiteralPath '__LOOP__/x'" }
        @{ Case = '-OutFile /dev/full (a device, not a regular file)'; Id = 'NotARegularFile'; Nobody = $false; Call = "Read-SharedMemory -Name '__NAME__' -OutFile /dev/full" }
        @{ Case = 'a wildcard pattern that does not parse'; Id = 'InvalidSharedMemoryName'; Nobody = $false; Call = "Get-SharedMemory -Name '/x['" }
        @{ Case = 'an unknown drive'; Id = 'InvalidPath'; Nobody = $false; Call = "Get-SharedMemory -LiteralPath 'nosuchdrive:/x'" }
    ) {
        param($Case, $Id, $Nobody, $Call)
        $n = New-TestName
        New-SharedMemory -Name $n -Size 4KB | Out-Null
        $loop = Join-Path $Root "loop-$(Get-Random)"
        ln -s $loop $loop
        $private = Join-Path $Root "private-$(Get-Random)"
        New-Item -ItemType Directory $private | Out-Null
        chmod 700 $private
        chown 65534:65534 $private
        $script = "`$ErrorActionPreference = 'Continue'; $($Call -replace '__LOOP__', $loop -replace '__NAME__', $n -replace '__PRIVATE__', $private) -ErrorAction SilentlyContinue -ErrorVariable e; 'continued'; (`$e[0].FullyQualifiedErrorId -split ',')[0]"
        if ($Nobody) {
            if (-not $IsRoot) { Set-ItResult -Skipped -Because 'needs root to become another user'; return }
            # Root without the capabilities that bypass permissions: another user's 0700 directory is closed to it.
            $r = Invoke-ChildPwsh -Script $script -Launcher 'setpriv', '--bounding-set=-dac_override,-dac_read_search'
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $out = $r.Output
        }
        else {
            $out = Invoke-Child $script
        }
        $lines = ($out -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $lines | Should -Be 'continued', $Id
    }

    It 'refuses -OutFile that is the object''s own file (<Case>) with <Id>, leaving it intact' -TestCases @(
        @{ Case = 'the same path'; Id = 'OutFileIsSource' }, @{ Case = 'a POSIX object''s /dev/shm file'; Id = 'OutFileIsSource' }
        @{ Case = 'a link to it'; Id = 'SymbolicLinkRefused' }
    ) {
        param($Case, $Id)
        $data = New-RandomBytes 100
        if ($Case -like 'a POSIX*') {
            $n = New-TestName
            New-SharedMemory -Name $n -Size 100 | Write-SharedMemory -Value $data
            { Read-SharedMemory -Name $n -OutFile "/dev/shm$n" -ErrorAction Stop } | Should -Throw -ErrorId 'OutFileIsSource,*'
            ConvertTo-Hex (Read-SharedMemory -Name $n) | Should -Be (ConvertTo-Hex $data)
            return
        }
        $f = Join-Path $Root "src-$(Get-Random).bin"
        [IO.File]::WriteAllBytes($f, $data)
        $out = if ($Case -eq 'a link to it') { $l = "$f.lnk"; ln -s $f $l; $l } else { $f }
        { Read-SharedMemory -LiteralPath $f -OutFile $out -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*"
        ConvertTo-Hex ([IO.File]::ReadAllBytes($f)) | Should -Be (ConvertTo-Hex $data)
    }

    It 'refuses a negative -Count (<Count>) with OffsetOutOfRange' -TestCases @(
        @{ Count = -1; As = $null }, @{ Count = [long]::MinValue; As = 'Int64' }, @{ Count = -5; As = 'Byte' }
    ) {
        param($Count, $As)
        $n = New-TestName
        New-SharedMemory -Name $n -Size 64 | Out-Null
        $extra = if ($As) { @{ As = $As } } else { @{} }
        { Read-SharedMemory -Name $n -Count $Count @extra -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange,*'
    }
}

Describe 'Write-SharedMemory -InputFile reads any input to its end, bounded and stoppable' -Tag Robustness {
    It 'stops promptly, writing nothing, while waiting for a FIFO''s writer' {
        $fifo = Join-Path $Root "fifo-$(Get-Random)"
        mkfifo $fifo
        $n = New-TestName
        New-SharedMemory -Name $n -Size 64 | Out-Null
        $out = Invoke-Child @"
`$ps = [powershell]::Create().AddScript("Import-Module '$ModulePath'; Write-SharedMemory -Name '$n' -InputFile '$fifo'")
`$async = `$ps.BeginInvoke()
Start-Sleep -Milliseconds 700
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$ps.Stop()
"`$(`$watch.ElapsedMilliseconds -lt 3000) `$(`$async.IsCompleted)"
"@
        $out.Trim() | Should -Be 'True True'
        ConvertTo-Hex (Read-SharedMemory -Name $n) | Should -Be ('00' * 64)
    }

    It 'writes what a FIFO''s writer sends, to the end' {
        $fifo = Join-Path $Root "fifo-$(Get-Random)"
        mkfifo $fifo
        $n = New-TestName
        New-SharedMemory -Name $n -Size 64 | Out-Null
        $writer = Start-TestProcess bash '-c', "sleep 0.5; printf 'through a fifo' > '$fifo'"
        Write-SharedMemory -Name $n -InputFile $fifo
        $writer.WaitForExit()
        Read-SharedMemory -Name $n -Encoding ascii | Should -Be 'through a fifo'
    }

    It 'writes a /proc file, whose size says 0, in full' {
        $n = New-TestName
        New-SharedMemory -Name $n -Size 64KB | Out-Null
        Write-SharedMemory -Name $n -InputFile /proc/self/mounts
        $text = Read-SharedMemory -Name $n -Encoding utf8
        $text.Length | Should -BeGreaterThan 20
        $text | Should -Match ' /proc proc '
    }

    It 'fills the object from an endless input and warns that the rest did not fit' {
        $n = New-TestName
        New-SharedMemory -Name $n -Size 4KB | Write-SharedMemory -Value ([byte[]]@(0xff) * 4KB)
        Write-SharedMemory -Name $n -Offset 1000 -InputFile /dev/zero -WarningVariable w 3>$null
        $w | Should -HaveCount 1
        "$w" | Should -Match 'only the 3096 bytes'
        $bytes = Read-SharedMemory -Name $n
        ConvertTo-Hex $bytes[0..999] | Should -Be ('ff' * 1000)
        ConvertTo-Hex $bytes[1000..4095] | Should -Be ('00' * 3096)
    }
}

Describe 'Names and modes' -Tag Security {
    It 'refuses to create a POSIX object named <Case> with InvalidSharedMemoryName' -TestCases @(
        @{ Case = 'with a control character'; Suffix = "a`tb" }
        @{ Case = 'with a newline'; Suffix = "a`nb" }
        @{ Case = 'with *'; Suffix = 'a*' }
        @{ Case = 'with ?'; Suffix = 'a?' }
        @{ Case = 'with ['; Suffix = 'x[12]' }
        @{ Case = 'with a lone surrogate'; Suffix = "a$([char]0xd800)b" }
        @{ Case = 'with a trailing space'; Suffix = 'ab ' }
        @{ Case = 'sem. (a POSIX semaphore)'; Suffix = $null }
    ) {
        param($Case, $Suffix)
        $name = if ($null -eq $Suffix) { "/sem.shmps-test-$env:SHMPS_TEST_RUN" } else { (New-TestName) + $Suffix }
        { New-SharedMemory -Name $name -Size 8 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
        Test-Path -LiteralPath "/dev/shm$name" | Should -BeFalse
    }

    It 'reaches an object another program named <Name> with -LiteralName' -TestCases @(
        @{ Name = '*' }, @{ Name = 'x[12]' }, @{ Name = 'sem.x' }, @{ Name = 'a?b' }
    ) {
        param($Name)
        $full = "/shmps-test-$env:SHMPS_TEST_RUN-lit-$Name"
        & $Posix create $full 16 600 | Out-Null
        $LASTEXITCODE | Should -Be 0
        try {
            (Get-SharedMemory -LiteralName $full).Name | Should -BeExactly $full
            Write-SharedMemory -LiteralName $full -Value 'hi'
            Read-SharedMemory -LiteralName $full -Count 2 -Encoding ascii | Should -Be 'hi'
            Remove-SharedMemory -LiteralName $full
            Test-Path -LiteralPath "/dev/shm$full" | Should -BeFalse
        }
        finally {
            Remove-Item -LiteralPath "/dev/shm$full" -ErrorAction SilentlyContinue
        }
    }

    It 'refuses -Mode <Mode> for <Kind> with InvalidMode and creates nothing' -TestCases @(
        @{ Kind = 'Posix'; Mode = '4777' }, @{ Kind = 'File'; Mode = '4755' }, @{ Kind = 'SystemV'; Mode = '2770' }, @{ Kind = 'Posix'; Mode = '1777' }
    ) {
        param($Kind, $Mode)
        $n = New-TestName
        $path = Join-Path $Root "mode-$(Get-Random).bin"
        $identity = switch ($Kind) { 'Posix' { @{ Name = $n } } 'File' { @{ Path = $path } } 'SystemV' { @{ Key = 0x0bad0003 } } }
        { New-SharedMemory @identity -Size 64 -Mode $Mode -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidMode,*'
        Test-Path "/dev/shm$n" | Should -BeFalse
        Test-Path $path | Should -BeFalse
        Get-SharedMemory -Key 0x0bad0003 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'New objects appear complete' -Tag Robustness {
    It 'never shows a <Kind> object before it has its size and mode, to a watcher that stats it in a tight loop' -TestCases @(
        @{ Kind = 'Posix' }, @{ Kind = 'File' }
    ) {
        param($Kind)
        foreach ($i in 1..15) {
            $n = New-TestName
            $path = if ($Kind -eq 'Posix') { "/dev/shm$n" } else { Join-Path $Root "new-$(Get-Random).bin" }
            $watcher = Start-TestProcess $Watch $path -Ready
            try {
                if ($Kind -eq 'Posix') { New-SharedMemory -Name $n -Size 3MB -Mode 0640 | Out-Null }
                else { New-SharedMemory -Path $path -Size 3MB -Mode 0640 | Out-Null }
                Read-ProcessLine $watcher | Should -Be "$(3MB) 640"
            }
            finally { Stop-TestProcess $watcher }
        }
    }
}

Describe 'Methods used from several threads, and after Close()' -Tag Robustness {
    It 'is safe for <Kind> when Close() or Detach() race reads and writes' -TestCases @(
        @{ Kind = 'Posix' }, @{ Kind = 'File' }, @{ Kind = 'SystemV' }
    ) {
        param($Kind)
        $path = Join-Path $Root "par-$(Get-Random).bin"
        $make = switch ($Kind) { 'Posix' { "New-SharedMemory -Name ('$(New-TestName)' + `$round) -Size 64KB" } 'File' { "New-SharedMemory -Path '$path' -Size 64KB" } 'SystemV' { "New-SharedMemory -Kind SystemV -Size 64KB" } }
        $out = Invoke-Child @"
`$ids = [Collections.Concurrent.ConcurrentDictionary[string,int]]::new()
foreach (`$round in 1..8) {
    `$o = $make
    if (`$o.Kind -eq 'SystemV') { `$o.Attach() }
    1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
        `$o = `$using:o; `$ids = `$using:ids
        foreach (`$i in 1..200) {
            try {
                if (`$_ -eq 4 -and `$i -eq 100) { `$o.Close() }
                elseif (`$_ -eq 3 -and `$i % 50 -eq 0 -and `$o.Kind -eq 'SystemV') { `$o.Detach() }
                elseif (`$i % 2) { `$o.WriteInt64((`$i % 100) * 8, `$i) } else { `$null = `$o.Read(0, 4096) }
                `$null = `$ids.AddOrUpdate('ok', 1, { param(`$k, `$v) `$v + 1 })
            }
            catch {
                `$e = `$_.Exception.InnerException
                `$id = if (`$e.PSObject.Properties['ErrorId']) { `$e.ErrorId } else { `$e.GetType().Name }
                `$null = `$ids.AddOrUpdate(`$id, 1, { param(`$k, `$v) `$v + 1 })
            }
        }
    }
    `$o | Remove-SharedMemory -Force
}
(`$ids.Keys | Sort-Object) -join ','
"@ -TimeoutSeconds 300
        $out.Trim() | Should -Be 'ok,SharedMemoryClosed'
    }

    It 'says SharedMemoryClosed for a method after Close(), while cmdlets still take the object' {
        $o = New-SharedMemory -Size 64
        $o.Close()
        try { $o.ReadInt64(0); $id = 'ok' } catch { $id = $_.Exception.InnerException.ErrorId }
        $id | Should -Be 'SharedMemoryClosed'
        $o | Write-SharedMemory -Value 5uy
        $o | Read-SharedMemory -Count 1 | Should -Be 5
        $o | Remove-SharedMemory
    }

    It 'refuses null arguments of <Call> as argument errors' -TestCases @(
        @{ Call = 'Write(0, $null)'; Block = { $o.Write(0, $null) } }
        @{ Call = 'ReadString(0, 4, $null)'; Block = { $o.ReadString(0, 4, $null) } }
        @{ Call = 'WriteString(0, ''x'', $null)'; Block = { $o.WriteString(0, 'x', $null) } }
        @{ Call = 'Read(0, $null, 0, 4)'; Block = { $o.Read(0, $null, 0, 4) } }
    ) {
        param($Call, $Block)
        $o = New-SharedMemory -Size 64
        try {
            try { & $Block; $type = 'no error' } catch { $type = $_.Exception.InnerException.GetType().Name }
            $type | Should -BeIn 'ArgumentNullException', 'ArgumentException'
        }
        finally { $o | Remove-SharedMemory }
    }
}

# A SIGBUS or SIGSEGV kills pwsh and cannot be caught, so the risky work runs in a child pwsh and the test
# checks how it ended: an exit code of 128+n means it died of signal n (135 SIGBUS, 139 SIGSEGV).
Describe 'Objects that another process shrinks, truncates or unlinks, and a full /dev/shm' -Tag Posix, File, Robustness {
    BeforeAll {
        $posix = Get-NativeTool posix
        $isRoot = (id -u) -eq '0'
        $Filemap = Get-NativeTool filemap
    }

    It 'never crashes while another process shrinks the object to 0 and grows it back, over and over' {
        $name = New-TestName
        New-SharedMemory -Name $name -Size 64KB | Out-Null
        # ITERATIONS 0: the C program loops until this test kills it, so it runs during the whole child.
        $shrinker = Start-TestProcess $posix 'shrink-loop', $name, 0, 65536
        try {
            $result = Invoke-ChildPwsh -TimeoutSeconds 180 @"
`$name = '$name'
`$shm = Get-SharedMemory -Name `$name
`$operations = @(
    { Read-SharedMemory -Name `$name -Offset 4096 -Count 4096 }
    { Read-SharedMemory -InputObject `$shm }
    { Read-SharedMemory -InputObject `$shm -As Int64 -Offset 65000 }
    { Read-SharedMemory -Name `$name -Encoding utf8 }
    { Write-SharedMemory -Name `$name -Offset 60000 -Value 12345L }
    { Write-SharedMemory -InputObject `$shm -Offset 1000 -Value ([byte[]]::new(3000)) }
    { `$shm.Read(100, 1000) }
    { `$shm.Write(65000, [byte[]](1..100)) }
    { `$shm.ReadInt64(65528) }
    { `$shm.WriteInt64(8, 42) }
    { `$shm.ReadString(0, 64) }
)
`$ok = 0
`$errors = @{}
for (`$i = 0; `$i -lt 80; `$i++) {
    foreach (`$operation in `$operations) {
        try {
            `$null = & `$operation
            `$ok++
        }
        catch {
            # The ShmPS error id, whether the failure came from a cmdlet or from a method.
            `$e = `$_.Exception
            while (`$e.InnerException -and -not `$e.PSObject.Properties['ErrorId']) { `$e = `$e.InnerException }
            `$id = if (`$e.PSObject.Properties['ErrorId']) { `$e.ErrorId } else { `$_.Exception.GetType().FullName + ': ' + `$_ }
            `$errors[`$id] = 1 + [int]`$errors[`$id]
        }
    }
}
[pscustomobject]@{ Succeeded = `$ok; Errors = `$errors } | ConvertTo-Json -Compress
"@
        }
        finally {
            $stillRunning = -not $shrinker.HasExited
            Stop-TestProcess $shrinker
        }
        $stillRunning | Should -BeTrue -Because "the C program failed (exit code $($shrinker.ExitCode))"
        $result.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($result.Error)"
        $summary = ($result.Output -split '\r?\n' | Where-Object { $_ } | Select-Object -Last 1) | ConvertFrom-Json -AsHashtable
        $summary.Succeeded + ($summary.Errors.Values | Measure-Object -Sum).Sum | Should -Be (80 * 11)
        @($summary.Errors.Keys | Where-Object { $_ -ne 'OffsetOutOfRange' }) | Should -BeNullOrEmpty -Because "a short object is an OffsetOutOfRange error, nothing else: $($result.Output)"
    }

    It 'gives errors, not a signal, while another process truncates the file again and again' {
        $path = New-TestPath
        $null = New-SharedMemory -Path $path -Size 65536
        $churn = Start-TestProcess $Filemap 'churn', $path, 65536 -Ready
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
        Stop-TestProcess $churn
        $churn.ExitCode | Should -Be 137 -Because 'the truncating process ran until it was killed (SIGKILL), not failing'
        $child.ExitCode | Should -Be 0 -Because "the child must not die of SIGBUS (exit code 135): $($child.Error)"
        $r = $child.Output | ConvertFrom-Json
        $r.Ops | Should -BeGreaterThan 0
        $r.Errors | Should -BeGreaterThan 0 -Because 'some operations meet a file shorter than they need'
        $r.Ids | Should -Be @('OffsetOutOfRange')
    }

    It 'keeps working through an open object after another process removes the name' {
        $name = New-TestName
        $shm = New-SharedMemory -Name $name -Size 100
        $shm.WriteInt64(0, 7)
        Remove-Item "/dev/shm$name"
        $shm.ReadInt64(0) | Should -Be 7
        { $shm.Refresh() } | Should -Throw
        { Read-SharedMemory -Name $name } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
    }

    Context 'a full /dev/shm (a 64 KiB tmpfs in a private mount namespace)' {
        BeforeAll {
            function Invoke-WithSmallDevShm {
                <# Runs a script in a child pwsh that sees a 64 KiB tmpfs on /dev/shm; returns its exit code and output. #>
                param([string] $Script)
                Invoke-ChildPwsh -Launcher 'unshare', '-m', 'sh', '-c', "mount -t tmpfs -o size=64k tmpfs /dev/shm && exec `"`$0`" `"`$@`"" -Script $Script
            }
        }

        It 'refuses -Size 1MB with InsufficientSpace and leaves nothing behind; sparse writes past 64 KiB fail without a crash' {
            if (-not $isRoot) {
                Set-ItResult -Skipped -Because 'mounting a small tmpfs on /dev/shm in a private mount namespace needs root'
                return
            }
            $result = Invoke-WithSmallDevShm @'
function Get-ErrorId($record) {
    $e = $record.Exception
    while ($e.InnerException -and -not $e.PSObject.Properties['ErrorId']) { $e = $e.InnerException }
    if ($e.PSObject.Properties['ErrorId']) { $e.ErrorId } else { $record.Exception.GetType().Name + ': ' + $record }
}
$r = [ordered]@{ Free = (df --output=avail -B1 /dev/shm | Select-Object -Last 1).Trim() }
try { New-SharedMemory -Name /shmps-test-big -Size 1MB | Out-Null; $r.New = 'created' } catch { $r.New = Get-ErrorId $_ }
$r.Left = @(Get-ChildItem /dev/shm -Name)
$shm = New-SharedMemory -Name /shmps-test-sparse -Size 1MB -Sparse
$r.SparseSize = $shm.Size
Write-SharedMemory -InputObject $shm -Offset 0 -Value 'within the space'
$r.Start = Read-SharedMemory -InputObject $shm -Encoding utf8
try { Write-SharedMemory -InputObject $shm -Offset 512KB -Value ([byte[]]::new(100KB)); $r.Past = 'written' } catch { $r.Past = Get-ErrorId $_ }
try { Write-SharedMemory -InputObject $shm -Offset 0 -Value ([byte[]]::new(200KB)); $r.Fill = 'written' } catch { $r.Fill = Get-ErrorId $_ }
try { $shm.Write(900KB, [byte[]]::new(100KB)); $r.Method = 'written' } catch { $r.Method = Get-ErrorId $_ }
try { $shm.WriteInt64(1MB - 8, 1); $r.MethodInt64 = 'written'; $r.ReadBack = [BitConverter]::ToInt64([IO.File]::ReadAllBytes('/dev/shm/shmps-test-sparse'), 1MB - 8) } catch { $r.MethodInt64 = Get-ErrorId $_ }
try { Resize-SharedMemory -InputObject $shm -Size 2MB; $r.Grow = 'resized' } catch { $r.Grow = Get-ErrorId $_ }
$r.Size = (Get-SharedMemory -Name /shmps-test-sparse).Size
$r.Tail = (Read-SharedMemory -InputObject $shm -Offset (1MB - 16)).Length
$r | ConvertTo-Json -Compress
'@
            $result.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($result.Error)"
            $r = ($result.Output -split '\r?\n' | Where-Object { $_ } | Select-Object -Last 1) | ConvertFrom-Json
            $r.Free | Should -Be '65536' -Because 'the child sees the small tmpfs'
            $r.New | Should -Be 'InsufficientSpace'
            $r.Left | Should -BeNullOrEmpty -Because 'a refused create leaves nothing behind'
            $r.SparseSize | Should -Be 1MB
            $r.Start | Should -BeExactly 'within the space'
            $r.Past | Should -Be 'InsufficientSpace'
            $r.Fill | Should -Be 'InsufficientSpace'
            $r.Method | Should -Be 'InsufficientSpace' -Because 'methods report kernel errors as cmdlets do'
            # Through a mapping, the kernel may find this one page after the failures above (tmpfs returns
            # pages that a failed write allocated); then the value must really be there.
            $r.MethodInt64 | Should -BeIn 'InsufficientSpace', 'written'
            if ($r.MethodInt64 -eq 'written') { $r.ReadBack | Should -Be 1 }
            $r.Grow | Should -Be 'InsufficientSpace'
            $r.Size | Should -Be 1MB -Because 'a refused grow keeps the size'
            $r.Tail | Should -Be 16
        }
    }
}
