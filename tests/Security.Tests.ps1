BeforeDiscovery {
    $isRoot = (id -u) -eq '0'
}

BeforeAll { . $PSScriptRoot/common.ps1 }

Describe 'Security of POSIX objects' -Tag Posix, Security {
    BeforeAll {
        $posix = Get-NativeTool posix
        $EACCES = 13

        function Invoke-PwshWithUmask {
            <# Runs a script in a child pwsh whose umask is set by the shell that starts it. #>
            param([string] $Umask, [string] $Script)
            $full = "`$ErrorActionPreference = 'Stop'; `$PSStyle.OutputRendering = 'PlainText'; Import-Module '$ModulePath'`n$Script"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full))
            $output = sh -c "umask $Umask; exec `"`$0`" -NoProfile -NonInteractive -EncodedCommand `"`$1`"" $PwshPath $encoded 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") -replace '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]', '' }
        }
    }
    AfterAll { Remove-TestObjects }

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
            $result.ExitCode | Should -Be 0 -Because $result.Output
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
