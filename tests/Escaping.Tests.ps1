# What others named never reaches a terminal raw. Another user (uid 65534, Python) names an object with
# ESC, an OSC title sequence, CR, a C1 CSI and bidi/zero-width characters, maps it, and names its process
# the same way (prctl PR_SET_NAME). As root, every place ShmPS shows text (views, ToString, -WhatIf,
# warnings, error messages, completion lists) shows them escaped (\e, \a, \r, \u009b, \u202e), the
# properties keep the raw value, and completion text, typed back, is the exact name.

BeforeAll {
    . $PSScriptRoot/common.ps1
    $PSStyle.OutputRendering = 'PlainText'

    # Makes /dev/shm/NAME (hex bytes), maps it, names itself COMM (hex bytes) and waits for a line.
    $script:Trap = @'
import ctypes, mmap, os, sys
name, comm = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
fd = os.open(b'/dev/shm/' + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192)
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(comm), 0, 0, 0)  # PR_SET_NAME
print('ready', flush=True)
sys.stdin.readline()
'@
    # Anything a terminal would act on or that hides text: C0 but \n, DEL, C1, zero-width, bidi, BOM, surrogates.
    $script:RawPattern = '[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]'

    $prefix = (New-TestName).Substring(1)
    # ESC ] 0 ; pwned BEL (set the window title), ESC [ 2 K (erase the line), CR, U+009B (C1 CSI), U+202E (RLO), U+200B (ZWSP).
    $tail = "`e]0;pwned`a`e[2K`r$([char]0x9b)$([char]0x202e)$([char]0x200b)Z"
    $script:RawName = "/$prefix$tail"
    $script:ShownName = "/$prefix\e]0;pwned\a\e[2K\r\u009b\u202e\u200bZ"
    $script:RawComm = "`e]0;t`a$([char]0x202e)q"
    $script:ShownComm = '\e]0;t\a\u202eq'
    $hex = { param([string] $s) [Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes($s)) }
    $script:TrapProcess = Start-TestProcess setpriv -ArgumentList '--reuid=65534', '--regid=65534', '--clear-groups',
        '/usr/bin/python3', '-c', $Trap, (& $hex $RawName.Substring(1)), (& $hex $RawComm) -Ready
    $script:Shm = Get-SharedMemory -LiteralName $RawName -IncludeProcess
}

AfterAll {
    Remove-SharedMemory -LiteralName $RawName -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
    Remove-TestSharedMemory
}

Describe 'escaping what others named' -Tag Posix {
    It 'the properties keep the raw values' {
        $Shm.Name | Should -BeExactly $RawName
        $Shm.OwnerId | Should -Be 65534
        ($Shm.Processes | Where-Object ProcessId -eq $TrapProcess.Id).ProcessName | Should -BeExactly $RawComm
    }

    It 'the default table and the list show them escaped' {
        foreach ($text in ($Shm | Format-Table | Out-String -Width 400), ($Shm | Format-List | Out-String -Width 400)) {
            $text | Should -Not -Match $RawPattern
            $text.Contains($ShownName) | Should -BeTrue -Because $text
        }
        ($Shm | Format-List | Out-String -Width 400).Contains("/dev/shm$ShownName") | Should -BeTrue
    }

    It 'the Processes table shows the process name escaped' {
        $text = $Shm.Processes | Out-String -Width 400
        $text | Should -Not -Match $RawPattern
        $text.Contains('\e]0;t\a') | Should -BeTrue -Because $text  # the column is 13 wide: the rest is cut
    }

    It 'ToString is escaped' {
        "$Shm" | Should -BeExactly $ShownName
        ($Shm.Processes | Where-Object ProcessId -eq $TrapProcess.Id).ToString() | Should -BeExactly "$($TrapProcess.Id) ($ShownComm)"
    }

    It 'the SharedMemoryInUse message is escaped' {
        Resize-SharedMemory -LiteralName $RawName -Size 100 -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryInUse,*'
        $errors[0].Exception.Message | Should -Not -Match $RawPattern
        $errors[0].Exception.Message.Contains($ShownName) | Should -BeTrue
        $errors[0].Exception.Message.Contains("$($TrapProcess.Id) ($ShownComm)") | Should -BeTrue
    }

    It 'an error message that names what was asked for is escaped' {
        Get-SharedMemory -LiteralName "$RawName-none" -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
        $errors[0].Exception.Message | Should -Not -Match $RawPattern
        $errors[0].Exception.Message.Contains("$ShownName-none") | Should -BeTrue
        $errors[0].CategoryInfo.TargetName | Should -BeExactly "$ShownName-none"
        $errors[0].TargetObject | Should -BeExactly "$RawName-none"
    }

    It 'an object given to -LiteralName is its own name, not the escaped text it shows (a sibling is named that text)' {
        $decoy = Invoke-AsNobody /usr/bin/python3 -c "import os,sys; os.close(os.open(sys.argv[1].encode(), os.O_CREAT|os.O_EXCL|os.O_RDWR, 0o644))" "/dev/shm$ShownName"
        $decoy.ExitCode | Should -Be 0 -Because $decoy.Output
        try {
            (Get-SharedMemory -LiteralName $ShownName).Name | Should -BeExactly $ShownName
            (Get-SharedMemory -LiteralName $Shm).Name | Should -BeExactly $RawName
            (Get-SharedMemory -LiteralName @($Shm)).Name | Should -BeExactly $RawName
        }
        finally { Remove-SharedMemory -LiteralName $ShownName }
    }

    It 'every -Name and -LiteralName of every cmdlet takes an object by its raw Name, in every parameter set' {
        $missing = foreach ($command in Get-Command -Module ShmPS -CommandType Cmdlet) {
            foreach ($parameter in $command.Parameters.Values | Where-Object Name -in 'Name', 'LiteralName') {
                if ($parameter.ParameterType -ne [string[]]) { continue }
                if (-not ($parameter.Attributes | Where-Object { $_ -is [ShmPS.SharedMemoryNameTransformationAttribute] })) {
                    "$($command.Name) -$($parameter.Name)"
                }
            }
        }
        $missing | Should -BeNullOrEmpty -Because 'an object bound to a name would otherwise be its escaped ToString(), which can name another object'
    }

    It 'completion lists it escaped, and its text typed back is the exact name (<Typed>)' -TestCases @(
        @{ Typed = '' }, @{ Typed = "'" }, @{ Typed = '"' }
    ) {
        $line = "Get-SharedMemory -LiteralName $Typed$($RawName.Substring(0, 20))"
        $matches = @((TabExpansion2 $line $line.Length).CompletionMatches)
        $matches | Should -HaveCount 1
        $m = $matches[0]
        $m.CompletionText | Should -Not -Match $RawPattern
        $m.ListItemText | Should -BeExactly $ShownName
        $m.ToolTip | Should -Not -Match $RawPattern
        Invoke-Expression $m.CompletionText | Should -BeExactly $RawName
        (Get-SharedMemory -LiteralName (Invoke-Expression $m.CompletionText)).Name | Should -BeExactly $RawName
    }

    It '-Name completion does not offer it (-Name refuses such names)' {
        $line = "Remove-SharedMemory -Name $($RawName.Substring(0, 20))"
        @((TabExpansion2 $line $line.Length).CompletionMatches) | Should -HaveCount 0
    }

    It '-ProcessId completion shows the process name escaped' {
        $line = "Get-SharedMemory -ProcessId $($TrapProcess.Id)"
        $m = @((TabExpansion2 $line $line.Length).CompletionMatches) | Where-Object CompletionText -eq "$($TrapProcess.Id)"
        $m.ListItemText | Should -BeExactly "$($TrapProcess.Id) $ShownComm"
        $m.ToolTip | Should -Not -Match $RawPattern
    }

    It '-WhatIf names it escaped (a child pwsh: what the terminal would get)' {
        $r = Invoke-ChildPwsh "Get-SharedMemory -LiteralName '$($RawName -replace "'", "''")' | Remove-SharedMemory -WhatIf; Get-SharedMemory -LiteralName '$($RawName -replace "'", "''")' | Resize-SharedMemory -Size 100 -WhatIf -Force"
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output | Should -Not -Match $RawPattern
        $r.Output.Contains("on target `"$ShownName`"") | Should -BeTrue -Because $r.Output
        (Get-SharedMemory -LiteralName $RawName).Size | Should -Be 8192
    }

    It 'the Remove-SharedMemory warning names the object and the processes escaped' {
        Remove-SharedMemory -LiteralName $RawName -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -Not -Match $RawPattern
        "$($warnings[0])".Contains("'$ShownName'") | Should -BeTrue -Because "$($warnings[0])"
        "$($warnings[0])".Contains("$($TrapProcess.Id) ($ShownComm)") | Should -BeTrue
    }
}
