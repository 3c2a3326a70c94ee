#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, documents, tests, benchmarks, packages and demonstrates ShmPS.
.DESCRIPTION
    Build    compiles the module and stages it as output/ShmPS/<version>/ (with compiled help), with the
             fault-guarded copy (src/native/*.c) as runtimes/<rid>/native/libshmps_guard.so for each
             architecture whose C compiler is installed (gcc, aarch64-linux-gnu-gcc, x86_64-linux-gnu-gcc).
    Docs     compiles docs/en-US/*.md (PlatyPS schema 2.0.0) to MAML and the about topic.
    UpdateDocs  builds, then refreshes the SYNTAX and parameter YAML of docs/en-US/*.md from
             Get-Command, keeping the written text (what PlatyPS's Update-MarkdownHelp does).
    Test     builds, then runs the unit tests (tests/unit, xUnit) and the Pester suite in a child pwsh; the
             last line is "N passed, N failed" for both together.
    Demo     builds, then runs a guided tour of the module (examples/Tour.ps1).
    Package  builds, then packs the staged module as output/packages/ShmPS.<version>.nupkg with
             PSResourceGet, installable with Install-PSResource/Save-PSResource from a local repository.
    Bench    builds, then measures ShmPS against the tools users would use instead (tools/Bench.ps1);
             prints a table of ratios and writes output/bench.json.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Docs', 'UpdateDocs', 'Test', 'Demo', 'Bench', 'Package')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tag filter for Test, e.g. -Tag Posix.
    [string[]] $Tag,

    # Pester file filter for Test, e.g. -TestPath tests/Read-SharedMemory.Tests.ps1 (commas separate several).
    [string[]] $TestPath,

    # Package or Test the module already staged, without building it again.
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$Manifest = Import-PowerShellDataFile (Join-Path $Root 'ShmPS.psd1')
$Version = $Manifest.ModuleVersion
$Output = Join-Path $Root 'output'
$Staged = Join-Path $Output "ShmPS/$Version"
$PesterVersion = '6.2.0'
# The apphost of the pwsh running this script: under `dotnet pwsh` the process is dotnet itself.
$Pwsh = Join-Path $PSHOME 'pwsh'

function Invoke-Build {
    Write-Host "Building ShmPS $Version ($Configuration)" -ForegroundColor Cyan
    $project = Join-Path $Root 'src/ShmPS/ShmPS.csproj'
    $bin = Join-Path $Output 'build'
    dotnet build $project --nologo -v quiet -c $Configuration -o $bin "-p:Version=$Version"
    if ($LASTEXITCODE) { throw "dotnet build failed ($LASTEXITCODE)" }

    if (Test-Path $Staged) { Remove-Item $Staged -Recurse -Force }
    New-Item -ItemType Directory (Join-Path $Staged 'bin') -Force | Out-Null
    Copy-Item (Join-Path $bin 'ShmPS.dll'), (Join-Path $bin 'ShmPS.Core.dll') (Join-Path $Staged 'bin')
    Copy-Item (Join-Path $Root 'ShmPS.psd1') $Staged
    Copy-Item (Join-Path $Root 'src/ShmPS/ShmPS.Format.ps1xml') $Staged
    Copy-Item (Join-Path $Root 'src/ShmPS/ShmPS.Types.ps1xml') $Staged
    Copy-Item (Join-Path $Root 'LICENSE') $Staged -ErrorAction SilentlyContinue
    Invoke-NativeBuild
    if (Test-Path (Join-Path $Root 'docs/en-US')) { Invoke-Docs }
    Write-Host "Staged $Staged"
}

function Invoke-NativeBuild {
    # The guarded copy, for every architecture ShmPS supports: the host's gcc for its own, a cross
    # compiler for the other. Without it the module still works (pread/pwrite), only slower, so a
    # missing compiler is one line, not a failure; a compile error with the compiler present is a failure.
    $sources = @((Get-ChildItem (Join-Path $Root 'src/native/*.c')).FullName)
    $hostRid = if ([Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'Arm64') { 'linux-arm64' } else { 'linux-x64' }
    $crossCompilers = [ordered]@{ 'linux-x64' = 'x86_64-linux-gnu-gcc'; 'linux-arm64' = 'aarch64-linux-gnu-gcc' }
    foreach ($rid in $crossCompilers.Keys) {
        $compiler = if ($rid -eq $hostRid) { 'gcc' } else { $crossCompilers[$rid] }
        if (-not (Get-Command $compiler -ErrorAction SilentlyContinue)) {
            Write-Warning "libshmps_guard.so for $rid not built: $compiler is not installed; ShmPS on $rid will copy through pread/pwrite instead of a guarded mapping."
            continue
        }
        $dir = Join-Path $Output "build/native/$rid"
        New-Item -ItemType Directory $dir -Force | Out-Null
        $library = Join-Path $dir 'libshmps_guard.so'
        & $compiler -O2 -fPIC -pthread -fvisibility=hidden -Wall -Wextra -Werror -shared -o $library $sources
        if ($LASTEXITCODE) { throw "$compiler failed for libshmps_guard.so ($rid, $LASTEXITCODE)" }
        $dest = Join-Path $Staged "runtimes/$rid/native"
        New-Item -ItemType Directory $dest -Force | Out-Null
        Copy-Item $library $dest
        Write-Host "Built $rid/libshmps_guard.so with $compiler"
    }
}

function Invoke-Docs {
    $helpTools = Join-Path $Root 'tools/HelpCompiler.psm1'
    if (-not (Test-Path $helpTools)) { return }
    Import-Module $helpTools -Force
    $dest = Join-Path $Staged 'en-US'
    ConvertTo-MamlHelp -SourcePath (Join-Path $Root 'docs/en-US') -DestinationPath $dest | Out-Null
    Write-Host "Help compiled to $dest"
}

function Invoke-UpdateDocs {
    Invoke-Build
    $script = {
        param($module, $tools, $docs)
        Import-Module $module
        Import-Module $tools
        Update-MarkdownHelp -Path $docs -Module ShmPS
    }
    & $Pwsh -NoProfile -NonInteractive -Command $script -args (Join-Path $Staged 'ShmPS.psd1'), (Join-Path $Root 'tools/HelpCompiler.psm1'), (Join-Path $Root 'docs/en-US')
    if ($LASTEXITCODE) { throw "Updating the help markdown failed ($LASTEXITCODE)" }
    Invoke-Docs
}

function Get-PesterModule {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $pester = Join-Path $packages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester)) {
        Write-Host "Restoring Pester $PesterVersion from NuGet" -ForegroundColor Cyan
        dotnet restore (Join-Path $Root 'tests/tools.proj') --nologo -v quiet
        if ($LASTEXITCODE) { throw "dotnet restore of Pester failed ($LASTEXITCODE)" }
    }
    $pester
}

function Invoke-UnitTest {
    <# The xUnit tests of the pure logic (tests/unit); returns their counts. #>
    Write-Host 'Unit tests (tests/unit)' -ForegroundColor Cyan
    $out = dotnet test (Join-Path $Root 'tests/unit') --nologo -v quiet 2>&1
    $exit = $LASTEXITCODE
    $out | Write-Host
    $m = [regex]::Match(($out -join "`n"), 'Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)')
    if (-not $m.Success) { return @{ Passed = 0; Failed = 1; Skipped = 0 } }
    $failed = [int]$m.Groups[1].Value
    @{ Passed = [int]$m.Groups[2].Value; Failed = $(if ($exit -and -not $failed) { 1 } else { $failed }); Skipped = [int]$m.Groups[3].Value }
}

function Invoke-Test {
    if (-not $NoBuild) { Invoke-Build }
    # A narrowed run (-TestPath, -Tag) is about the Pester files it names; the unit tests run in a full run, or when named.
    $requested = @($TestPath -split ',' | Where-Object { $_ })
    $unit = if ((-not $requested -and -not $Tag) -or ($requested -match 'tests[/\\]unit')) { Invoke-UnitTest } else { @{ Passed = 0; Failed = 0; Skipped = 0 } }
    $pesterPaths = @($requested | Where-Object { $_ -notmatch 'tests[/\\]unit' })
    if ($requested -and -not $pesterPaths) {
        "{0} passed, {1} failed, {2} skipped" -f $unit.Passed, $unit.Failed, $unit.Skipped
        if ($unit.Failed -gt 0 -or $unit.Passed -eq 0) { exit 1 }
        return
    }
    foreach ($tool in 'gcc', 'setpriv', 'unshare', 'flock', 'ipcs') {
        if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) {
            Write-Warning "$tool is not installed: the tests that need it will fail (on Debian: apt-get install gcc util-linux)."
        }
    }
    $pester = Get-PesterModule
    $result = Join-Path $Output 'test-result.json'
    Remove-Item $result -ErrorAction SilentlyContinue
    $paths = if ($pesterPaths) { $pesterPaths | ForEach-Object { (Resolve-Path $_).Path } } else { @(Join-Path $Root 'tests') }
    $config = @{
        Pester   = $pester
        Module   = Join-Path $Staged 'ShmPS.psd1'
        Paths    = $paths
        Tag      = @($Tag | Where-Object { $_ })
        Result   = $result
        JUnit    = Join-Path $Output 'test-results.xml'
    } | ConvertTo-Json -Compress
    # A binary module cannot be unloaded, so Pester runs in a child pwsh against the staged module.
    $runner = {
        param($json)
        $c = $json | ConvertFrom-Json
        Import-Module $c.Pester
        $env:SHMPS_MODULE = $c.Module
        $cfg = New-PesterConfiguration
        $cfg.Run.Path = [string[]]$c.Paths
        $cfg.Run.PassThru = $true
        $cfg.Output.Verbosity = 'Detailed'
        if ($c.Tag) { $cfg.Filter.Tag = [string[]]$c.Tag }
        $r = Invoke-Pester -Configuration $cfg
        # The JUnit report is written afterwards: a message it cannot encode must not lose the counts.
        try { $r | Export-JUnitReport -Path $c.JUnit } catch { Write-Warning "No JUnit report: $_" }
        @{ Passed = $r.PassedCount; Failed = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount; Skipped = $r.SkippedCount } |
            ConvertTo-Json | Set-Content $c.Result
    }
    # No update check or telemetry in the test processes: they open sockets and pipes in the background at
    # a time of their own, which the descriptor-leak tests would count.
    $env:POWERSHELL_UPDATECHECK = 'Off'
    $env:POWERSHELL_TELEMETRY_OPTOUT = '1'
    # The C helpers the tests build go to a world-readable folder, so that uid 65534 can run them too.
    $env:SHMPS_TESTBIN = Join-Path ([IO.Path]::GetTempPath()) "shmps-testbin-$PID"
    try {
        & $Pwsh -NoProfile -NonInteractive -Command $runner -args $config
        $childExit = $LASTEXITCODE
    }
    finally {
        Remove-Item $env:SHMPS_TESTBIN -Recurse -Force -ErrorAction SilentlyContinue
    }
    if (-not (Test-Path $result)) {
        "0 passed, 1 failed"
        throw "The Pester run did not finish (exit code $childExit)."
    }
    $r = Get-Content $result -Raw | ConvertFrom-Json
    if ($null -eq $r.Passed -or $null -eq $r.Failed) { "0 passed, 1 failed"; exit 1 }
    "{0} passed, {1} failed, {2} skipped" -f ($r.Passed + $unit.Passed), ($r.Failed + $unit.Failed), ($r.Skipped + $unit.Skipped)
    if ($r.Failed + $unit.Failed -gt 0 -or $r.Passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    & $Pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'examples/Tour.ps1') -ModulePath (Join-Path $Staged 'ShmPS.psd1')
    if ($LASTEXITCODE) { throw "The tour failed ($LASTEXITCODE)" }
}

function Invoke-Package {
    if (-not $NoBuild) { Invoke-Build }
    $packages = Join-Path $Output 'packages'
    New-Item -ItemType Directory $packages -Force | Out-Null
    Remove-Item (Join-Path $packages "ShmPS.$Version.nupkg") -ErrorAction SilentlyContinue
    # Publish-PSResource packs into a repository: a file repository registered only for this call.
    $repository = "ShmPS-package-$PID"
    Register-PSResourceRepository -Name $repository -Uri $packages -Trusted
    try {
        Publish-PSResource -Path $Staged -Repository $repository
    }
    finally {
        Unregister-PSResourceRepository -Name $repository
    }
    Write-Host "Packed $(Join-Path $packages "ShmPS.$Version.nupkg")"
}

function Invoke-Bench {
    Invoke-Build
    # A child pwsh, like the tests: the module is loaded fresh and nothing else runs in that process.
    & $Pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/Bench.ps1') -ModulePath (Join-Path $Staged 'ShmPS.psd1') -OutputPath (Join-Path $Output 'bench.json')
    if ($LASTEXITCODE) { throw "The benchmark failed ($LASTEXITCODE)" }
}

foreach ($t in $Task) {
    & "Invoke-$t"
}
