# Test prelude: dot-source from BeforeAll in every test file. It imports the staged module and gives
# the helpers the tests share: other processes (C programs built with gcc now), another user, a child pwsh.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$script:RepoRoot = Split-Path $PSScriptRoot -Parent
$script:ModulePath = if ($env:SHMPS_MODULE) { $env:SHMPS_MODULE } else {
    (Get-ChildItem (Join-Path $RepoRoot 'output/ShmPS/*/ShmPS.psd1') | Select-Object -First 1).FullName
}
Import-Module $ModulePath

# The apphost of this pwsh; under `dotnet pwsh` the current process is dotnet itself.
$script:PwshPath = Join-Path $PSHOME 'pwsh'

# C helpers are built into a world-readable folder so that uid 65534 can run them too.
if (-not $env:SHMPS_TESTBIN) {
    $env:SHMPS_TESTBIN = Join-Path ([IO.Path]::GetTempPath()) "shmps-testbin-$PID"
}

function Get-NativeTool {
    <# Compiles tests/native/<Name>.c once per run and returns the executable's path. #>
    param([Parameter(Mandatory)][string] $Name)
    $source = Join-Path $PSScriptRoot "native/$Name.c"
    $exe = Join-Path $env:SHMPS_TESTBIN $Name
    if (-not (Test-Path $exe) -or (Get-Item $source).LastWriteTime -gt (Get-Item $exe).LastWriteTime) {
        New-Item -ItemType Directory $env:SHMPS_TESTBIN -Force | Out-Null
        chmod 755 $env:SHMPS_TESTBIN
        $tmp = "$exe.$PID.tmp"
        $out = gcc -O2 -Wall -Werror -o $tmp $source -lrt -lpthread 2>&1
        if ($LASTEXITCODE) { throw "gcc failed for $Name.c:`n$out" }
        chmod 755 $tmp
        Move-Item $tmp $exe -Force
    }
    $exe
}

# Objects of this test run carry its id, so that cleaning up never touches another run's objects.
# Child processes inherit it through the environment.
if (-not $env:SHMPS_TEST_RUN) {
    $env:SHMPS_TEST_RUN = '{0}{1}' -f $PID, (Get-Random -Maximum 1000)
}

function New-TestName {
    <# A fresh POSIX name that no other test, and no other test run, uses. #>
    "/shmps-test-$env:SHMPS_TEST_RUN-" + [Guid]::NewGuid().ToString('N').Substring(0, 12)
}

function Invoke-AsNobody {
    <# Runs a command as uid/gid 65534 with no supplementary groups: root bypasses every permission check. #>
    param([Parameter(Mandatory)][string] $FilePath, [Parameter(ValueFromRemainingArguments)][string[]] $ArgumentList)
    $output = setpriv --reuid=65534 --regid=65534 --clear-groups $FilePath @ArgumentList 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") }
}

function Get-ChildPwshArgument {
    <# The pwsh arguments that run a script with the module imported (and $ErrorActionPreference = 'Stop'). #>
    param([Parameter(Mandatory)][string] $Script)
    $full = "`$ErrorActionPreference = 'Stop'; Import-Module '$ModulePath'`n$Script"
    '-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full))
}

function Invoke-ChildPwsh {
    <#
    Runs a script in a new pwsh with the module imported and returns its exit code and output.
    Used wherever a failure could kill the process (SIGBUS): the test survives and checks the code.
    -Launcher starts pwsh through another program: 'setpriv', '--bounding-set=-ipc_owner' runs
    `setpriv --bounding-set=-ipc_owner pwsh ...`; for a shell launcher "$0" "$@" are pwsh and its arguments.
    #>
    param([Parameter(Mandatory)][string] $Script, [int] $TimeoutSeconds = 120, [string[]] $Launcher = @())
    $command = @($Launcher) + @($PwshPath) + @(Get-ChildPwshArgument $Script)
    $psi = [Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($a in $command | Select-Object -Skip 1) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $stdout = $p.StandardOutput.ReadToEndAsync()
    $stderr = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        $p.Kill($true)
        throw "The child pwsh did not finish in $TimeoutSeconds s."
    }
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
}

function Remove-TestObjects {
    <# Removes the POSIX objects this test run created with New-TestName. #>
    Get-ChildItem /dev/shm -Filter "shmps-test-$env:SHMPS_TEST_RUN-*" -ErrorAction SilentlyContinue |
        Remove-Item -Force -ErrorAction SilentlyContinue
}
