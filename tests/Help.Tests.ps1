# Help: every exported cmdlet has a page that matches Get-Command, Get-Help shows the compiled pages,
# every example runs, and the help compiler (tools/HelpCompiler.psm1) compiles and rejects what it should.

BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    Import-Module (Join-Path $RepoRoot 'tools/HelpCompiler.psm1') -Force
    $docs = Join-Path $RepoRoot 'docs/en-US'
    $commands = @((Get-Module ShmPS).ExportedCommands.Keys | Sort-Object)
    $examples = @(
        foreach ($command in $commands) {
            $path = Join-Path $docs "$command.md"
            if (Test-Path $path) {
                foreach ($example in (Read-MarkdownHelp $path).Examples) {
                    @{ Page = $command; Title = $example.Title; Code = $example.Code }
                }
            }
        }
        $about = Get-Content -Raw (Join-Path $docs 'about_ShmPS.md')
        foreach ($match in [regex]::Matches($about, '(?ms)^```powershell\n(.*?)^```')) {
            @{ Page = 'about_ShmPS'; Title = 'code block'; Code = $match.Groups[1].Value }
        }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    Import-Module (Join-Path $RepoRoot 'tools/HelpCompiler.psm1') -Force
    $script:Docs = Join-Path $RepoRoot 'docs/en-US'
    $script:Sections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'
    $script:CommonParameters = [System.Management.Automation.Cmdlet]::CommonParameters + 'ProgressAction'

    function Get-ExpectedTypeName([type] $Type) {
        # Pages name types as Get-Help shows them: String[], Int64 (not Nullable), SwitchParameter.
        $underlying = [Nullable]::GetUnderlyingType($Type)
        if ($underlying) { $underlying.Name } else { $Type.Name }
    }

    function Get-ShmEntry {
        @(Get-ChildItem /dev/shm -Filter 'shmps-*' -ErrorAction SilentlyContinue | ForEach-Object Name)
    }
}

Describe 'help page of <_>' -ForEach $commands {
    BeforeAll {
        $name = $_
        $command = Get-Command $name
        $path = Join-Path $Docs "$name.md"
        $page = if (Test-Path $path) { Read-MarkdownHelp $path }
    }

    It 'exists in docs/en-US' {
        $path | Should -Exist
    }

    It 'has the schema''s sections, in order, and no placeholder left' {
        $headings = Select-String -Path $path -Pattern '^## (.*)$' | ForEach-Object { $_.Matches[0].Groups[1].Value }
        $headings | Should -Be $Sections
        Get-Content $path -Raw | Should -Not -Match '\{\{.*\}\}'
    }

    It 'has at least two examples' {
        $page.Examples.Count | Should -BeGreaterOrEqual 2
    }

    It 'names the parameter sets as Get-Command does, with the default one marked' {
        $expected = $command.ParameterSets | ForEach-Object { $_.Name + $(if ($_.IsDefault) { ' (Default)' }) }
        $page.Syntax | ForEach-Object { $_.Name + $(if ($_.IsDefault) { ' (Default)' }) } | Should -Be $expected
    }

    It 'shows in each SYNTAX block the parameters Get-Command shows, and none that is hidden (DontShow)' {
        $problems = foreach ($set in $command.ParameterSets) {
            $code = ($page.Syntax | Where-Object Name -EQ $set.Name).Code
            foreach ($parameter in $set.Parameters | Where-Object Name -NotIn $CommonParameters) {
                $hidden = [bool]($parameter.Attributes | Where-Object {
                    $_ -is [Parameter] -and $_.DontShow -and $_.ParameterSetName -in $set.Name, '__AllParameterSets' })
                $shown = $code -match "(^|[\s\[])-$([regex]::Escape($parameter.Name))(\]|\s|$)"
                if ($hidden -and $shown) { "set $($set.Name) shows the hidden -$($parameter.Name)" }
                if (-not $hidden -and -not $shown) { "set $($set.Name) does not show -$($parameter.Name)" }
            }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'gives Get-Help a syntax without the hidden parameters' {
        $hidden = @($command.Parameters.Values | Where-Object {
            $_.Attributes | Where-Object { $_ -is [Parameter] -and $_.DontShow -and $_.ParameterSetName -eq '__AllParameterSets' } } | ForEach-Object Name)
        $syntax = (Get-Help $name).syntax | Out-String -Width 1000
        foreach ($parameter in $hidden) { $syntax | Should -Not -Match "-$parameter\b" }
        if ($command.Parameters.ContainsKey('PSComputerName')) {
            $hidden | Should -Contain 'PSComputerName'
            Get-Help $name -Parameter PSComputerName | Should -Not -BeNullOrEmpty -Because 'it is still documented, as bound from the pipeline'
        }
    }

    It 'documents every parameter and nothing else, alphabetically with -Confirm and -WhatIf last' {
        $names = @($command.Parameters.Keys | Where-Object { $_ -notin $CommonParameters })
        $expected = @($names | Where-Object { $_ -notin 'Confirm', 'WhatIf' } | Sort-Object) + @('Confirm', 'WhatIf' | Where-Object { $_ -in $names })
        # A cmdlet may have no parameters of its own (Get-SharedMemoryLimit): then neither lists any.
        $documented = @($page.Parameters | ForEach-Object Name)
        $documented -join ', ' | Should -Be ($expected -join ', ')
        $documented | Should -Not -Contain 'ProgressAction'
    }

    It 'describes every parameter as Get-Command binds it, in every parameter set' {
        $mismatches = foreach ($parameter in $page.Parameters) {
            $metadata = $command.Parameters[$parameter.Name]
            if (-not $metadata) { continue }
            $wildcards = [bool]($metadata.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            foreach ($set in $command.ParameterSets) {
                $binding = $metadata.ParameterSets[$set.Name]
                if (-not $binding) { $binding = $metadata.ParameterSets['__AllParameterSets'] }
                $yaml = @($parameter.Yaml | Where-Object { $set.Name -in $_.Sets })
                if (-not $binding) {
                    if ($yaml) { "-$($parameter.Name) is documented in set $($set.Name) but is not in it" }
                    continue
                }
                if ($yaml.Count -ne 1) { "-$($parameter.Name) has $($yaml.Count) yaml blocks for set $($set.Name)"; continue }
                $by = @(if ($binding.ValueFromPipelineByPropertyName) { 'ByPropertyName' }; if ($binding.ValueFromPipeline) { 'ByValue' })
                $expected = [ordered]@{
                    'Type'                       = Get-ExpectedTypeName $metadata.ParameterType
                    'Required'                   = "$($binding.IsMandatory)"
                    'Position'                   = if ($binding.Position -lt 0) { 'Named' } else { "$($binding.Position)" }
                    'Accept pipeline input'      = if ($by) { "True ($($by -join ', '))" } else { 'False' }
                    'Accept wildcard characters' = "$wildcards"
                }
                foreach ($key in $expected.Keys) {
                    if ($yaml[0][$key] -ne $expected[$key]) {
                        "-$($parameter.Name) in set $($set.Name): '$key' is '$($yaml[0][$key])', Get-Command says '$($expected[$key])'"
                    }
                }
            }
        }
        $mismatches | Should -BeNullOrEmpty
    }

    It 'describes every parameter in words' {
        $page.Parameters | Where-Object { -not $_.Description } | ForEach-Object Name | Should -BeNullOrEmpty
    }

    It 'is what Get-Help -Full shows: synopsis, description and examples' {
        $help = Get-Help $name -Full
        $help.Synopsis.Trim() | Should -Be ($page.Synopsis -join ' ')
        $help.description[0].Text.TrimEnd() | Should -Be $page.Description[0]
        $shown = @($help.examples.example)
        $shown.Count | Should -Be $page.Examples.Count
        for ($i = 0; $i -lt $shown.Count; $i++) {
            $shown[$i].title | Should -BeLike "*$($page.Examples[$i].Title)*"
            $shown[$i].code | Should -Be $page.Examples[$i].Code
        }
    }

    It 'gives Get-Help -Online no address of another page (a man page) to open' {
        # Get-Help -Online opens the cmdlet's HelpUri, else the first related link that has a URI.
        $command.HelpUri | Should -BeNullOrEmpty
        $page.Metadata['online version'] | Should -BeNullOrEmpty
        $uris = @((Get-Help $name -Full).relatedLinks.navigationLink | ForEach-Object { $_.PSObject.Properties['uri']?.Value })
        $uris | Where-Object { $_ } | Should -BeNullOrEmpty
        { Get-Help $name -Online -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidOperation,Microsoft.PowerShell.Commands.GetHelpCommand'
    }

    It 'answers Get-Help -Parameter for every parameter' {
        foreach ($parameter in $page.Parameters) {
            $help = Get-Help $name -Parameter $parameter.Name
            $help.name | Should -Be $parameter.Name
            $help.type.name | Should -Be $parameter.Yaml[0].Type
            $help.description[0].Text.TrimEnd() | Should -Be $parameter.Description[0]
        }
    }
}

Describe 'the module page and about_ShmPS' {
    It 'has the manifest''s GUID and lists every cmdlet' {
        $text = Get-Content (Join-Path $Docs 'ShmPS.md') -Raw
        $guid = (Import-PowerShellDataFile (Join-Path $RepoRoot 'ShmPS.psd1')).GUID
        $text | Should -Match "(?m)^Module Guid: $guid$"
        foreach ($command in (Get-Module ShmPS).ExportedCommands.Keys) {
            $text | Should -Match ([regex]::Escape("### [$command]($command.md)"))
        }
    }

    It 'is shown by Get-Help about_ShmPS' {
        $markdown = Get-Content (Join-Path $Docs 'about_ShmPS.md') -Raw
        $short = [regex]::Match($markdown, '(?ms)^## SHORT DESCRIPTION\n(.*?)\n\n').Groups[1].Value
        $text = Get-Help about_ShmPS | Out-String
        $text | Should -Match '(?m)^TOPIC'
        ($text -replace '\s+', ' ') | Should -BeLike "*$($short -replace '\s+', ' ')*"
    }
}

Describe 'example' {
    BeforeAll {
        # As root, each example runs with a /dev/shm of its own (a tmpfs in a private mount namespace), so
        # that what it leaves there is its own and other test runs on the machine are not touched. Without
        # that, the check falls back to the entries that appeared in the shared /dev/shm meanwhile.
        unshare -m true 2>$null
        $script:PrivateDevShm = -not $LASTEXITCODE
        $script:ListLeftovers = @'
"LEFTOVERS:" + ((Get-ChildItem /dev/shm -Force -ErrorAction SilentlyContinue | ForEach-Object Name) -join '/')
'@
    }

    It '<Page>: <Title>' -ForEach $examples {
        if ($PrivateDevShm) {
            # The example's own /dev/shm is empty at the start: whatever is there after it is its leftover.
            $launcher = 'unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o size=64m tmpfs /dev/shm && exec "$0" "$@"'
            $result = Invoke-ChildPwsh -Launcher $launcher -Script "try {`n$Code`n} finally {`n$ListLeftovers`n}"
            # The list may follow output of the example that did not end its line.
            $listed = [regex]::Match($result.Output, 'LEFTOVERS:([^\r\n]*)')
            $listed.Success | Should -BeTrue -Because "the child lists its /dev/shm at the end:`n$($result.Error)"
            $leftovers = @($listed.Groups[1].Value -split '/' | Where-Object { $_ })
        }
        else {
            # Examples own the /shmps-example-... names they spell out: clear what an interrupted run left.
            $prefixes = @([regex]::Matches($Code, 'shmps-example-[\w-]*') | ForEach-Object Value)
            $owned = { $entry = $_; $prefixes | Where-Object { $entry.StartsWith($_) } }
            Get-ShmEntry | Where-Object $owned | ForEach-Object { Remove-Item -LiteralPath "/dev/shm/$_" -Force }
            $before = Get-ShmEntry
            $result = Invoke-ChildPwsh -Script $Code
            # What the example left behind: its own names, or names it had generated.
            $leftovers = @(Get-ShmEntry | Where-Object { $_ -notin $before } | Where-Object { $_ -match '^shmps-[0-9a-f]{16}$' -or (& $owned) })
            $leftovers | ForEach-Object { Remove-Item -LiteralPath "/dev/shm/$_" -Force }
        }
        $result.ExitCode | Should -Be 0 -Because "the example must run without error:`n$($result.Error)"
        $leftovers | Should -BeNullOrEmpty -Because 'an example removes what it creates'
    }
}

Describe 'HelpCompiler' {
    BeforeAll {
        $fixtures = Join-Path $PSScriptRoot 'fixtures/help'
        $out = Join-Path $TestDrive 'maml'
        $written = ConvertTo-MamlHelp -SourcePath $fixtures -DestinationPath $out
        $mamlPath = Join-Path $out 'HelpFixture-Help.xml'
        $raw = Get-Content $mamlPath -Raw
        $xml = [xml]$raw
        $ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
        $ns.AddNamespace('msh', 'http://msh')
        $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
        function Select-Maml([string] $XPath) { $xml.SelectNodes($XPath, $ns) }
        function Get-MamlText([string] $XPath) { $xml.SelectSingleNode($XPath, $ns).InnerText }
        $page = Read-MarkdownHelp (Join-Path $fixtures 'Test-HelpFixture.md')
        $parameters = '/msh:helpItems/command:command/command:parameters/command:parameter'
    }

    It 'writes one MAML file named by the pages and the about topic, and skips the module page' {
        $written.Name | Sort-Object | Should -Be 'about_HelpFixture.help.txt', 'HelpFixture-Help.xml'
        Select-Maml '/msh:helpItems[@schema="maml"]/command:command' | Should -HaveCount 1
        Get-MamlText '//command:details/command:name' | Should -Be 'Test-HelpFixture'
        Get-MamlText '//command:details/command:verb' | Should -Be 'Test'
        Get-MamlText '//command:details/command:noun' | Should -Be 'HelpFixture'
    }

    It 'makes a paragraph of each markdown paragraph' {
        $paras = Select-Maml '/msh:helpItems/command:command/maml:description/maml:para'
        $paras.InnerText | Should -Be 'The first paragraph, wrapped over two lines.', 'The second paragraph, with <angle brackets> & an ampersand.'
    }

    It 'pads example titles with dashes to about 64 characters, and leaves long ones alone' {
        $titles = (Select-Maml '//command:example/maml:title').InnerText
        $titles[0] -match "^(-+) $([regex]::Escape($page.Examples[0].Title)) (-+)$" | Should -BeTrue
        $Matches[1].Length | Should -Be $Matches[2].Length
        $titles[0].Length | Should -BeIn 63, 64
        $titles[1] | Should -Be $page.Examples[1].Title
    }

    It 'escapes example code and keeps it exact, with the remarks that follow it' {
        Get-MamlText '//command:example/dev:code' | Should -Be $page.Examples[0].Code
        $raw | Should -Match ([regex]::Escape("'a&lt;b&gt;&amp;c'"))
        Get-MamlText '//command:example/dev:remarks/maml:para' | Should -Be 'The remarks after the code.'
        $raw | Should -Not -Match 'introduction'
    }

    It 'copies the binding attributes from the yaml' {
        $path = $xml.SelectSingleNode("$parameters[maml:name='Path']", $ns)
        $path.GetAttribute('pipelineInput') | Should -Be 'True (ByPropertyName, ByValue)'
        $path.GetAttribute('position') | Should -Be '0'
        $path.GetAttribute('required') | Should -Be 'true'
        $path.GetAttribute('globbing') | Should -Be 'true'
        $path.GetAttribute('aliases') | Should -Be 'none'
        $mode = $xml.SelectSingleNode("$parameters[maml:name='Mode']", $ns)
        $mode.GetAttribute('position') | Should -Be 'named'
        $mode.GetAttribute('aliases') | Should -Be 'm'
        $mode.SelectSingleNode('dev:defaultValue', $ns).InnerText | Should -Be 'Safe'
    }

    It 'gives switches the default value False and no value in syntax items' {
        Get-MamlText "$parameters[maml:name='Quiet']/dev:defaultValue" | Should -Be 'False'
        Select-Maml "//command:syntaxItem/command:parameter[maml:name='Quiet']/command:parameterValue" | Should -HaveCount 0
        Get-MamlText "$parameters[maml:name='Quiet']/command:parameterValue" | Should -Be 'SwitchParameter'
    }

    It 'rebuilds one syntax item per parameter set from the yaml, positional and mandatory parameters first' {
        $items = @(Select-Maml '//command:syntax/command:syntaxItem')
        $items | Should -HaveCount 2
        $items[0].SelectNodes('command:parameter/maml:name', $ns).InnerText | Should -Be 'Path', 'Mode', 'Quiet'
        $items[1].SelectNodes('command:parameter/maml:name', $ns).InnerText | Should -Be 'Id', 'Mode', 'Quiet'
        Select-Maml "//command:syntaxItem/command:parameter[maml:name='Hidden']" | Should -HaveCount 0 -Because 'no SYNTAX block shows -Hidden'
        Get-MamlText "$parameters[maml:name='Hidden']/maml:description/maml:para" | Should -BeLike 'Bound only from the pipeline*'
        $values = $items[0].SelectNodes("command:parameter[maml:name='Mode']/command:parameterValueGroup/command:parameterValue", $ns)
        $values.InnerText | Should -Be 'Fast', 'Safe'
    }

    It 'writes inputs, outputs, notes and related links' {
        Get-MamlText '//command:inputTypes/command:inputType/dev:type/maml:name' | Should -Be 'System.String[]'
        Get-MamlText '//command:returnValues/command:returnValue/dev:type/maml:name' | Should -Be 'System.Object'
        Get-MamlText '//maml:alertSet/maml:alert/maml:para' | Should -Be 'A note.'
        $links = Select-Maml '//command:relatedLinks/maml:navigationLink'
        $links.SelectNodes('maml:linkText', $ns).InnerText | Should -Be 'Online help', 'about_HelpFixture'
        # Get-Help wants absolute URIs; links between pages keep their text only.
        $links.SelectNodes('maml:uri', $ns).InnerText | Should -Be 'https://example.com/help', ''
    }

    It 'writes the about topic as plain text with upper-case headings, wrapped at 80 columns' {
        $lines = Get-Content (Join-Path $out 'about_HelpFixture.help.txt')
        $lines[0..1] | Should -Be 'TOPIC', '    about_helpfixture'
        $lines | Should -Contain 'SHORT DESCRIPTION'
        $lines | Should -Contain 'LONG DESCRIPTION'
        $lines | Should -Contain '    A SUBSECTION'
        $lines | Should -Contain '    Get-Help about_HelpFixture'
        $lines | Where-Object Length -GT 80 | Should -BeNullOrEmpty
        ($lines | Where-Object { $_ -like '    - A list item*' }) | Should -HaveCount 1
        $lines[$lines.IndexOf(($lines | Where-Object { $_ -like '    - A list item*' })) + 1] | Should -Match '^      \S'
    }

    It 'rejects the malformed fixture, naming the file and line' {
        $malformed = Join-Path $PSScriptRoot 'fixtures/help-malformed'
        $line = (Select-String -Path "$malformed/Test-Malformed.md" -Pattern '^## EXAMPLE$').LineNumber
        { ConvertTo-MamlHelp -SourcePath $malformed -DestinationPath (Join-Path $TestDrive 'bad') } |
            Should -Throw -ErrorId 'InvalidHelpMarkdown,ConvertTo-MamlHelp' -ExpectedMessage "*Test-Malformed.md:${line}:*unknown section*"
    }

    It 'rejects a page with <Case>, naming the file and line' -ForEach @(
        @{ Case = 'an unknown section'; Replace = "## NOTES`n"; With = "## REMARKS`n"; At = '## REMARKS'; Message = 'unknown section' }
        @{ Case = 'a missing section'; Replace = "## NOTES`nA note.`n"; With = ''; At = '## RELATED LINKS'; Message = 'NOTES*missing' }
        @{ Case = 'sections out of order'; Replace = "## OUTPUTS`n`n### System.Object`n`n## NOTES`nA note.`n"; With = "## NOTES`nA note.`n`n## OUTPUTS`n`n### System.Object`n"; At = '## NOTES'; Message = 'out of order' }
        @{ Case = 'an unknown yaml key'; Replace = "Accept wildcard characters: True"; With = 'Accepts wildcards: True'; At = 'Accepts wildcards: True'; Message = "unknown key 'Accepts wildcards'" }
        @{ Case = 'a missing yaml key'; Replace = "Default value: Safe`n"; With = ''; At = 'Aliases: m'; Offset = -3; Message = "no 'Default value'" }
        @{ Case = 'a parameter set that SYNTAX does not name'; Replace = 'Parameter Sets: Id'; With = 'Parameter Sets: Key'; At = '### -Id'; Offset = 3; Message = "set 'Key'" }
        @{ Case = 'parameters out of order'; Replace = "### -Id`n"; With = "### -Zd`n"; At = '### -Mode'; Message = '-Mode is out of order' }
    ) {
        $source = Join-Path $TestDrive "bad-$([guid]::NewGuid())"
        New-Item -ItemType Directory $source | Out-Null
        $text = (Get-Content (Join-Path $PSScriptRoot 'fixtures/help/Test-HelpFixture.md') -Raw) -replace "`r`n", "`n"
        $text.Contains($Replace) | Should -BeTrue -Because 'the mutation must apply'
        $file = Join-Path $source 'Test-HelpFixture.md'
        Set-Content -Path $file -Value $text.Replace($Replace, $With) -NoNewline
        $line = (Select-String -Path $file -Pattern $At -SimpleMatch | Select-Object -First 1).LineNumber
        if ($_.Contains('Offset')) { $line += $Offset }
        { ConvertTo-MamlHelp -SourcePath $source -DestinationPath (Join-Path $source 'out') } |
            Should -Throw -ErrorId 'InvalidHelpMarkdown,ConvertTo-MamlHelp' -ExpectedMessage "*Test-HelpFixture.md:${line}: *$Message*"
    }
}

Describe 'Update-MarkdownHelp' {
    BeforeAll {
        $copy = Join-Path $TestDrive 'docs'
        Copy-Item $Docs $copy -Recurse
    }

    It 'finds nothing to change in the committed pages' {
        $changed = @(Update-MarkdownHelp -Path $copy -Module ShmPS | ForEach-Object Name)
        $changed | Should -BeNullOrEmpty -Because 'the pages must match the module: run Update-MarkdownHelp and commit the result'
    }

    It 'adds missing parameters, removes stale ones, keeps descriptions and written defaults, and creates missing pages' {
        $resize = Join-Path $copy 'Resize-SharedMemory.md'
        $original = Read-MarkdownHelp $resize
        $text = (Get-Content $resize -Raw) -replace "`r`n", "`n"
        # Drop -Sparse, add a stale -Stale in its place, and give -Size a written default.
        $sparse = [regex]::Match($text, '(?ms)^### -Sparse\n.*?(?=^### )').Value
        $text = $text.Replace($sparse, ($sparse -replace '-Sparse', '-Stale')).Replace('Default value: None', 'Default value: 4096')
        Set-Content $resize $text -NoNewline
        Remove-Item (Join-Path $copy 'Get-SharedMemory.md')

        $changed = @(Update-MarkdownHelp -Path $copy -Module ShmPS | ForEach-Object Name)

        $changed | Should -Contain 'Resize-SharedMemory.md'
        $changed | Should -Contain 'Get-SharedMemory.md'
        $updated = Read-MarkdownHelp $resize
        $updated.Parameters.Name | Should -Be $original.Parameters.Name
        ($updated.Parameters | Where-Object Name -EQ 'Sparse').Description | Should -Be '{{ Fill Sparse Description }}'
        ($updated.Parameters | Where-Object Name -EQ 'Size').Description | Should -Be ($original.Parameters | Where-Object Name -EQ 'Size').Description
        ($updated.Parameters | Where-Object Name -EQ 'Size').Yaml[0].'Default value' | Should -Be '4096'
        $created = Read-MarkdownHelp (Join-Path $copy 'Get-SharedMemory.md')
        $created.Synopsis | Should -Be '{{ Fill in the Synopsis }}'
        # Every parameter of the cmdlet, in the schema's order (Get-SharedMemory has no -Confirm or -WhatIf).
        $expected = @((Get-Command Get-SharedMemory).Parameters.Keys | Where-Object { $_ -notin $CommonParameters } | Sort-Object)
        $created.Parameters.Name | Should -Be $expected
        $created.Parameters | Where-Object { $_.Description -notlike '{{ Fill * Description }}' } | Should -BeNullOrEmpty
        Get-Content (Join-Path $copy 'ShmPS.md') -Raw | Should -Match ([regex]::Escape('### [Get-SharedMemory](Get-SharedMemory.md)'))
    }
}
