# Security: exact modes whatever the umask, permissions enforced for another user (POSIX objects and
# System V segments), symbolic links and other files planted where an object is expected (POSIX names and
# file paths), and files where the user may not write.

BeforeDiscovery {
    $isRoot = (id -u) -eq '0'
    # Symbolic links are never followed and have their own ErrorId; other non-regular files are NotARegularFile.
    $refusal = @{
        'directory' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'FIFO' = @{ ErrorId = 'NotARegularFile'; Category = 'InvalidType' }
        'symbolic link to a regular file' = @{ ErrorId = 'SymbolicLinkRefused'; Category = 'SecurityError' }
    }
    $script:RefusedLookups = foreach ($type in 'directory', 'FIFO', 'symbolic link to a regular file') {
        foreach ($command in 'Get-SharedMemory', 'Read-SharedMemory', 'Write-SharedMemory', 'Resize-SharedMemory',
            'Set-SharedMemoryPermission', 'Remove-SharedMemory') { @{ Type = $type; Command = $command } + $refusal[$type] }
    }
    $script:DataCommands = 'Read-SharedMemory', 'Write-SharedMemory' | ForEach-Object { @{ Command = $_ } }
    # What uid 65534 (neither owner nor in the group) may do with a System V segment under each mode; a
    # read-write attachment needs both read and write permission.
    $script:OtherAccess = @(
        @{ Mode = '0600'; CanRead = $false; CanWrite = $false }
        @{ Mode = '0660'; CanRead = $false; CanWrite = $false }
        @{ Mode = '0644'; CanRead = $true; CanWrite = $false }
        @{ Mode = '0604'; CanRead = $true; CanWrite = $false }
        @{ Mode = '0666'; CanRead = $true; CanWrite = $true }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $Sysv = Get-NativeTool sysv
}

AfterAll { Remove-TestSharedMemory }

Describe 'Security of POSIX objects' -Tag Posix, Security {
    BeforeAll {
        $posix = Get-NativeTool posix
        $EACCES = 13

        function Invoke-PwshWithUmask {
            <# Runs a script in a child pwsh whose umask is set by the shell that starts it. #>
            param([string] $Umask, [string] $Script)
            Invoke-ChildPwsh -Launcher 'sh', '-c', "umask $Umask; exec `"`$0`" `"`$@`"" -Script $Script
        }
    }
    AfterAll { Remove-TestSharedMemory }

    Context 'modes are exact whatever the umask' {
        It 'creates exactly the mode asked for, and 0600 by default, under umask <Umask>' -TestCases @(
            @{ Umask = '077' }, @{ Umask = '000' }
        ) {
            $default = New-TestName; $open = New-TestName; $shared = New-TestName; $changed = New-TestName
            New-SharedMemory -Name $changed -Size 10 | Out-Null
            $result = Invoke-PwshWithUmask $Umask @"
sh -c umask
New-SharedMemory -Name '$default' -Size 10 | Out-Null
New-SharedMemory -Name '$open' -Size 10 -Mode 0666 -WarningAction SilentlyContinue | Out-Null
New-SharedMemory -Name '$shared' -Size 10 -Mode 'rw-r-----' | Out-Null
Set-SharedMemoryPermission -Name '$changed' -Mode 0664
"@
            $result.ExitCode | Should -Be 0 -Because $result.Error
            $result.Output | Should -BeLike "0$Umask*" -Because 'the child runs under that umask'
            stat -c '%a' "/dev/shm$default" "/dev/shm$open" "/dev/shm$shared" "/dev/shm$changed" | Should -Be '600', '666', '640', '664'
        }
    }

    Context 'permissions are enforced for another user (root only: setpriv switches to uid 65534)' -Skip:(-not $isRoot) {
        It 'lets uid 65534 do nothing with an object of mode 0600 (the default): EACCES' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 | Out-Null
            (Invoke-AsNobody $posix open $name ro).ExitCode | Should -Be $EACCES
            (Invoke-AsNobody $posix open $name rw).ExitCode | Should -Be $EACCES
        }

        It 'lets uid 65534 read but not write an object of mode 0644' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 -Mode 0644 | Out-Null
            Write-SharedMemory -Name $name -Value ([byte[]](0xab, 0xcd))
            $read = Invoke-AsNobody $posix read $name 0 2
            $read.ExitCode | Should -Be 0 -Because $read.Output
            $read.Output | Should -Be 'abcd'
            (Invoke-AsNobody $posix open $name rw).ExitCode | Should -Be $EACCES
            (Invoke-AsNobody $posix write $name 0 'ffff').ExitCode | Should -Be $EACCES
            [Convert]::ToHexString((Read-SharedMemory -Name $name -Count 2)) | Should -Be 'ABCD'
        }

        It 'lets the group 65534 read an object of mode 0640 after Set-SharedMemoryPermission -Group' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 -Mode 0640 | Out-Null
            (Invoke-AsNobody $posix open $name ro).ExitCode | Should -Be $EACCES
            Set-SharedMemoryPermission -Name $name -Group 65534
            (Invoke-AsNobody $posix open $name ro).ExitCode | Should -Be 0
            (Invoke-AsNobody $posix open $name rw).ExitCode | Should -Be $EACCES
        }

        It 'lets uid 65534 write once Set-SharedMemoryPermission -Owner 65534 -Group 65534 gives it the object' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 | Out-Null
            (Invoke-AsNobody $posix open $name rw).ExitCode | Should -Be $EACCES
            Set-SharedMemoryPermission -Name $name -Owner 65534 -Group 65534
            stat -c '%a %u %g' "/dev/shm$name" | Should -Be '600 65534 65534'
            $write = Invoke-AsNobody $posix write $name 2 '0102'
            $write.ExitCode | Should -Be 0 -Because $write.Output
            [Convert]::ToHexString((Read-SharedMemory -Name $name -Count 4)) | Should -Be '00000102'
        }

        It 'takes access away again with Set-SharedMemoryPermission -Mode 0600' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 -Mode 0644 | Out-Null
            (Invoke-AsNobody $posix open $name ro).ExitCode | Should -Be 0
            Set-SharedMemoryPermission -Name $name -Mode 0600
            (Invoke-AsNobody $posix open $name ro).ExitCode | Should -Be $EACCES
        }
    }

    Context 'a symlink planted in /dev/shm' {
        BeforeAll {
            $dir = Join-Path ([IO.Path]::GetTempPath()) "shmps-security-$PID"
            New-Item -ItemType Directory $dir -Force | Out-Null
        }
        BeforeEach {
            $name = New-TestName
            $link = "/dev/shm$name"
            $target = Join-Path $dir 'target'
            Set-Content -LiteralPath $target -Value 'secret' -NoNewline
            chmod 644 $target
            New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
        }
        AfterEach {
            Remove-Item -LiteralPath $link -Force -ErrorAction SilentlyContinue
        }
        AfterAll {
            Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
        }

        It 'is refused by <Command> with <ErrorId>, and neither the link nor its target changes' -TestCases @(
            @{ Command = 'New-SharedMemory'; ErrorId = 'SymbolicLinkRefused or SharedMemoryExists'; Script = { New-SharedMemory -Name $name -Size 100 } }
            @{ Command = 'New-SharedMemory -Force'; ErrorId = 'SymbolicLinkRefused'; Script = { New-SharedMemory -Name $name -Size 100 -Force } }
            @{ Command = 'Write-SharedMemory'; ErrorId = 'SymbolicLinkRefused'; Script = { Write-SharedMemory -Name $name -Value 'XXXX' } }
            @{ Command = 'Read-SharedMemory'; ErrorId = 'SymbolicLinkRefused'; Script = { Read-SharedMemory -Name $name } }
            @{ Command = 'Remove-SharedMemory'; ErrorId = 'SymbolicLinkRefused'; Script = { Remove-SharedMemory -Name $name } }
            @{ Command = 'Resize-SharedMemory'; ErrorId = 'SymbolicLinkRefused'; Script = { Resize-SharedMemory -Name $name -Size 1MB } }
            @{ Command = 'Set-SharedMemoryPermission'; ErrorId = 'SymbolicLinkRefused'; Script = { Set-SharedMemoryPermission -Name $name -Mode 0666 -Owner 65534 } }
        ) {
            $err = $null
            try { & $Script | Out-Null } catch { $err = $_ }
            (Get-Item -LiteralPath $link -Force).LinkTarget | Should -Be $target
            Get-Content -LiteralPath $target -Raw | Should -BeExactly 'secret'
            stat -c '%a %u %s' $target | Should -Be "644 $(id -u) 6"
            $err | Should -Not -BeNullOrEmpty -Because 'the command must fail'
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -BeIn ($ErrorId -split ' or ')
            $err.Exception.Message | Should -BeLike "*$name*"
        }

        It 'is refused by New-SharedMemory -Force when it dangles, and its target is not created' {
            Remove-Item -LiteralPath $target
            { New-SharedMemory -Name $name -Size 100 -Force } | Should -Throw -ErrorId 'SymbolicLinkRefused,*'
            $err = { New-SharedMemory -Name $name -Size 100 } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -BeIn 'SymbolicLinkRefused', 'SharedMemoryExists'
            Test-Path -LiteralPath $target | Should -BeFalse
        }
    }

    Context 'other files planted in /dev/shm' {
        It 'refuses to open a FIFO as an object, without hanging' {
            $name = New-TestName
            mkfifo "/dev/shm$name"
            # In another runspace, so that a blocking open() would fail this test instead of hanging the run.
            $ps = [PowerShell]::Create()
            $null = $ps.AddScript("Import-Module '$ModulePath'; try { New-SharedMemory -Name '$name' -Size 10 -Force -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }")
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(60000) | Should -BeTrue -Because 'opening a FIFO must not block'
            "$($ps.EndInvoke($async))" | Should -BeLike 'NotARegularFile,*'
            $ps.Dispose()
        }
    }

    Context 'warnings' {
        It 'warns about the world-writable mode <Mode> on create' -TestCases @(
            @{ Mode = '0666' }, @{ Mode = '0602' }, @{ Mode = 'rw-rw-rw-' }
        ) {
            New-SharedMemory -Name (New-TestName) -Size 10 -Mode $Mode -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
            $warnings | Should -HaveCount 1
            "$warnings" | Should -BeLike '*every user*'
        }

        It 'does not warn about mode <Mode>' -TestCases @(
            @{ Mode = '0600' }, @{ Mode = '0664' }, @{ Mode = '0644' }
        ) {
            New-SharedMemory -Name (New-TestName) -Size 10 -Mode $Mode -WarningVariable warnings | Out-Null
            $warnings | Should -BeNullOrEmpty
        }

        It 'warns when -Force opens an object that belongs to another user' {
            $name = New-TestName
            New-SharedMemory -Name $name -Size 10 | Out-Null
            chown 65534 "/dev/shm$name"
            $shm = New-SharedMemory -Name $name -Size 10 -Force -WarningVariable warnings -WarningAction SilentlyContinue
            $shm.OwnerId | Should -Be 65534
            $warnings | Should -HaveCount 1
            "$warnings" | Should -BeLike "*$($shm.Owner)*"
        }
    }
}

Describe 'Security of shared file mappings' -Tag File, Security {
    It '<Command> refuses a <Type> (<ErrorId>)' -TestCases $RefusedLookups {
        param($Type, $Command, $ErrorId)
        $dir = New-TestDirectory
        $path = New-NonRegularFile $Type $dir
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
}

Describe 'Shared file mappings where the user may not write' -Tag File, Security {
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

Describe 'Security of System V segments' -Tag SystemV, Security {
    It 'reads through a read-only attachment: a process that may only read can, and cannot write' {
        # Root without CAP_IPC_OWNER is held to the segment's mode like anyone else: 0400 lets the owner read only.
        $ro = New-TestSharedMemory SystemV -Mode 0400
        $data = New-RandomBytes 16
        $ro.Write(0, $data)
        $launcher = 'setpriv', '--bounding-set=-ipc_owner'
        (& $launcher[0] $launcher[1] $Sysv attach $ro.Id rw) | Should -Be 'shmat: EACCES' -Because 'the launcher really drops CAP_IPC_OWNER'
        $none = New-TestSharedMemory SystemV -Mode 0000
        $child = Invoke-ChildPwsh -TimeoutSeconds 60 -Launcher $launcher -Script @"
`$r = [ordered]@{ Read = [Convert]::ToHexString((Read-SharedMemory -Id $($ro.Id) -Count 16)).ToLowerInvariant() }
try { Write-SharedMemory -Id $($ro.Id) -Value ([byte[]](1, 2)) -ErrorAction Stop; `$r.Write = 'written' }
catch { `$r.Write = `$_.FullyQualifiedErrorId; `$r.WriteCategory = "`$(`$_.CategoryInfo.Category)"; `$r.WriteMessage = `$_.Exception.Message }
try { `$null = Read-SharedMemory -Id $($none.Id) -ErrorAction Stop; `$r.ReadNone = 'read' }
catch { `$r.ReadNone = `$_.FullyQualifiedErrorId }
`$r | ConvertTo-Json -Compress
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $r = $child.Output | ConvertFrom-Json
        $r.Read | Should -Be (ConvertTo-Hex $data)
        $r.Write | Should -BeExactly 'PermissionDenied,ShmPS.Commands.WriteSharedMemoryCommand'
        $r.WriteCategory | Should -Be 'PermissionDenied'
        $r.WriteMessage | Should -Match 'EACCES'
        $r.ReadNone | Should -BeExactly 'PermissionDenied,ShmPS.Commands.ReadSharedMemoryCommand'
        ConvertTo-Hex $ro.Read(0, 16) | Should -Be (ConvertTo-Hex $data)
    }

    Context 'enforced for uid 65534' -Skip:(-not $isRoot) {
        BeforeAll {
            $shm = New-TestSharedMemory SystemV -Size 4096
            $shm.Write(0, (New-RandomBytes 4096))
        }

        It 'mode <Mode> lets another user read: <CanRead>, write: <CanWrite>' -TestCases $OtherAccess {
            param($Mode, $CanRead, $CanWrite)
            Set-SharedMemoryPermission -Id $shm.Id -Mode $Mode -WarningAction SilentlyContinue
            (Get-SysvIpcTable shm -Id $shm.Id).perms | Should -Be ([int]$Mode)

            $read = Invoke-AsNobody $Sysv read $shm.Id 0 64
            if ($CanRead) {
                $read.ExitCode | Should -Be 0 -Because $read.Output
                $read.Output | Should -Be (ConvertTo-Hex $shm.Read(0, 64))
            }
            else {
                $read.Output | Should -Be 'shmat: EACCES'
            }

            $data = New-RandomBytes 32
            $write = Invoke-AsNobody $Sysv write $shm.Id 100 (ConvertTo-Hex $data)
            if ($CanWrite) {
                $write.ExitCode | Should -Be 0 -Because $write.Output
                ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Offset 100 -Count 32) | Should -Be (ConvertTo-Hex $data)
            }
            else {
                $write.Output | Should -Be 'shmat: EACCES'
                ConvertTo-Hex (Read-SharedMemory -Id $shm.Id -Offset 100 -Count 32) | Should -Not -Be (ConvertTo-Hex $data)
            }
        }
    }
}
