# Tab completion: every completion is text that, typed as is, works. Names with spaces, '$' and quotes
# come quoted and find their object when the completed line runs; -Mode completes modes -Mode takes;
# -Owner and -Group complete accounts; every identity parameter of every cmdlet completes.

BeforeDiscovery {
    $script:Acting = 'Get-SharedMemory', 'Read-SharedMemory', 'Write-SharedMemory', 'Resize-SharedMemory',
        'Set-SharedMemoryPermission', 'Remove-SharedMemory', 'Lock-SharedMemory', 'Unlock-SharedMemory' | ForEach-Object { @{ Command = $_ } }
    $script:Quotes = @{ Quote = ''; Typed = '' }, @{ Quote = 'single'; Typed = "'" }, @{ Quote = 'double'; Typed = '"' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    function Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches)
    }

    function Get-CompletionText([string] $Line, [string] $Property = 'CompletionText') {
        Get-Completion $Line | ForEach-Object $Property
    }

    # A name other programs could give (and -Name takes): a space, a '$' that must not expand, a quote.
    $script:Odd = (New-TestName) + ' a$HOME b''c'
    $script:OddShm = New-TestSharedMemory Posix -Name $Odd
    $script:Wild = (New-TestName) + '[1]'
    $script:WildShm = New-SharedMemory -LiteralName $Wild -Size 64
    Register-TestSharedMemory -InputObject $WildShm
    $script:Segment = New-TestSharedMemory SystemV
    $script:Prefix = $Odd.Substring(0, $Odd.IndexOf(' '))
}

AfterAll { Remove-TestSharedMemory }

Describe 'completing -Name' -Tag Posix, SystemV {
    It 'quotes a name with a space, $ and '' for <Command>, and the completed line finds the object' -TestCases $Acting {
        $texts = @(Get-CompletionText "$Command -Name $Prefix")
        $texts | Should -Contain ("'" + $Odd.Replace("'", "''") + "'")
        $texts | Where-Object { $_ -notlike "'*'" } | Should -BeNullOrEmpty -Because 'every name here needs quotes'
    }

    It 'completes in the quote the user opened (<Quote>), and the completed line runs' -TestCases $Quotes {
        $line = "Get-SharedMemory -Name $Typed$Prefix"
        $completion = Get-Completion $line | Where-Object ListItemText -EQ $Odd
        $completion | Should -HaveCount 1
        $completed = $line.Substring(0, $line.Length - "$Typed$Prefix".Length) + $completion.CompletionText
        $found = @(Invoke-Expression $completed)
        $found | Should -HaveCount 1
        $found[0].Name | Should -BeExactly $Odd
    }

    It 'removes the object with the completed Remove-SharedMemory line, and nothing else' {
        $name = (New-TestName) + ' $x'
        New-TestSharedMemory Posix -Name $name | Out-Null
        $line = "Remove-SharedMemory -Name $($name.Substring(0, $name.IndexOf(' ')))"
        $completion = Get-Completion $line | Where-Object ListItemText -EQ $name
        $completion | Should -HaveCount 1
        Invoke-Expression ("Remove-SharedMemory -Name " + $completion.CompletionText)
        "/dev/shm$name" | Should -Not -Exist
        "/dev/shm$Odd" | Should -Exist
    }

    It 'offers -Name only names it takes, and -LiteralName every name, each of which works' {
        $prefix = $Wild.Substring(0, $Wild.Length - 3)
        @(Get-CompletionText "Read-SharedMemory -Name $prefix" ListItemText) | Should -Not -Contain $Wild
        $completion = Get-Completion "Read-SharedMemory -LiteralName $prefix" | Where-Object ListItemText -EQ $Wild
        $completion | Should -HaveCount 1
        $WildShm.Write(0, [byte[]](7))
        Invoke-Expression ("Read-SharedMemory -Count 1 -LiteralName " + $completion.CompletionText) | Should -Be 7
    }

    It 'completes -Kind of <Command> with the kinds ShmPS registers, by prefix in any case' -TestCases ($Acting + @{ Command = 'New-SharedMemory' }) {
        @(Get-CompletionText "$Command -Kind ") | Should -Be @(Get-TestKind -All)
        foreach ($kind in Get-TestKind -All) {
            @(Get-CompletionText "$Command -Kind $($kind.Substring(0, 2).ToLowerInvariant())") | Should -Contain $kind
        }
    }

    It 'completes segment keys for -Kind SystemV -Name in <Command>, and Get-SharedMemory -Name without -Kind' -TestCases $Acting {
        $prefix = $Segment.Name.Substring(0, 8)
        @(Get-CompletionText "$Command -Kind SystemV -Name $prefix") | Should -Contain $Segment.Name
        $plain = @(Get-CompletionText "$Command -Name $prefix")
        if ($Command -eq 'Get-SharedMemory') { $plain | Should -Contain $Segment.Name } else { $plain | Should -Not -Contain $Segment.Name }
        (Invoke-Expression "Get-SharedMemory -Kind SystemV -Name $($Segment.Name)").Id | Should -Be $Segment.Id
    }

    It 'completes -Key and -Id in <Command> with text that finds the segment' -TestCases $Acting {
        $key = @(Get-CompletionText "$Command -Key $($Segment.Name.Substring(0, 8))") | Where-Object { $_ -eq $Segment.Name }
        $key | Should -HaveCount 1
        (Invoke-Expression "Get-SharedMemory -Key $key").Id | Should -Be $Segment.Id
        $id = @(Get-CompletionText "$Command -Id $($Segment.Id)") | Where-Object { $_ -eq "$($Segment.Id)" }
        $id | Should -HaveCount 1
        (Invoke-Expression "Get-SharedMemory -Id $id").Name | Should -BeExactly $Segment.Name
    }

    It 'completes -Path and -LiteralPath of <Command> with paths PowerShell quotes' -TestCases $Acting {
        $dir = New-TestDirectory
        $path = Join-Path $dir 'a b$c.bin'
        New-TestSharedMemory File -Path $path | Out-Null
        foreach ($parameter in 'Path', 'LiteralPath') {
            $text = @(Get-CompletionText "$Command -$parameter $(Join-Path $dir 'a')")
            $text | Should -HaveCount 1
            (Invoke-Expression "Get-SharedMemory -LiteralPath $text").Name | Should -BeExactly $path
        }
    }
}

Describe 'completing -Mode, -Owner and -Group' -Tag Posix {
    It 'completes -Mode of <_> with octal modes, and symbolic ones after a letter, never enum names' -ForEach 'New-SharedMemory', 'Set-SharedMemoryPermission' {
        $all = @(Get-CompletionText "$_ -Mode ")
        $all | Should -Contain '0640'
        $all | Where-Object { $_ -notmatch '^0[0-7]{3}$' } | Should -BeNullOrEmpty
        @(Get-CompletionText "$_ -Mode 064") | Should -Contain '0640'
        @(Get-CompletionText "$_ -Mode 64") | Should -Contain '0640'
        @(Get-CompletionText "$_ -Mode rw-r") | Should -Contain 'rw-r-----'
        @(Get-CompletionText "$_ -Mode Gr") | Should -BeNullOrEmpty
    }

    It 'gives -Mode text that sets that mode, typed as is: <Text>' -TestCases @(
        @{ Text = '0640'; Permissions = 'rw-r-----' }, @{ Text = 'rw-r--r--'; Permissions = 'rw-r--r--' }
    ) {
        $shm = New-TestSharedMemory Posix
        $completion = Get-Completion "Set-SharedMemoryPermission -Name $($shm.Name) -Mode $($Text.Substring(0, 3))" |
            Where-Object CompletionText -EQ $Text
        $completion | Should -HaveCount 1
        Invoke-Expression "Set-SharedMemoryPermission -Name $($shm.Name) -Mode $($completion.CompletionText)"
        stat -c '%A' $shm.Path | Should -BeExactly "-$Permissions"
        $made = Invoke-Expression "New-SharedMemory -Name $(New-TestName) -Size 8 -Mode $($completion.CompletionText)"
        Register-TestSharedMemory -InputObject $made
        $made.Permissions | Should -BeExactly $Permissions
    }

    It 'completes -Owner with users and -Group with groups, and the completed line sets them' {
        @(Get-CompletionText 'Set-SharedMemoryPermission -Owner ro') | Should -Contain 'root'
        $owner = @(Get-CompletionText 'Set-SharedMemoryPermission -Owner nob')
        $owner | Should -Contain 'nobody'
        $group = @(Get-CompletionText 'Set-SharedMemoryPermission -Group nogr')
        $group | Should -Contain 'nogroup'
        $shm = New-TestSharedMemory Posix
        Invoke-Expression "Set-SharedMemoryPermission -Name $($shm.Name) -Owner nobody -Group nogroup"
        stat -c '%U:%G' $shm.Path | Should -BeExactly 'nobody:nogroup'
        @(Get-CompletionText 'Set-SharedMemoryPermission -Owner zzzz-no-such-user') | Should -BeNullOrEmpty
    }
}
