BeforeAll { . $PSScriptRoot/common.ps1 }

Describe 'PowerShell conventions' -Tag Conventions {
    BeforeAll {
        $script:Cmdlets = (Get-Command -Module ShmPS).Name
        $script:Acting = 'Read-SharedMemory', 'Write-SharedMemory', 'Resize-SharedMemory',
            'Set-SharedMemoryPermission', 'Remove-SharedMemory', 'Lock-SharedMemory', 'Unlock-SharedMemory'
        $script:Name = New-TestName
        $script:Posix = New-SharedMemory -Name $Name -Size 64
        $script:Segment = New-SharedMemory -Kind SystemV -Size 64
    }
    AfterAll {
        $Segment | Remove-SharedMemory -ErrorAction SilentlyContinue
        Remove-TestSharedMemory
    }

    It 'completes -Name of <Command> from the objects that exist' -TestCases @(
        @{ Command = 'Get-SharedMemory' }, @{ Command = 'Read-SharedMemory' }, @{ Command = 'Remove-SharedMemory' }
    ) {
        $line = "$Command -Name $($Name.Substring(0, $Name.Length - 4))"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Contain $Name
        $completions.CompletionText | Should -Not -Contain $Segment.Name
    }

    It 'completes -Key and -Id from the System V segments that exist' {
        $line = 'Read-SharedMemory -Key '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $Segment.Name
        $line = 'Remove-SharedMemory -Id '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain ([string]$Segment.Id)
    }

    It 'completes -Encoding with encoding names' {
        $line = 'Read-SharedMemory -Encoding ut'
        $texts = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $texts | Should -Contain 'utf8'
        $texts | Should -Contain 'utf32'
    }

    It 'declares an output type on every cmdlet: <_>' -ForEach @(
        'New-SharedMemory', 'Get-SharedMemory', 'Read-SharedMemory', 'Write-SharedMemory', 'Resize-SharedMemory',
        'Set-SharedMemoryPermission', 'Remove-SharedMemory', 'Lock-SharedMemory', 'Unlock-SharedMemory'
    ) {
        $command = Get-Command $_
        $attributes = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $false)
        $attributes | Should -Not -BeNullOrEmpty
    }

    It 'supports -WhatIf and -Confirm on every cmdlet that changes state: <_>' -ForEach @(
        'New-SharedMemory', 'Write-SharedMemory', 'Resize-SharedMemory', 'Set-SharedMemoryPermission', 'Remove-SharedMemory'
    ) {
        $parameters = (Get-Command $_).Parameters
        $parameters.Keys | Should -Contain 'WhatIf'
        $parameters.Keys | Should -Contain 'Confirm'
    }

    It 'gives <_> the same identity parameter sets as every other cmdlet that acts on objects' -ForEach @(
        'Write-SharedMemory', 'Resize-SharedMemory', 'Set-SharedMemoryPermission', 'Remove-SharedMemory',
        'Lock-SharedMemory', 'Unlock-SharedMemory', 'Get-SharedMemory'
    ) {
        $describe = {
            param($command)
            foreach ($set in (Get-Command $command).ParameterSets | Where-Object Name -in 'Name', 'Key', 'Id', 'Path', 'LiteralPath', 'InputObject') {
                foreach ($p in $set.Parameters | Where-Object Name -in 'Key', 'Id', 'Path', 'LiteralPath', 'InputObject', 'FullName') {
                    '{0}:{1}:{2}:{3}:{4}:{5}' -f $set.Name, $p.Name, $p.ParameterType, $p.IsMandatory, $p.ValueFromPipeline, $p.ValueFromPipelineByPropertyName
                }
            }
        }
        $reference = & $describe 'Read-SharedMemory' | Sort-Object
        & $describe $_ | Sort-Object | Should -Be $reference
    }

    It 'shows Kind, Id, Size, Permissions, Owner, AttachCount and Name in the default table of every kind' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "shmps-conventions-$PID.bin"
        try {
            $mapping = New-SharedMemory -Path $file -Size 64
            $lines = @($Posix, $Segment, $mapping) | Format-Table | Out-String -Width 200
            $header = ($lines -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1) -split '\s+' | Where-Object { $_ }
            $header | Should -Be @('Kind', 'Id', 'Size', 'Permissions', 'Owner', 'AttachCount', 'Name')
            $lines | Should -Match ([regex]::Escape($Name))
            $lines | Should -Match "SystemV\s+$($Segment.Id)\s"
            $lines | Should -Match ([regex]::Escape($Segment.Name))
            $lines | Should -Match ([regex]::Escape($file))
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
    }
}

Describe 'Error ids' -Tag Conventions {
    BeforeAll {
        $script:Ids = [ShmPS.ErrorIds].GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetValue($null) }
        $script:About = Get-Content -Raw (Join-Path $RepoRoot 'docs/en-US/about_ShmPS.md')
        $script:Sources = Get-ChildItem (Join-Path $RepoRoot 'src/ShmPS'), (Join-Path $RepoRoot 'src/ShmPS.Core') -Recurse -Filter *.cs | Where-Object Name -NE 'ErrorIds.cs'
    }

    It 'lists every error id in the table of about_ShmPS, and no other' {
        $Ids.Count | Should -BeGreaterThan 30
        foreach ($id in $Ids) { $About | Should -Match "``$id``" -Because "$id is an id ShmPS writes" }
        $table = [regex]::Matches((($About -split '## NOTE')[1] -split '\n## ')[0], '`([A-Z][A-Za-z]+)`').Groups |
            Where-Object Name -EQ 1 | ForEach-Object Value | Where-Object { $_ -cmatch '^[A-Z][a-z]+[A-Z]' } | Sort-Object -Unique
        $table | Where-Object { $_ -notin $Ids -and $_ -notmatch '^(FullyQualifiedErrorId|ErrorId|ErrorCategory|RecommendedAction)$' } | Should -BeNullOrEmpty
    }

    It 'makes every failure in one place: the factories of ErrorHelper, and error records in ErrorRecords' {
        # ErrorHelper.Make is where a failure becomes an exception (SharedMemoryErrors picks its family);
        # the module presents it (SharedMemoryException) and makes error records of it (ErrorRecords).
        $elsewhere = { param($pattern, [string[]] $allowed)
            $Sources | Where-Object Name -NotIn $allowed | Select-String -Pattern $pattern | ForEach-Object { "$($_.Filename):$($_.LineNumber)" } }
        & $elsewhere 'ErrorHelper\.Make\(' 'ErrorHelper.cs', 'ErrorRecords.cs' | Should -BeNullOrEmpty
        & $elsewhere 'new ErrorRecord\(' 'ErrorRecords.cs' | Should -BeNullOrEmpty
        & $elsewhere 'new SharedMemory\w*Exception\(' 'SharedMemoryErrors.cs', 'SharedMemoryException.cs', 'ErrorRecords.cs' | Should -BeNullOrEmpty
        & $elsewhere '(?<!Shared)\bMake\(\s*ErrorIds\.' 'ErrorHelper.cs', 'ErrorRecords.cs' | Should -BeNullOrEmpty
    }

    It 'names ids through ErrorIds, not as strings, wherever an error is made' {
        # An id as a string literal: the first argument of an error, or either branch of a choice between two ids.
        $literal = $Sources | Select-String -Pattern '\(\s*"[A-Z][A-Za-z]+"\s*,\s*(System\.Management\.Automation\.|SharedMemory)?ErrorCategory\.', 'Make\(\s*[^"]*\?\s*"[A-Z][A-Za-z]+"\s*:' |
            ForEach-Object { "$($_.Filename):$($_.LineNumber)" }
        $literal | Should -BeNullOrEmpty
    }

    It 'never decides by comparing an id string' {
        $Sources | Select-String -Pattern 'ErrorId\s*==' | ForEach-Object { "$($_.Filename):$($_.LineNumber)" } | Should -BeNullOrEmpty
    }
}
