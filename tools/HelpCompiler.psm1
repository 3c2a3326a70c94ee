<#
PlatyPS (0.14, schema 2.0.0) without PlatyPS: the markdown pages in docs/en-US are compiled to the MAML
and about text that Get-Help reads, and refreshed from the built module's metadata.

Refresh the pages after a cmdlet's parameters change (build first, in a fresh pwsh: a binary module
cannot be reloaded):

    dotnet pwsh ./build.ps1 -Task Build
    dotnet pwsh -c 'Import-Module ./tools/HelpCompiler.psm1; Update-MarkdownHelp -Path docs/en-US -Module ShmPS'

Update-MarkdownHelp imports the module if it is not loaded (from PSModulePath, else the staged build in
output/). ConvertTo-MamlHelp runs during `build.ps1 -Task Build`. Read-MarkdownHelp returns one parsed page;
the tests use it. The grammar is PlatyPS's schema 2.0.0, checked strictly: a page that breaks it is a
terminating InvalidHelpMarkdown error that names the file and line. Self-contained on purpose: no PlatyPS, no YAML module, PowerShell 7.4+.
#>

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:SectionOrder = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'
$script:YamlKeys = 'Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Required', 'Position', 'Default value',
    'Accept pipeline input', 'Accept wildcard characters'
$script:PipelineValues = 'False', 'True (ByValue)', 'True (ByPropertyName)', 'True (ByPropertyName, ByValue)'
$script:AboutSections = 'SHORT DESCRIPTION', 'LONG DESCRIPTION', 'EXAMPLES', 'NOTE', 'TROUBLESHOOTING NOTE', 'SEE ALSO', 'KEYWORDS'
$script:CommonParametersText = 'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, ' +
    '-InformationAction, -InformationVariable, -OutVariable, -OutBuffer, -PipelineVariable, -ProgressAction, -Verbose, ' +
    '-WarningAction, and -WarningVariable. For more information, see ' +
    '[about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).'
# PlatyPS's standard descriptions for the ShouldProcess parameters.
$script:StandardDescriptions = @{
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
}
$script:Ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}

#region Markdown reading

function Stop-HelpParse {
    <# Fails the parse of a page; the public functions turn this into an InvalidHelpMarkdown error. #>
    param([string] $File, [int] $Line, [string] $Message)
    throw [System.IO.InvalidDataException]::new("${File}:${Line}: $Message")
}

function Split-MarkdownBlock {
    <#
    Cuts markdown lines into blocks: Heading (Level, Text), Code (Language, Text) and Text (Lines: one
    paragraph or list, ended by a blank line). Every block knows its first line number.
    #>
    param([string[]] $Lines, [int] $FirstLine, [string] $File)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $i = 0
    while ($i -lt $Lines.Count) {
        $number = $FirstLine + $i
        if ($Lines[$i] -match '^(`{3,})\s*([\w-]*)\s*$') {
            $fence = $Matches[1]
            $language = $Matches[2]
            $end = $i + 1
            while ($end -lt $Lines.Count -and $Lines[$end] -notmatch "^$fence``*\s*$") { $end++ }
            if ($end -ge $Lines.Count) { Stop-HelpParse $File $number 'this code block is never closed.' }
            $text = [string]::Join("`n", $Lines, $i + 1, $end - $i - 1)
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Line = $number; Language = $language; Text = $text })
            $i = $end + 1
        }
        elseif ($Lines[$i] -match '^(#{1,6})\s+(.*?)\s*$') {
            $blocks.Add([pscustomobject]@{ Kind = 'Heading'; Line = $number; Level = $Matches[1].Length; Text = $Matches[2] })
            $i++
        }
        elseif ($Lines[$i].Trim() -eq '') {
            $i++
        }
        else {
            $start = $i
            while ($i -lt $Lines.Count -and $Lines[$i].Trim() -ne '' -and $Lines[$i] -notmatch '^(#{1,6}\s|```)') { $i++ }
            $blocks.Add([pscustomobject]@{ Kind = 'Text'; Line = $number; Lines = [string[]]$Lines[$start..($i - 1)] })
        }
    }
    , $blocks
}

function Read-FrontMatter {
    <# The YAML header between the --- lines, as an ordered dictionary; also the line after it. #>
    param([string[]] $Lines, [string] $File)
    if ($Lines.Count -eq 0 -or $Lines[0] -ne '---') { Stop-HelpParse $File 1 "the page must start with a '---' metadata header." }
    $metadata = [ordered]@{}
    for ($i = 1; $i -lt $Lines.Count; $i++) {
        if ($Lines[$i] -eq '---') {
            return [pscustomobject]@{ Metadata = $metadata; NextLine = $i + 1 }
        }
        if ($Lines[$i] -notmatch '^([^:]+):\s*(.*?)\s*$') { Stop-HelpParse $File ($i + 1) "expected 'key: value' in the metadata header." }
        $metadata[$Matches[1]] = $Matches[2]
    }
    Stop-HelpParse $File 1 "the metadata header is never closed with '---'."
}

function Group-ByHeading {
    <#
    Splits blocks at headings of one level: a group per heading (Heading, Blocks) plus the blocks before
    the first heading (Heading = $null). With -Nested, headings one level deeper stay inside the groups;
    any other heading is an error.
    #>
    param($Blocks, [int] $Level, [string] $File, [switch] $Nested)
    $groups = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Heading = $null; Blocks = [System.Collections.Generic.List[object]]::new() }
    foreach ($block in $Blocks) {
        if ($block.Kind -eq 'Heading' -and $block.Level -eq $Level) {
            $groups.Add($current)
            $current = [pscustomobject]@{ Heading = $block; Blocks = [System.Collections.Generic.List[object]]::new() }
        }
        elseif ($block.Kind -eq 'Heading' -and -not ($Nested -and $block.Level -eq $Level + 1)) {
            Stop-HelpParse $File $block.Line "unexpected heading level $($block.Level) here: '$('#' * $block.Level) $($block.Text)'."
        }
        else {
            $current.Blocks.Add($block)
        }
    }
    $groups.Add($current)
    , $groups
}

function Assert-TextOnly {
    param($Blocks, [string] $Where, [string] $File)
    foreach ($block in $Blocks) {
        if ($block.Kind -ne 'Text') { Stop-HelpParse $File $block.Line "$Where may only hold text, not a $($block.Kind.ToLower()) block." }
    }
}

function ConvertTo-Paragraph {
    <# MAML paragraphs from text blocks: wrapped lines are joined; each list item is its own paragraph. #>
    param($Blocks)
    foreach ($block in $Blocks) {
        $paragraph = $null
        foreach ($line in $block.Lines) {
            $text = $line.Trim()
            if ($null -eq $paragraph) { $paragraph = $text }
            elseif ($text -match '^([-*+]|\d+\.)\s') { $paragraph; $paragraph = $text }
            else { $paragraph += ' ' + $text }
        }
        $paragraph
    }
}

function Get-RawText {
    <# The source of a run of lines, without leading and trailing blank lines (kept verbatim by updates). #>
    param([string[]] $Lines, [int] $From, [int] $To)
    $first = $From; $last = $To
    while ($first -le $last -and $Lines[$first - 1].Trim() -eq '') { $first++ }
    while ($last -ge $first -and $Lines[$last - 1].Trim() -eq '') { $last-- }
    if ($first -gt $last) { return '' }
    [string]::Join("`n", $Lines, $first - 1, $last - $first + 1)
}

function Read-YamlBlock {
    <# The key: value pairs of a parameter's yaml block, checked against the schema's keys and values. #>
    param($Block, [string[]] $SetNames, [string] $File)
    $yaml = [ordered]@{}
    $lines = $Block.Text -split "`n"
    for ($i = 0; $i -lt $lines.Count; $i++) {
        $number = $Block.Line + 1 + $i
        if ($lines[$i].Trim() -eq '') { continue }
        if ($lines[$i] -notmatch '^([^:]+):(.*)$') { Stop-HelpParse $File $number "expected 'key: value' in the yaml block." }
        $key = $Matches[1].Trim()
        $value = $Matches[2].Trim()
        if ($key -cnotin $script:YamlKeys) { Stop-HelpParse $File $number "unknown key '$key' in the yaml block; the keys are: $($script:YamlKeys -join ', ')." }
        if ($yaml.Contains($key)) { Stop-HelpParse $File $number "the key '$key' appears twice." }
        $valid = switch ($key) {
            'Required' { $value -cin 'True', 'False' }
            'Accept wildcard characters' { $value -cin 'True', 'False' }
            'Position' { $value -cmatch '^(Named|\d+)$' }
            'Accept pipeline input' { $value -cin $script:PipelineValues }
            'Type' { $value -ne '' }
            default { $true }
        }
        if (-not $valid) { Stop-HelpParse $File $number "'$value' is not a valid value for '$key'." }
        $yaml[$key] = $value
    }
    foreach ($key in $script:YamlKeys) {
        if ($key -ne 'Accepted values' -and -not $yaml.Contains($key)) { Stop-HelpParse $File $Block.Line "the yaml block has no '$key' key." }
    }
    $sets = @(if ($yaml['Parameter Sets'] -eq '(All)') { $SetNames } else { $yaml['Parameter Sets'] -split ',' | ForEach-Object Trim })
    foreach ($set in $sets) {
        if ($set -notin $SetNames) { Stop-HelpParse $File $Block.Line "parameter set '$set' has no '### $set' heading under SYNTAX." }
    }
    $yaml['Sets'] = $sets
    $yaml
}

function Read-SyntaxSection {
    param($Section, [string] $File)
    $groups = Group-ByHeading $Section.Blocks 3 $File
    if ($groups[0].Blocks.Count) { Stop-HelpParse $File $groups[0].Blocks[0].Line "SYNTAX holds '### ParameterSetName' headings, each with one code block." }
    if ($groups.Count -eq 1) { Stop-HelpParse $File $Section.Line 'SYNTAX has no parameter set.' }
    foreach ($group in $groups | Select-Object -Skip 1) {
        if ($group.Blocks.Count -ne 1 -or $group.Blocks[0].Kind -ne 'Code') {
            Stop-HelpParse $File $group.Heading.Line "the parameter set '$($group.Heading.Text)' needs exactly one code block."
        }
        [pscustomobject]@{
            Name      = $group.Heading.Text -replace '\s*\(Default\)$'
            IsDefault = $group.Heading.Text -match '\(Default\)$'
            Code      = $group.Blocks[0].Text
        }
    }
}

function Read-ExampleSection {
    param($Section, [string] $File)
    $groups = Group-ByHeading $Section.Blocks 3 $File
    if ($groups[0].Blocks.Count) { Stop-HelpParse $File $groups[0].Blocks[0].Line "EXAMPLES holds '### Example N: title' headings." }
    foreach ($group in $groups | Select-Object -Skip 1) {
        if ($group.Heading.Text -notmatch '^Example \d+(:\s.+)?$') {
            Stop-HelpParse $File $group.Heading.Line "an example title reads 'Example N: title', not '$($group.Heading.Text)'."
        }
        $code = @($group.Blocks | Where-Object Kind -EQ 'Code')
        if (-not $code) { Stop-HelpParse $File $group.Heading.Line "the example '$($group.Heading.Text)' has no code block." }
        # Text before the first code block is an introduction that the MAML does not carry.
        $afterCode = @($group.Blocks | Where-Object Line -GT $code[0].Line | Where-Object Kind -EQ 'Text')
        [pscustomobject]@{
            Title   = $group.Heading.Text
            Line    = $group.Heading.Line
            Code    = ($code.Text -join "`n`n")
            Remarks = @(ConvertTo-Paragraph $afterCode)
        }
    }
}

function Read-ParameterSection {
    param($Section, [string[]] $SetNames, [string[]] $Lines, [string] $File)
    $groups = Group-ByHeading $Section.Blocks 3 $File
    if ($groups[0].Blocks.Count) { Stop-HelpParse $File $groups[0].Blocks[0].Line "PARAMETERS holds '### -Name' headings and '### CommonParameters'." }
    $last = $groups[$groups.Count - 1]
    if ($groups.Count -eq 1 -or $last.Heading.Text -ne 'CommonParameters') {
        Stop-HelpParse $File $(if ($groups.Count -gt 1) { $last.Heading.Line } else { $Section.Line }) "PARAMETERS must end with '### CommonParameters'."
    }
    Assert-TextOnly $last.Blocks 'CommonParameters' $File
    $previous = $null
    foreach ($group in $groups | Select-Object -Skip 1 | Select-Object -SkipLast 1) {
        $heading = $group.Heading
        if ($heading.Text -notmatch '^-(\w+)$') { Stop-HelpParse $File $heading.Line "expected a parameter heading '### -Name', not '### $($heading.Text)'." }
        $name = $Matches[1]
        if ($null -ne $previous -and (Compare-ParameterOrder $previous $name) -ge 0) {
            Stop-HelpParse $File $heading.Line "-$name is out of order: parameters are alphabetical, with -Confirm and -WhatIf last."
        }
        $previous = $name
        # The description (text), then one or more yaml blocks.
        $firstCode = @($group.Blocks | Where-Object Kind -EQ 'Code')
        if (-not $firstCode) { Stop-HelpParse $File $heading.Line "-$name has no yaml block." }
        $description = @($group.Blocks | Where-Object Line -LT $firstCode[0].Line)
        $yamlBlocks = @($group.Blocks | Where-Object Line -GE $firstCode[0].Line)
        foreach ($block in $yamlBlocks) {
            if ($block.Kind -ne 'Code' -or $block.Language -ne 'yaml') { Stop-HelpParse $File $block.Line "after the description of -$name only yaml blocks may follow." }
        }
        $descriptionText = if ($description) { Get-RawText $Lines $description[0].Line ($yamlBlocks[0].Line - 1) } else { '' }
        [pscustomobject]@{
            Name            = $name
            Line            = $heading.Line
            Description     = @(ConvertTo-Paragraph $description)
            DescriptionText = $descriptionText
            Yaml            = @($yamlBlocks | ForEach-Object { Read-YamlBlock $_ $SetNames $File })
        }
    }
}

function Compare-ParameterOrder {
    <# The schema's order: alphabetical, then -Confirm, then -WhatIf. #>
    param([string] $A, [string] $B)
    $rank = { param($n) if ($n -eq 'Confirm') { 1 } elseif ($n -eq 'WhatIf') { 2 } else { 0 } }
    $byRank = (& $rank $A).CompareTo((& $rank $B))
    if ($byRank) { return $byRank }
    [string]::Compare($A, $B, [StringComparison]::OrdinalIgnoreCase)
}

function Read-TypeSection {
    <# INPUTS or OUTPUTS: '### Type.Name' headings, each with an optional sentence. #>
    param($Section, [string] $File)
    $groups = Group-ByHeading $Section.Blocks 3 $File
    if ($groups[0].Blocks.Count) { Stop-HelpParse $File $groups[0].Blocks[0].Line "$($Section.Name) holds '### Type.Name' headings." }
    foreach ($group in $groups | Select-Object -Skip 1) {
        Assert-TextOnly $group.Blocks "'### $($group.Heading.Text)'" $File
        [pscustomobject]@{ Type = $group.Heading.Text; Description = @(ConvertTo-Paragraph $group.Blocks) }
    }
}

function Read-LinkSection {
    param($Section, [string] $File)
    Assert-TextOnly $Section.Blocks 'RELATED LINKS' $File
    foreach ($block in $Section.Blocks) {
        for ($i = 0; $i -lt $block.Lines.Count; $i++) {
            if ($block.Lines[$i].Trim() -notmatch '^\[([^\]]+)\]\(([^)]*)\)$') {
                Stop-HelpParse $File ($block.Line + $i) "RELATED LINKS holds one '[text](uri)' link per line."
            }
            [pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[2] }
        }
    }
}

function Read-CommandPage {
    <# Parses and validates one cmdlet page (schema 2.0.0). #>
    param([string] $Path)
    $lines = [string[]](Get-Content -LiteralPath $Path)
    $header = Read-FrontMatter $lines $Path
    foreach ($key in 'external help file', 'Module Name', 'online version', 'schema') {
        if (-not $header.Metadata.Contains($key)) { Stop-HelpParse $Path 1 "the metadata header has no '$key'." }
    }
    if ($header.Metadata['schema'] -ne '2.0.0') { Stop-HelpParse $Path 1 "schema '$($header.Metadata['schema'])' is not 2.0.0." }

    $body = [string[]]@($lines | Select-Object -Skip $header.NextLine)
    $blocks = Split-MarkdownBlock $body ($header.NextLine + 1) $Path
    $name = [IO.Path]::GetFileNameWithoutExtension($Path)
    if (-not $blocks.Count -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) {
        Stop-HelpParse $Path ($header.NextLine + 1) "expected the title '# $name' after the metadata header."
    }
    if ($blocks[0].Text -ne $name) { Stop-HelpParse $Path $blocks[0].Line "the title '# $($blocks[0].Text)' does not match the file name $name.md." }

    # The ## sections, exactly the schema's, in its order.
    $groups = Group-ByHeading ($blocks | Select-Object -Skip 1) 2 $Path -Nested
    $byHeading = [System.Collections.Generic.List[object]]::new()
    foreach ($group in $groups) {
        if ($null -eq $group.Heading) {
            if ($group.Blocks.Count) { Stop-HelpParse $Path $group.Blocks[0].Line "only '## SECTION' headings may follow the title." }
            continue
        }
        $byHeading.Add($group)
    }
    $sections = [ordered]@{}
    for ($i = 0; $i -lt $script:SectionOrder.Count; $i++) {
        $expected = $script:SectionOrder[$i]
        $group = if ($i -lt $byHeading.Count) { $byHeading[$i] } else { $null }
        if ($null -eq $group) {
            Stop-HelpParse $Path $lines.Count "the section '## $expected' is missing."
        }
        $text = $group.Heading.Text
        if ($text -cne $expected) {
            if ($text -cnotin $script:SectionOrder) { Stop-HelpParse $Path $group.Heading.Line "unknown section '## $text'; the sections are: $($script:SectionOrder -join ', ')." }
            $later = @($byHeading | Select-Object -Skip ($i + 1) | Where-Object { $_.Heading.Text -ceq $expected })
            if ($later -or $text -in $sections.Keys) { Stop-HelpParse $Path $group.Heading.Line "the section '## $text' is out of order or repeated; expected '## $expected' here." }
            Stop-HelpParse $Path $group.Heading.Line "the section '## $expected' is missing before '## $text'."
        }
        $end = if ($i + 1 -lt $byHeading.Count) { $byHeading[$i + 1].Heading.Line - 1 } else { $lines.Count }
        $sections[$expected] = [pscustomobject]@{
            Name   = $expected
            Line   = $group.Heading.Line
            Blocks = $group.Blocks
            Raw    = Get-RawText $lines ($group.Heading.Line + 1) $end
        }
    }
    if ($byHeading.Count -gt $script:SectionOrder.Count) {
        $extra = $byHeading[$script:SectionOrder.Count].Heading
        Stop-HelpParse $Path $extra.Line "unknown or repeated section '## $($extra.Text)' after RELATED LINKS."
    }

    Assert-TextOnly $sections.SYNOPSIS.Blocks 'SYNOPSIS' $Path
    if (-not $sections.SYNOPSIS.Blocks.Count) { Stop-HelpParse $Path $sections.SYNOPSIS.Line 'the SYNOPSIS is empty.' }
    Assert-TextOnly $sections.DESCRIPTION.Blocks 'DESCRIPTION' $Path
    Assert-TextOnly $sections.NOTES.Blocks 'NOTES' $Path
    $syntax = @(Read-SyntaxSection $sections.SYNTAX $Path)
    [pscustomobject]@{
        Path        = $Path
        Name        = $name
        Metadata    = $header.Metadata
        Sections    = $sections
        Synopsis    = @(ConvertTo-Paragraph $sections.SYNOPSIS.Blocks)
        Syntax      = $syntax
        Description = @(ConvertTo-Paragraph $sections.DESCRIPTION.Blocks)
        Examples    = @(Read-ExampleSection $sections.EXAMPLES $Path)
        Parameters  = @(Read-ParameterSection $sections.PARAMETERS $syntax.Name $lines $Path)
        Inputs      = @(Read-TypeSection $sections.INPUTS $Path)
        Outputs     = @(Read-TypeSection $sections.OUTPUTS $Path)
        Notes       = @(ConvertTo-Paragraph $sections.NOTES.Blocks)
        Links       = @(Read-LinkSection $sections.'RELATED LINKS' $Path)
    }
}

function Test-ModulePage {
    <# The module page (Module Guid in its header) is documentation only: it is never compiled. #>
    param([string] $Path)
    $first = @(Get-Content -LiteralPath $Path -TotalCount 12)
    $first.Count -gt 0 -and $first[0] -eq '---' -and ($first -match '^Module Guid:').Count -gt 0
}

function Read-MarkdownHelp {
    <#
    .SYNOPSIS
        Parses and validates a cmdlet page (PlatyPS schema 2.0.0) and returns its parts.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string] $Path)
    process {
        $file = (Resolve-Path -LiteralPath $Path).ProviderPath
        try {
            Read-CommandPage $file
        }
        catch [System.IO.InvalidDataException] {
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $_.Exception, 'InvalidHelpMarkdown', 'InvalidData', $file))
        }
    }
}

#endregion

#region MAML

function Write-Paragraphs {
    param([System.Xml.XmlWriter] $Writer, [string] $Element, [string[]] $Paragraphs)
    $prefix, $local = $Element -split ':'
    $Writer.WriteStartElement($prefix, $local, $script:Ns[$prefix])
    foreach ($paragraph in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $script:Ns.maml, $paragraph) }
    $Writer.WriteEndElement()
}

function Write-MamlParameter {
    <# command:parameter as PlatyPS writes it; in a syntax item switches carry no value and enums list theirs. #>
    param([System.Xml.XmlWriter] $Writer, $Parameter, $Yaml, [switch] $InSyntax)
    $isSwitch = $Yaml.Type -eq 'SwitchParameter'
    $w = $Writer
    $w.WriteStartElement('command', 'parameter', $script:Ns.command)
    $w.WriteAttributeString('required', $Yaml.Required.ToLowerInvariant())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', $Yaml.'Accept wildcard characters'.ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $Yaml.'Accept pipeline input')
    $w.WriteAttributeString('position', $Yaml.Position.ToLowerInvariant())
    $w.WriteAttributeString('aliases', $(if ($Yaml.Aliases) { $Yaml.Aliases } else { 'none' }))
    $w.WriteElementString('maml', 'name', $script:Ns.maml, $Parameter.Name)
    Write-Paragraphs $w 'maml:description' $Parameter.Description
    if ($InSyntax -and $Yaml.Contains('Accepted values') -and $Yaml.'Accepted values') {
        $w.WriteStartElement('command', 'parameterValueGroup', $script:Ns.command)
        foreach ($value in $Yaml.'Accepted values' -split ',') {
            $w.WriteStartElement('command', 'parameterValue', $script:Ns.command)
            $w.WriteAttributeString('required', 'false')
            $w.WriteAttributeString('variableLength', 'false')
            $w.WriteString($value.Trim())
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    if (-not ($InSyntax -and $isSwitch)) {
        $w.WriteStartElement('command', 'parameterValue', $script:Ns.command)
        $w.WriteAttributeString('required', $(if ($isSwitch) { 'false' } else { 'true' }))
        $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($Yaml.Type)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $script:Ns.dev)
    $w.WriteElementString('maml', 'name', $script:Ns.maml, $Yaml.Type)
    $w.WriteElementString('maml', 'uri', $script:Ns.maml, '')
    $w.WriteEndElement()
    $default = $Yaml.'Default value'
    if ($isSwitch -and $default -in '', 'None') { $default = 'False' }
    $w.WriteElementString('dev', 'defaultValue', $script:Ns.dev, $(if ($default) { $default } else { 'None' }))
    $w.WriteEndElement()
}

function Format-ExampleTitle {
    <# PlatyPS's padding: dashes on both sides up to about 64 characters. #>
    param([string] $Title)
    if ([string]::IsNullOrWhiteSpace($Title) -or $Title.Length -ge 62) { return $Title }
    $dashes = '-' * [Math]::Floor((64 - $Title.Length - 2) / 2)
    "$dashes $Title $dashes"
}

function Get-SyntaxParameter {
    <#
    The parameters of one parameter set with the yaml block that applies there, in Get-Command's order:
    positional ones by position, then mandatory ones, then the rest in the page's order.
    #>
    param($Page, [string] $SetName)
    # A parameter the set's SYNTAX block does not show (DontShow: bound only from the pipeline) is left out
    # of the syntax item too, so that Get-Help's syntax is the page's; it keeps its entry under PARAMETERS.
    $shown = ($Page.Syntax | Where-Object Name -EQ $SetName | Select-Object -First 1).Code
    $entries = foreach ($parameter in $Page.Parameters) {
        $yaml = $parameter.Yaml | Where-Object { $SetName -in $_.Sets } | Select-Object -First 1
        if ($yaml -and $shown -match "(^|[\s\[])-$([regex]::Escape($parameter.Name))(\]|\s|$)") {
            [pscustomobject]@{ Parameter = $parameter; Yaml = $yaml }
        }
    }
    $entries | Sort-Object -Stable {
        if ($_.Yaml.Position -ne 'Named') { [int]$_.Yaml.Position } elseif ($_.Yaml.Required -eq 'True') { [int]::MaxValue - 1 } else { [int]::MaxValue }
    }
}

function Write-MamlCommand {
    param([System.Xml.XmlWriter] $Writer, $Page)
    $w = $Writer
    $verb, $noun = $Page.Name -split '-', 2
    $w.WriteStartElement('command', 'command', $script:Ns.command)
    foreach ($prefix in 'maml', 'command', 'dev', 'MSHelp') {
        $w.WriteAttributeString('xmlns', $prefix, $null, $script:Ns[$prefix])
    }
    $w.WriteStartElement('command', 'details', $script:Ns.command)
    $w.WriteElementString('command', 'name', $script:Ns.command, $Page.Name)
    $w.WriteElementString('command', 'verb', $script:Ns.command, $verb)
    $w.WriteElementString('command', 'noun', $script:Ns.command, $noun)
    Write-Paragraphs $w 'maml:description' $Page.Synopsis
    $w.WriteEndElement()
    Write-Paragraphs $w 'maml:description' $Page.Description

    $w.WriteStartElement('command', 'syntax', $script:Ns.command)
    foreach ($set in $Page.Syntax) {
        $w.WriteStartElement('command', 'syntaxItem', $script:Ns.command)
        $w.WriteElementString('maml', 'name', $script:Ns.maml, $Page.Name)
        foreach ($entry in Get-SyntaxParameter $Page $set.Name) {
            Write-MamlParameter $w $entry.Parameter $entry.Yaml -InSyntax
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $script:Ns.command)
    foreach ($parameter in $Page.Parameters) { Write-MamlParameter $w $parameter $parameter.Yaml[0] }
    $w.WriteEndElement()

    foreach ($kind in @{ List = 'inputTypes'; Item = 'inputType'; Entries = $Page.Inputs }, @{ List = 'returnValues'; Item = 'returnValue'; Entries = $Page.Outputs }) {
        $w.WriteStartElement('command', $kind.List, $script:Ns.command)
        foreach ($entry in $kind.Entries) {
            $w.WriteStartElement('command', $kind.Item, $script:Ns.command)
            $w.WriteStartElement('dev', 'type', $script:Ns.dev)
            $w.WriteElementString('maml', 'name', $script:Ns.maml, $entry.Type)
            $w.WriteEndElement()
            Write-Paragraphs $w 'maml:description' $entry.Description
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    $w.WriteStartElement('maml', 'alertSet', $script:Ns.maml)
    Write-Paragraphs $w 'maml:alert' $Page.Notes
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'examples', $script:Ns.command)
    foreach ($example in $Page.Examples) {
        $w.WriteStartElement('command', 'example', $script:Ns.command)
        $w.WriteElementString('maml', 'title', $script:Ns.maml, (Format-ExampleTitle $example.Title))
        $w.WriteElementString('dev', 'code', $script:Ns.dev, $example.Code)
        Write-Paragraphs $w 'dev:remarks' $example.Remarks
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $script:Ns.command)
    foreach ($link in $Page.Links) {
        # Get-Help wants real URIs; relative links between pages keep only their text, as in PlatyPS.
        $uri = if ([Uri]::IsWellFormedUriString($link.Uri, 'Absolute')) { $link.Uri } else { '' }
        $w.WriteStartElement('maml', 'navigationLink', $script:Ns.maml)
        $w.WriteElementString('maml', 'linkText', $script:Ns.maml, $link.Text)
        $w.WriteElementString('maml', 'uri', $script:Ns.maml, $uri)
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}

function Write-MamlFile {
    param([string] $Path, $Pages)
    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; IndentChars = '  '; Encoding = [System.Text.UTF8Encoding]::new($false); NewLineChars = "`n" }
    $writer = [System.Xml.XmlWriter]::Create($Path, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($page in $Pages) { Write-MamlCommand $writer $page }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }
}

#endregion

#region About topics

function Format-Wrapped {
    <# Words wrapped to 80 columns, the first line after Indent and the others after HangingIndent. #>
    param([string] $Text, [string] $Indent, [string] $HangingIndent = $Indent)
    $prefix = $Indent
    $current = ''
    foreach ($word in $Text -split '\s+' | Where-Object { $_ }) {
        if ($current -and $prefix.Length + $current.Length + 1 + $word.Length -gt 80) {
            $prefix + $current
            $prefix = $HangingIndent
            $current = $word
        }
        else {
            $current = if ($current) { "$current $word" } else { $word }
        }
    }
    if ($current) { $prefix + $current }
}

function ConvertTo-AboutText {
    <#
    The about topic as New-ExternalHelp writes it: TOPIC and the name, upper-case headings (subsections
    indented), text indented by four and wrapped at 80 columns, code and tables kept as they are.
    #>
    param([string] $Path)
    $lines = [string[]](Get-Content -LiteralPath $Path)
    $blocks = Split-MarkdownBlock $lines 1 $Path
    $topic = [IO.Path]::GetFileNameWithoutExtension($Path)
    if (-not $blocks.Count -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1 -or $blocks[0].Text -ne $topic) {
        Stop-HelpParse $Path 1 "an about topic starts with the title '# $topic'."
    }
    $headings = @($blocks | Select-Object -Skip 1 | Where-Object Kind -EQ 'Heading')
    foreach ($heading in $headings) {
        if ($heading.Level -eq 1) { Stop-HelpParse $Path $heading.Line 'an about topic has one title.' }
        if ($heading.Level -eq 2 -and $heading.Text.ToUpperInvariant() -notin $script:AboutSections) {
            Stop-HelpParse $Path $heading.Line "unknown section '## $($heading.Text)'; the sections are: $($script:AboutSections -join ', ')."
        }
    }
    $sections = @($headings | Where-Object Level -EQ 2 | ForEach-Object { $_.Text.ToUpperInvariant() })
    if ($sections.Count -lt 2 -or $sections[0] -ne 'SHORT DESCRIPTION' -or $sections[1] -ne 'LONG DESCRIPTION') {
        Stop-HelpParse $Path $blocks[0].Line "an about topic begins with '## SHORT DESCRIPTION' and then '## LONG DESCRIPTION'."
    }

    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('TOPIC')
    $out.Add('    ' + $topic.ToLowerInvariant())
    $out.Add('')
    foreach ($block in $blocks | Select-Object -Skip 1) {
        switch ($block.Kind) {
            'Heading' {
                $indent = if ($block.Level -eq 2) { '' } else { '    ' }
                $out.Add($indent + $block.Text.ToUpperInvariant())
            }
            'Code' {
                foreach ($line in $block.Text -split "`n") { $out.Add(('    ' + $line).TrimEnd()) }
                $out.Add('')
            }
            'Text' {
                if ($block.Lines[0].TrimStart().StartsWith('|')) {
                    foreach ($line in $block.Lines) { $out.Add('    ' + $line.Trim()) }
                }
                else {
                    foreach ($paragraph in ConvertTo-Paragraph $block) {
                        if ($paragraph -match '^([-*+]|\d+\.)\s') {
                            $hanging = '    ' + (' ' * ($Matches[1].Length + 1))
                            Format-Wrapped $paragraph '    ' $hanging | ForEach-Object { $out.Add($_) }
                        }
                        else {
                            Format-Wrapped $paragraph '    ' | ForEach-Object { $out.Add($_) }
                        }
                    }
                }
                $out.Add('')
            }
        }
    }
    ($out -join "`n").TrimEnd() + "`n"
}

#endregion

function ConvertTo-MamlHelp {
    <#
    .SYNOPSIS
        Compiles the PlatyPS (schema 2.0.0) pages of a folder to MAML and about text, as New-ExternalHelp does.
    .DESCRIPTION
        Every <Verb-Noun>.md page goes into the MAML file its 'external help file' header names; about_*.md
        becomes about_*.help.txt; the module page (with 'Module Guid') is skipped. A page that breaks the
        grammar stops the compilation with an InvalidHelpMarkdown error naming the file and line.
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $SourcePath,
        [Parameter(Mandatory)] [string] $DestinationPath
    )
    $source = (Resolve-Path -LiteralPath $SourcePath).ProviderPath
    $files = @(Get-ChildItem -LiteralPath $source -Filter *.md -File | Sort-Object Name)
    $current = $null
    try {
        $pages = foreach ($file in $files) {
            $current = $file.FullName
            if ($file.Name -like 'about_*.md' -or (Test-ModulePage $file.FullName)) { continue }
            Read-CommandPage $file.FullName
        }
        $abouts = foreach ($file in $files | Where-Object Name -Like 'about_*.md') {
            $current = $file.FullName
            [pscustomobject]@{ Name = $file.BaseName + '.help.txt'; Text = ConvertTo-AboutText $file.FullName }
        }
    }
    catch [System.IO.InvalidDataException] {
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
            $_.Exception, 'InvalidHelpMarkdown', 'InvalidData', $current))
    }

    New-Item -ItemType Directory -Path $DestinationPath -Force | Out-Null
    $destination = (Resolve-Path -LiteralPath $DestinationPath).ProviderPath
    foreach ($group in @($pages) | Where-Object { $_ } | Group-Object { $_.Metadata['external help file'] }) {
        $path = Join-Path $destination $group.Name
        Write-MamlFile $path $group.Group
        Get-Item -LiteralPath $path
    }
    foreach ($about in $abouts) {
        $path = Join-Path $destination $about.Name
        [IO.File]::WriteAllText($path, $about.Text, [System.Text.UTF8Encoding]::new($false))
        Get-Item -LiteralPath $path
    }
}

#region Pages from the module

function Get-HelpTypeName {
    <# The type as PlatyPS names it: the short name (String[], SwitchParameter), Nullable unwrapped. #>
    param([type] $Type)
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $Type = $underlying }
    $Type.Name
}

function Get-AcceptedValue {
    <# ValidateSet values, or the names of an enum type; flag enums combine values, so they have no list. #>
    param([System.Management.Automation.ParameterMetadata] $Parameter)
    $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return $set.ValidValues }
    $type = $Parameter.ParameterType
    if ($type.IsArray) { $type = $type.GetElementType() }
    $underlying = [Nullable]::GetUnderlyingType($type)
    if ($underlying) { $type = $underlying }
    if ($type.IsEnum -and -not $type.IsDefined([System.FlagsAttribute], $false)) { return [enum]::GetNames($type) }
}

function Get-ParameterYaml {
    <#
    The yaml blocks of a parameter from the command's metadata: one per group of parameter sets in which
    the parameter binds the same way ('(All)' when a block covers every set).
    #>
    param([System.Management.Automation.CommandInfo] $Command, [System.Management.Automation.ParameterMetadata] $Parameter, [string] $WrittenDefault)
    $type = Get-HelpTypeName $Parameter.ParameterType
    $isSwitch = $Parameter.SwitchParameter
    $accepted = @(Get-AcceptedValue $Parameter)
    $wildcards = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $default = if ($isSwitch) { 'False' } elseif ($WrittenDefault) { $WrittenDefault } else { 'None' }
    $groups = [ordered]@{}
    foreach ($set in $Command.ParameterSets) {
        $metadata = $Parameter.ParameterSets[$set.Name]
        if (-not $metadata) { $metadata = $Parameter.ParameterSets['__AllParameterSets'] }
        if (-not $metadata) { continue }
        $by = @(if ($metadata.ValueFromPipelineByPropertyName) { 'ByPropertyName' }; if ($metadata.ValueFromPipeline) { 'ByValue' })
        $binding = [ordered]@{
            Required                = "$($metadata.IsMandatory)"
            Position                = if ($metadata.Position -eq [int]::MinValue) { 'Named' } else { "$($metadata.Position)" }
            'Accept pipeline input' = if ($by) { "True ($($by -join ', '))" } else { 'False' }
        }
        $key = $binding.Values -join '|'
        if (-not $groups.Contains($key)) { $groups[$key] = [pscustomobject]@{ Binding = $binding; Sets = [System.Collections.Generic.List[string]]::new() } }
        $groups[$key].Sets.Add($set.Name)
    }
    foreach ($group in $groups.Values) {
        $sets = if ($group.Sets.Count -eq $Command.ParameterSets.Count) { '(All)' } else { $group.Sets -join ', ' }
        $yaml = [ordered]@{ Type = $type; 'Parameter Sets' = $sets; Aliases = $Parameter.Aliases -join ', ' }
        if ($accepted) { $yaml['Accepted values'] = $accepted -join ', ' }
        $yaml['Required'] = $group.Binding.Required
        $yaml['Position'] = $group.Binding.Position
        $yaml['Default value'] = $default
        $yaml['Accept pipeline input'] = $group.Binding.'Accept pipeline input'
        $yaml['Accept wildcard characters'] = "$wildcards"
        $yaml
    }
}

function Format-YamlBlock {
    param($Yaml)
    '```yaml'
    foreach ($key in $Yaml.Keys) {
        if ($key -eq 'Required') { '' } # PlatyPS separates what the parameter is from how it binds.
        if ("$($Yaml[$key])") { "${key}: $($Yaml[$key])" } else { "${key}:" }
    }
    '```'
}

function Get-DocumentedParameter {
    <# The parameters a page documents: all but the common ones, in the schema's order. #>
    param([System.Management.Automation.CommandInfo] $Command)
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + 'ProgressAction'
    $names = [System.Collections.Generic.List[string]]@($Command.Parameters.Keys | Where-Object { $_ -notin $common })
    $names.Sort([Comparison[string]] { param($a, $b) Compare-ParameterOrder $a $b })
    foreach ($name in $names) { $Command.Parameters[$name] }
}

function Test-DontShow {
    <# Whether a parameter is hidden (DontShow) in a parameter set: PlatyPS leaves such parameters out of SYNTAX. #>
    param([System.Management.Automation.CommandParameterInfo] $Parameter, [string] $SetName)
    [bool]($Parameter.Attributes | Where-Object {
        $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow -and
            $_.ParameterSetName -in $SetName, [System.Management.Automation.ParameterAttribute]::AllParameterSets })
}

function Format-SetSyntax {
    <# Get-Command's syntax of a parameter set without its hidden parameters (Get-Command -Syntax shows them). #>
    param([System.Management.Automation.CommandParameterSetInfo] $Set)
    $text = "$Set"
    foreach ($parameter in $Set.Parameters | Where-Object { Test-DontShow $_ $Set.Name }) {
        $name = [regex]::Escape($parameter.Name)
        $text = $text -replace "\s\[\[?-$name\]?( <[^>]*>)?\]", '' -replace "\s\[?-$name\]?( <[^>]*>)?(?=\s)", ''
    }
    $text
}

function Format-CommandPage {
    <# A cmdlet page with SYNTAX and PARAMETERS regenerated from the command, and the written text kept. #>
    param([System.Management.Automation.CommandInfo] $Command, $Page)
    $metadata = if ($Page) { $Page.Metadata } else { [ordered]@{} }
    $metadata['external help file'] = if ($Command.HelpFile) { $Command.HelpFile } else { "$($Command.ModuleName)-help.xml" }
    $metadata['Module Name'] = $Command.ModuleName
    if (-not $metadata.Contains('online version')) { $metadata['online version'] = '' }
    $metadata['schema'] = '2.0.0'
    $kept = {
        param($name, $placeholder)
        if ($Page -and $Page.Sections[$name].Raw) { $Page.Sections[$name].Raw } else { $placeholder }
    }
    $typeList = {
        param($types)
        $names = @($types | Where-Object { $_ -ne 'System.Void' } | Sort-Object -Unique)
        if (-not $names) { $names = 'None' }
        ($names | ForEach-Object { "### $_" }) -join "`n`n"
    }

    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('---')
    foreach ($key in $metadata.Keys) { $out.Add("${key}: $($metadata[$key])".TrimEnd()) }
    $out.AddRange([string[]]('---', '', "# $($Command.Name)", '', '## SYNOPSIS', (& $kept 'SYNOPSIS' '{{ Fill in the Synopsis }}'), '', '## SYNTAX', ''))
    foreach ($set in $Command.ParameterSets) {
        $out.Add("### $($set.Name)$(if ($set.IsDefault -and $set.Name -ne '__AllParameterSets') { ' (Default)' })")
        $out.AddRange([string[]]('```', "$($Command.Name) $(Format-SetSyntax $set)", '```', ''))
    }
    $example = "### Example 1`n``````powershell`n{{ Add example code here }}`n```````n`n{{ Add example description here }}"
    $out.AddRange([string[]]('## DESCRIPTION', (& $kept 'DESCRIPTION' '{{ Fill in the Description }}'), '', '## EXAMPLES', '', (& $kept 'EXAMPLES' $example), '', '## PARAMETERS', ''))
    foreach ($parameter in Get-DocumentedParameter $Command) {
        $written = if ($Page) { $Page.Parameters | Where-Object Name -EQ $parameter.Name } else { $null }
        $description = if ($written -and $written.DescriptionText) { $written.DescriptionText }
            elseif ($script:StandardDescriptions.ContainsKey($parameter.Name)) { $script:StandardDescriptions[$parameter.Name] }
            else { "{{ Fill $($parameter.Name) Description }}" }
        $writtenDefault = if ($written) { $written.Yaml[0].'Default value' } else { $null }
        if ($writtenDefault -in 'None', '') { $writtenDefault = $null }
        $out.AddRange([string[]]("### -$($parameter.Name)", $description, ''))
        foreach ($yaml in Get-ParameterYaml $Command $parameter $writtenDefault) {
            $out.AddRange([string[]](Format-YamlBlock $yaml))
            $out.Add('')
        }
    }
    $out.AddRange([string[]]('### CommonParameters', $script:CommonParametersText, ''))
    $inputs = foreach ($parameter in $Command.Parameters.Values) {
        if ($parameter.ParameterSets.Values.Where({ $_.ValueFromPipeline })) { $parameter.ParameterType.FullName }
    }
    $out.AddRange([string[]]('## INPUTS', '', (& $kept 'INPUTS' (& $typeList $inputs)), ''))
    $out.AddRange([string[]]('## OUTPUTS', '', (& $kept 'OUTPUTS' (& $typeList $Command.OutputType.Name)), ''))
    $out.AddRange([string[]]('## NOTES', (& $kept 'NOTES' ''), '', '## RELATED LINKS', '', (& $kept 'RELATED LINKS' '')))
    (($out -join "`n") -replace "`n{3,}", "`n`n").TrimEnd() + "`n"
}

function Format-ModulePage {
    <# The module page: header with the module's GUID, the written description, and the list of cmdlets. #>
    param([psmoduleinfo] $Module, [string] $Existing, $Pages)
    $head = if ($Existing -and $Existing -match "(?s)^(.*?)\n## $([regex]::Escape($Module.Name)) Cmdlets") { $Matches[1].TrimEnd() }
    else {
        @('---', "Module Name: $($Module.Name)", "Module Guid: $($Module.Guid)", 'Download Help Link:',
          "Help Version: $($Module.Version)", 'Locale: en-US', '---', '', "# $($Module.Name) Module", '', '## Description',
          $Module.Description) -join "`n"
    }
    $head = $head -replace '(?m)^Module Guid:.*$', "Module Guid: $($Module.Guid)"
    $list = foreach ($page in $Pages) { "### [$($page.Name)]($($page.Name).md)`n$($page.Sections.SYNOPSIS.Raw)`n" }
    "$head`n`n## $($Module.Name) Cmdlets`n`n" + ($list -join "`n")
}

function Resolve-HelpModule {
    <# The loaded module, else imported by name, else the staged build next to tools/. #>
    param([string] $Name)
    $module = Get-Module -Name $Name | Select-Object -First 1
    if ($module) { return $module }
    if (Get-Module -ListAvailable -Name $Name) { return Import-Module -Name $Name -PassThru }
    $staged = Get-ChildItem (Join-Path $PSScriptRoot "../output/$Name/*/$Name.psd1") -ErrorAction SilentlyContinue |
        Sort-Object { [version]$_.Directory.Name } | Select-Object -Last 1
    if (-not $staged) { throw "Module $Name is not loaded, not installed and not built (run ./build.ps1 -Task Build)." }
    Write-Verbose "Importing $($staged.FullName)"
    Import-Module $staged.FullName -PassThru
}

function Write-PageFile {
    <# Writes UTF-8 (no BOM, LF) only when the text changed, so unchanged pages keep their timestamps. #>
    param([string] $Path, [string] $Text)
    if ((Test-Path -LiteralPath $Path) -and [IO.File]::ReadAllText($Path) -ceq $Text) { return $false }
    [IO.File]::WriteAllText($Path, $Text, [System.Text.UTF8Encoding]::new($false))
    $true
}

function Update-MarkdownHelp {
    <#
    .SYNOPSIS
        Refreshes the cmdlet pages of a module from its metadata, as PlatyPS's Update-MarkdownHelp does.
    .DESCRIPTION
        For every exported cmdlet: SYNTAX is regenerated per parameter set; every parameter's yaml is
        regenerated (type, sets, aliases, accepted values, binding, wildcards) while its written description
        and default value are kept; new parameters get a placeholder and stale ones are removed. A cmdlet
        without a page gets a new skeleton (New-MarkdownHelp). The module page's cmdlet list is refreshed.
        Returns the files it wrote.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Module
    )
    $moduleInfo = Resolve-HelpModule $Module
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    $folder = (Resolve-Path -LiteralPath $Path).ProviderPath
    $commands = @($moduleInfo.ExportedCmdlets.Values) + @($moduleInfo.ExportedFunctions.Values) | Sort-Object Name
    foreach ($command in $commands) {
        $file = Join-Path $folder "$($command.Name).md"
        try {
            $page = if (Test-Path -LiteralPath $file) { Read-CommandPage $file } else { $null }
            $text = Format-CommandPage $command $page
        }
        catch [System.IO.InvalidDataException] {
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $_.Exception, 'InvalidHelpMarkdown', 'InvalidData', $file))
        }
        if ($PSCmdlet.ShouldProcess($file, $(if ($page) { 'Update the help page' } else { 'Create a help page' }))) {
            if (Write-PageFile $file $text) { Get-Item -LiteralPath $file }
        }
    }
    $modulePage = Join-Path $folder "$($moduleInfo.Name).md"
    $existing = if (Test-Path -LiteralPath $modulePage) { [IO.File]::ReadAllText($modulePage) }
    $parsed = @($commands | ForEach-Object {
        $file = Join-Path $folder "$($_.Name).md"
        if (Test-Path -LiteralPath $file) { Read-CommandPage $file }
    })
    if ($parsed -and $PSCmdlet.ShouldProcess($modulePage, 'Update the module page')) {
        if (Write-PageFile $modulePage (Format-ModulePage $moduleInfo $existing $parsed)) { Get-Item -LiteralPath $modulePage }
    }
}

#endregion

Export-ModuleMember -Function ConvertTo-MamlHelp, Update-MarkdownHelp, Read-MarkdownHelp, Format-SetSyntax
