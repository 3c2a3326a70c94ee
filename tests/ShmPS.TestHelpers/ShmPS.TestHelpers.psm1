# The helpers every ShmPS test file shares (tests/common.ps1 imports this module and the staged ShmPS).
#
# Other processes: Start-TestProcess starts any program in the background (with -Ready, one that says
# "ready" on its first line and then answers commands on its standard input); Start-ChildPwsh and
# Invoke-ChildPwsh run a pwsh with ShmPS imported, optionally through a launcher (setpriv, unshare,
# bash -c 'ulimit ...') or as another user (-Uid); Invoke-AsNobody runs a program as uid 65534.
# Every background process is tracked and killed by Stop-TestProcess or Remove-TestSharedMemory.
#
# Test objects: New-TestSharedMemory makes an object of any kind with an identity that no other test,
# and no other test run, uses, and registers it; Remove-TestSharedMemory is the one cleanup.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$script:TestsRoot = Split-Path $PSScriptRoot -Parent
$script:RepoRoot = Split-Path $TestsRoot -Parent
$script:ModulePath = if ($env:SHMPS_MODULE) { $env:SHMPS_MODULE } else {
    (Get-ChildItem (Join-Path $RepoRoot 'output/ShmPS/*/ShmPS.psd1') | Select-Object -First 1).FullName
}
# The apphost of this pwsh; under `dotnet pwsh` the current process is dotnet itself.
$script:PwshPath = Join-Path $PSHOME 'pwsh'

# C helpers are built into a world-readable folder so that uid 65534 can run them too.
if (-not $env:SHMPS_TESTBIN) {
    $env:SHMPS_TESTBIN = Join-Path ([IO.Path]::GetTempPath()) "shmps-testbin-$PID"
}
# Objects of this test run carry its id, so that cleaning up never touches another run's objects.
# Child processes inherit it through the environment.
if (-not $env:SHMPS_TEST_RUN) {
    $env:SHMPS_TEST_RUN = '{0}{1}' -f $PID, (Get-Random -Maximum 1000)
}
# Files of this run (File objects, test directories, homes of other users); world-traversable.
$script:TestRoot = Join-Path ([IO.Path]::GetTempPath()) "shmps-test-$env:SHMPS_TEST_RUN"

$script:Processes = [Collections.Generic.List[Diagnostics.Process]]::new()
$script:Objects = [Collections.Generic.List[object]]::new()
$script:Segments = [Collections.Generic.List[object]]::new()        # @{ Id; CreatorProcessId } of System V segments
$script:SemaphoreKeys = [Collections.Generic.List[int]]::new()

#region The module under test and the C helpers

function Import-ShmPSModule {
    <# Imports the staged ShmPS (or $env:SHMPS_MODULE) into the session and returns the manifest's path. #>
    Import-Module $ModulePath -Global
    $ModulePath
}

function Get-NativeTool {
    <# Compiles tests/native/<Name>.c once per run and returns the executable's path. #>
    param([Parameter(Mandatory)][string] $Name)
    $source = Join-Path $TestsRoot "native/$Name.c"
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

#endregion

#region Other processes and users

function Get-ChildPwshArgument {
    <# The pwsh arguments that run a script with the module imported (and $ErrorActionPreference = 'Stop'). #>
    param([Parameter(Mandatory)][string] $Script, [switch] $Interactive)
    $full = "`$ErrorActionPreference = 'Stop'; `$PSStyle.OutputRendering = 'PlainText'; Import-Module '$ModulePath'`n$Script"
    @('-NoProfile') + @(if (-not $Interactive) { '-NonInteractive' }) + @('-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full)))
}

function Get-ChildPwshCommand {
    <#
    The command line of a child pwsh: through the launcher if any (for a shell launcher "$0" "$@" are pwsh
    and its arguments), or as another user with -Uid. That user keeps only CAP_DAC_READ_SEARCH, so that it
    can read PowerShell and the module where they are installed; that capability plays no part in IPC
    permission checks, and root would bypass every one of them.
    #>
    param([Parameter(Mandatory)][string] $Script, [string[]] $Launcher = @(), [Nullable[uint]] $Uid, [switch] $Interactive)
    if ($null -ne $Uid) {
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        $Launcher = @('setpriv', "--reuid=$Uid", "--regid=$Uid", '--clear-groups', '--inh-caps=+dac_read_search',
            '--ambient-caps=+dac_read_search') + @($Launcher) + @($dotnet, (Join-Path $PSHOME 'pwsh.dll'))
        return @($Launcher) + @(Get-ChildPwshArgument $Script -Interactive:$Interactive)
    }
    @($Launcher) + @($PwshPath) + @(Get-ChildPwshArgument $Script -Interactive:$Interactive)
}

function Get-UserHome {
    <# A writable home directory for a child of another user. #>
    param([Parameter(Mandatory)][uint] $Uid)
    $homeDirectory = Join-Path (Get-TestRoot) "home-$Uid"
    New-Item -ItemType Directory $homeDirectory -Force | Out-Null
    chmod 777 $homeDirectory
    $homeDirectory
}

function New-StartInfo {
    param([string[]] $Command, [hashtable] $Environment, [switch] $RedirectInput)
    $psi = [Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($a in $Command | Select-Object -Skip 1) { $psi.ArgumentList.Add($a) }
    if ($Environment) { foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] } }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = [bool]$RedirectInput
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi
}

function Start-TestProcess {
    <#
    Starts a program in the background with its output redirected, and tracks it: Stop-TestProcess and
    Remove-TestSharedMemory kill it if it still runs. With -Ready, its standard input is redirected too
    and its first line must start with "ready" (kept as the ReadyLine property); Send-ProcessCommand
    then talks to it.
    #>
    param(
        [Parameter(Mandatory)][string] $FilePath,
        [string[]] $ArgumentList = @(),
        [switch] $Ready,
        [int] $TimeoutSeconds = 10,
        [hashtable] $Environment
    )
    $process = [Diagnostics.Process]::Start((New-StartInfo (@($FilePath) + @($ArgumentList)) $Environment -RedirectInput:$Ready))
    $Processes.Add($process)
    if ($Ready) {
        $line = Read-ProcessLine $process $TimeoutSeconds
        if ($line -notlike 'ready*') {
            Stop-TestProcess $process
            throw "$FilePath $ArgumentList did not get ready: '$line' $($process.StandardError.ReadToEnd())"
        }
        $process | Add-Member -NotePropertyName ReadyLine -NotePropertyValue $line
    }
    $process
}

function Start-ChildPwsh {
    <# Like Invoke-ChildPwsh, but returns the running (tracked) process instead of waiting for it. #>
    param([Parameter(Mandatory)][string] $Script, [string[]] $Launcher = @(), [Nullable[uint]] $Uid)
    $command = Get-ChildPwshCommand $Script $Launcher $Uid
    $environment = if ($null -ne $Uid) { @{ HOME = Get-UserHome $Uid } }
    Start-TestProcess $command[0] ($command | Select-Object -Skip 1) -Environment $environment
}

function Read-ProcessLine {
    <# The next line of the process's output; throws if none comes in time. #>
    param([Parameter(Mandatory)][Diagnostics.Process] $Process, [int] $TimeoutSeconds = 10)
    $task = $Process.StandardOutput.ReadLineAsync()
    if (-not $task.Wait($TimeoutSeconds * 1000)) { throw "No answer from process $($Process.Id) in $TimeoutSeconds s." }
    $task.Result
}

function Send-ProcessCommand {
    <# Writes one command line to a process started with -Ready and returns its one-line answer. #>
    param([Parameter(Mandatory)][Diagnostics.Process] $Process, [Parameter(Mandatory)][string] $Command, [int] $TimeoutSeconds = 10)
    $Process.StandardInput.WriteLine($Command)
    $Process.StandardInput.Flush()
    Read-ProcessLine $Process $TimeoutSeconds
}

function Wait-ProcessLine {
    <# Reads the process's output until a line equals $Line; throws if it ends or is silent too long. #>
    param([Parameter(Mandatory)][Diagnostics.Process] $Process, [Parameter(Mandatory)][string] $Line, [int] $TimeoutSeconds = 30)
    while ($true) {
        $read = $Process.StandardOutput.ReadLineAsync()
        if (-not $read.Wait($TimeoutSeconds * 1000)) {
            throw "$($Process.StartInfo.FileName) did not print '$Line' in $TimeoutSeconds s."
        }
        if ($null -eq $read.Result) {
            $Process.WaitForExit()
            throw "$($Process.StartInfo.FileName) exited ($($Process.ExitCode)) before printing '$Line': $($Process.StandardError.ReadToEnd())"
        }
        if ($read.Result -eq $Line) { return }
    }
}

function Stop-TestProcess {
    <#
    Kills a process if it still runs (SIGKILL) and waits until the kernel has reaped it, so that what it
    held is released; its ExitCode stays readable. Without -Process: every process started here.
    #>
    param([Diagnostics.Process] $Process)
    $targets = if ($PSBoundParameters.ContainsKey('Process')) { @($Process) } else { @($Processes) }
    foreach ($p in $targets) {
        if ($null -eq $p) { continue }
        try {
            if (-not $p.HasExited) { $p.Kill() }
            if (-not $p.WaitForExit(10000)) { throw "Process $($p.Id) did not die." }
            $p.WaitForExit()
        }
        catch [InvalidOperationException] {
            # not started, or disposed
        }
    }
    if (-not $PSBoundParameters.ContainsKey('Process')) {
        foreach ($p in $targets) { $p.Dispose() }
        $Processes.Clear()
    }
}

function Invoke-ChildPwsh {
    <#
    Runs a script in a new pwsh with the module imported and returns its exit code and output (standard
    output and error apart). Used wherever a failure could kill the process (SIGBUS): the test survives
    and checks the code. -Launcher starts pwsh through another program: 'setpriv', '--bounding-set=-ipc_owner'
    runs `setpriv --bounding-set=-ipc_owner pwsh ...`; for a shell launcher "$0" "$@" are pwsh and its
    arguments. -Uid runs it as another user. -InputText answers its prompts (-Confirm): the child then runs
    interactively, reading the answers from its standard input.
    #>
    param([Parameter(Mandatory, Position = 0)][string] $Script, [int] $TimeoutSeconds = 120, [string[]] $Launcher = @(), [Nullable[uint]] $Uid,
        [string] $InputText)
    $environment = if ($null -ne $Uid) { @{ HOME = Get-UserHome $Uid } }
    $interactive = $PSBoundParameters.ContainsKey('InputText')
    $p = [Diagnostics.Process]::Start((New-StartInfo (Get-ChildPwshCommand $Script $Launcher $Uid -Interactive:$interactive) $environment -RedirectInput:$interactive))
    try {
        if ($interactive) {
            $p.StandardInput.Write($InputText)
            $p.StandardInput.Close()
        }
        $stdout = $p.StandardOutput.ReadToEndAsync()
        $stderr = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            $p.Kill($true)
            throw "The child pwsh did not finish in $TimeoutSeconds s."
        }
        $p.WaitForExit()
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
    }
    finally { $p.Dispose() }
}

function Invoke-AsNobody {
    <# Runs a program as uid/gid 65534 with no supplementary groups: root bypasses every permission check. #>
    param([Parameter(Mandatory)][string] $FilePath, [Parameter(ValueFromRemainingArguments)][string[]] $ArgumentList)
    $output = setpriv --reuid=65534 --regid=65534 --clear-groups $FilePath @ArgumentList 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") }
}

function Wait-Until {
    <# Polls $Condition every 20 ms for at most $TimeoutSeconds; returns whether it became true. #>
    param([Parameter(Mandatory)][scriptblock] $Condition, [double] $TimeoutSeconds = 10)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ($clock.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
        if (& $Condition) { return $true }
        Start-Sleep -Milliseconds 20
    }
    [bool](& $Condition)
}

#endregion

#region Test objects

# Each kind's way to make and name a test object, keyed by the name ShmPS registers it under:
#   New   the New-SharedMemory parameters of a fresh object ($Given: the caller's -Name, -Key or -Path)
#   Fresh the parameters that name an object of the kind that does not exist yet (New-TestIdentity)
#   Of    the parameters that name an existing object (Get-TestIdentity)
# The kinds themselves come from ShmPS (Get-TestKind): a kind it registers that this table lacks fails
# every test file that runs over all kinds, until its way to make a test object is written here.
$script:TestKinds = [ordered]@{
    Posix = @{
        New = { param($Given) @{ Name = if ($Given.Name) { $Given.Name } else { New-TestName } } }
        Fresh = { @{ Name = New-TestName } }
        Of = { param($Shm) @{ Name = $Shm.Name } }
    }
    SystemV = @{
        New = {
            param($Given)
            $key = if ($null -ne $Given.Key) { $Given.Key } else { New-TestKey }
            $SemaphoreKeys.Add($key)
            @{ Key = $key }
        }
        Fresh = { $key = New-TestKey; $SemaphoreKeys.Add($key); @{ Key = $key } }
        Of = { param($Shm) if ($Shm.Key) { @{ Key = $Shm.Key } } else { @{ Id = $Shm.Id } } }
    }
    File = @{
        New = { param($Given) @{ Path = if ($Given.Path) { $Given.Path } else { New-TestPath } } }
        Fresh = { @{ LiteralPath = New-TestPath } }
        Of = { param($Shm) @{ LiteralPath = $Shm.Path } }
    }
    # A memfd this session holds (New-SharedMemory -Anonymous), named by its inode: Fresh is an inode no region has.
    # Not in the matrix of the per-cmdlet files (Generic = $false): their cases presuppose a name that creation
    # takes exclusively, -Force reopens and the kernel's view reads by path; tests/Anonymous.Tests.ps1,
    # UsedByProcessId.Tests.ps1 and PostgreSQL.Tests.ps1 cover the kind with the cases that hold for it.
    Anonymous = @{
        Generic = $false
        New = { param($Given) @{ Anonymous = $true; Name = if ($Given.Name) { $Given.Name.TrimStart('/') } else { 'shmps-test' } } }
        Fresh = { @{ Kind = 'Anonymous'; Id = 2147483000 } }
        Of = { param($Shm) @{ Kind = 'Anonymous'; Id = $Shm.Id } }
    }
}

function Get-TestKind {
    <#
    The kinds ShmPS registers, in its order (its registry: [ShmPS.SharedMemoryKind]::Names), as names, or
    with -AsTestCase as @{ Kind = NAME } for -TestCases and -ForEach. Imports the staged module if it is not
    loaded yet (BeforeDiscovery runs before common.ps1). Throws for a kind this module cannot make a test
    object of (see $TestKinds); leaves out the kinds whose entry there says Generic = $false, unless -All.
    #>
    param([switch] $AsTestCase, [switch] $All)
    if (-not ('ShmPS.SharedMemoryKind' -as [type])) { $null = Import-ShmPSModule }
    foreach ($kind in [ShmPS.SharedMemoryKind]::Names) {
        if (-not $TestKinds.Contains($kind)) {
            throw "ShmPS registers the kind $kind, and tests/ShmPS.TestHelpers does not know how to make a test object of it: add it to `$TestKinds."
        }
        if (-not $All -and $TestKinds[$kind].ContainsKey('Generic') -and -not $TestKinds[$kind]['Generic']) { continue }
        if ($AsTestCase) { @{ Kind = $kind } } else { $kind }
    }
}

function Get-TestKindEntry {
    param([string] $Kind)
    $entry = $TestKinds[$Kind]
    if (-not $entry -or $Kind -notin (Get-TestKind)) { throw "Not a kind ShmPS registers: '$Kind' (the kinds are $((Get-TestKind) -join ', '))." }
    $entry
}

function Get-TestRoot {
    if (-not (Test-Path -LiteralPath $TestRoot)) {
        New-Item -ItemType Directory $TestRoot -Force | Out-Null
        chmod 755 $TestRoot
    }
    $TestRoot
}

function New-TestName {
    <# A fresh POSIX name that no other test, and no other test run, uses. #>
    "/shmps-test-$env:SHMPS_TEST_RUN-" + [Guid]::NewGuid().ToString('N').Substring(0, 12)
}

function New-TestKey {
    <# A random System V key that no segment and no semaphore set has now: the tests share the system with others. #>
    param([int] $Min = [int]::MinValue, [int] $Max = [int]::MaxValue)
    $used = @(Get-SysvIpcTable shm; Get-SysvIpcTable sem | ForEach-Object key)
    do { $key = [Security.Cryptography.RandomNumberGenerator]::GetInt32($Min, $Max) }
    while ($key -in 0, -1 -or $key -in $used)
    $key
}

function New-TestDirectory {
    <# A new, empty directory of this run (mode 0755), removed by Remove-TestSharedMemory. #>
    $dir = Join-Path (Get-TestRoot) ([Guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory $dir
    chmod 755 $dir
    $dir
}

function New-TestPath {
    <# A path in this run's directory where nothing is yet. #>
    param([string] $Extension = '.bin')
    Join-Path (Get-TestRoot) ('shmps-test-' + [Guid]::NewGuid().ToString('N').Substring(0, 12) + $Extension)
}

function New-TestSharedMemory {
    <#
    A new object of the kind with a fresh identity (a POSIX name, a System V key, a path in this run's
    directory), registered for Remove-TestSharedMemory. -Key, -Name or -Path choose the identity instead;
    -Mode, -Sparse and the common parameters (-WarningAction, -WarningVariable) go to New-SharedMemory.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string] $Kind,
        [long] $Size = 4096,
        $Mode,
        [string] $Name,
        [Nullable[int]] $Key,
        [string] $Path,
        [switch] $Sparse
    )
    $parameters = @{ Size = $Size }
    if ($PSBoundParameters.ContainsKey('Mode')) { $parameters.Mode = $Mode }
    if ($Sparse) { $parameters.Sparse = $true }
    $parameters += & (Get-TestKindEntry $Kind).New @{ Name = $Name; Key = $Key; Path = $Path }
    $shm = New-SharedMemory @parameters
    Register-TestSharedMemory -InputObject $shm
    $shm
}

function Register-TestSharedMemory {
    <#
    Has Remove-TestSharedMemory remove an object made otherwise: -InputObject (any kind), -Id (a System V
    segment made by another program), -SemaphoreKey (a semaphore set a lock left with that key).
    #>
    param($InputObject, [Nullable[int]] $Id, [Nullable[int]] $SemaphoreKey)
    if ($InputObject) {
        $Objects.Add($InputObject)
        if ($InputObject.Kind -eq 'SystemV') { $Id = $InputObject.Id }
    }
    if ($null -ne $Id) {
        # The id and the creator's pid together: an id that is reused later names another segment.
        $row = Get-SysvIpcTable shm -Id $Id
        if ($row) { $Segments.Add(@{ Id = $Id; CreatorProcessId = $row.cpid }) }
    }
    if ($null -ne $SemaphoreKey) { $SemaphoreKeys.Add($SemaphoreKey) }
}

function Remove-TestSharedMemory {
    <#
    The one cleanup: kills the background processes, removes every registered object, System V segment
    and semaphore set, this run's POSIX names (/shmps-test-<run>-*) and this run's directory.
    #>
    Stop-TestProcess
    foreach ($shm in $Objects) {
        try { $shm.Close() } catch { }
        if ($shm.Kind -ne 'SystemV') {
            Remove-SharedMemory -InputObject $shm -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
    $Objects.Clear()
    foreach ($segment in $Segments) {
        $row = Get-SysvIpcTable shm -Id $segment.Id
        if ($row -and $row.cpid -eq $segment.CreatorProcessId) { ipcrm -m $segment.Id 2>&1 | Out-Null }
    }
    $Segments.Clear()
    foreach ($key in $SemaphoreKeys) {
        if (Get-SysvIpcTable sem -Key $key) { ipcrm -S $key 2>&1 | Out-Null }
    }
    $SemaphoreKeys.Clear()
    Get-ChildItem /dev/shm -Filter "shmps-test-$env:SHMPS_TEST_RUN-*" -ErrorAction SilentlyContinue |
        Remove-Item -Force -ErrorAction SilentlyContinue
    if (Test-Path -LiteralPath $TestRoot) { Remove-Item -LiteralPath $TestRoot -Recurse -Force -ErrorAction SilentlyContinue }
}

function New-TestIdentity {
    <#
    The parameters that name an object of the kind that does not exist yet (a fresh -Name, -Key or
    -LiteralPath), for splatting; Test-TestIdentity says whether it exists.
    #>
    param([Parameter(Mandatory)][string] $Kind)
    & (Get-TestKindEntry $Kind).Fresh
}

function Get-TestIdentity {
    <# The parameters that name an existing object, for splatting: -Name, -Key (or -Id without a key) or -LiteralPath. #>
    param([Parameter(Mandatory)] $Shm)
    & (Get-TestKindEntry $Shm.Kind).Of $Shm
}

function Test-TestIdentity {
    <# Whether an object with the identity (from New-TestIdentity or Get-TestIdentity) exists, by the kernel's view. #>
    param([Parameter(Mandatory)][hashtable] $Identity)
    if ($Identity.ContainsKey('Name')) { return Test-Path -LiteralPath ('/dev/shm/' + $Identity.Name.TrimStart('/')) }
    if ($Identity.ContainsKey('Key')) { return [bool](Get-SysvIpcTable shm -Key $Identity.Key) }
    if ($Identity.ContainsKey('Id')) { return [bool](Get-SysvIpcTable shm -Id $Identity.Id) }
    Test-Path -LiteralPath $Identity.LiteralPath
}

function New-NonRegularFile {
    <#
    Puts something that is not a regular file at $Dir/x.bin (or returns /dev/null for a character device)
    and returns its path: a directory, a FIFO, a symbolic link to a regular file ($Dir/target.bin, bytes
    1..100, mode 0644) or a dangling symbolic link (to $Dir/missing.bin).
    #>
    param([Parameter(Mandatory)][string] $Type, [Parameter(Mandatory)][string] $Dir)
    $path = Join-Path $Dir 'x.bin'
    switch ($Type) {
        'directory' { $null = New-Item -ItemType Directory $path }
        'FIFO' { mkfifo $path }
        'character device' { $path = '/dev/null' }
        'symbolic link to a regular file' {
            $target = Join-Path $Dir 'target.bin'
            [IO.File]::WriteAllBytes($target, [byte[]](1..100))
            chmod 644 $target
            $null = New-Item -ItemType SymbolicLink -Path $path -Target $target
        }
        'dangling symbolic link' { $null = New-Item -ItemType SymbolicLink -Path $path -Target (Join-Path $Dir 'missing.bin') }
        default { throw "Unknown type $Type" }
    }
    $path
}

#endregion

#region The kernel's view

function Get-SysvIpcTable {
    <#
    /proc/sysvipc/shm (or sem) as objects whose properties are the header's columns (key shmid perms
    size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap; key semid perms nsems uid gid cuid
    cgid otime ctime), all numbers (perms as printed: 640 for 0640). -Id and -Key pick rows.
    #>
    param([Parameter(Mandatory, Position = 0)][ValidateSet('shm', 'sem')][string] $Facility, [Nullable[int]] $Id, [Nullable[int]] $Key)
    $lines = Get-Content "/proc/sysvipc/$Facility"
    $columns = -split $lines[0]
    $idColumn = "$($Facility)id"
    foreach ($line in $lines | Select-Object -Skip 1) {
        $values = -split $line
        $row = [ordered]@{}
        for ($i = 0; $i -lt $columns.Count; $i++) { $row[$columns[$i]] = [long]$values[$i] }
        if ($null -ne $Id -and $row[$idColumn] -ne $Id) { continue }
        if ($null -ne $Key -and $row.key -ne $Key) { continue }
        [pscustomobject]$row
    }
}

function Get-IpcsRow {
    <# The `ipcs -m` line of a segment: key shmid owner perms bytes nattch [status]. #>
    param([Parameter(Mandatory)][int] $Id)
    $out = ipcs -m
    if ($LASTEXITCODE) { throw "ipcs failed: $out" }
    foreach ($line in $out) {
        $f = -split $line
        if ($f.Count -ge 6 -and $f[0] -like '0x*' -and $f[1] -eq "$Id") {
            return [pscustomobject]@{ Key = $f[0]; Id = [int]$f[1]; Owner = $f[2]; Perms = $f[3]; Bytes = [long]$f[4]
                Nattch = [int]$f[5]; Status = ($f.Count -gt 6 ? ($f[6..($f.Count - 1)] -join ' ') : '') }
        }
    }
}

function Get-FileStat {
    <# stat(1) of the path itself (symbolic links not followed): the independent view of a file. #>
    param([Parameter(Mandatory)][string] $Path)
    $f = -split (stat -c '%a %u %g %s %b %B %F' -- $Path)
    [pscustomobject]@{ Mode = $f[0]; Uid = [long]$f[1]; Gid = [long]$f[2]; Size = [long]$f[3]
        Allocated = [long]$f[4] * [long]$f[5]; Type = $f[6..($f.Count - 1)] -join ' ' }
}

function Get-KernelView {
    <#
    What the kernel says of an object of any kind, without ShmPS: Mode (octal digits as stat %a prints
    them), Uid, Gid and Size, from stat(1) for POSIX objects and files, from /proc/sysvipc/shm for
    System V segments. Nothing if it is gone.
    #>
    param([Parameter(Mandatory)] $Shm)
    if ($Shm.Kind -eq 'SystemV') {
        $row = Get-SysvIpcTable shm -Id $Shm.Id
        if (-not $row) { return }
        [pscustomobject]@{ Mode = [Convert]::ToString([Convert]::ToInt32("$($row.perms)", 8) -band 0x1ff, 8)
            Uid = $row.uid; Gid = $row.gid; Size = $row.size }
    }
    else {
        if (-not (Test-Path -LiteralPath $Shm.Path)) { return }
        $stat = Get-FileStat $Shm.Path
        [pscustomobject]@{ Mode = $stat.Mode; Uid = $stat.Uid; Gid = $stat.Gid; Size = $stat.Size }
    }
}

#endregion

#region Data

function ConvertTo-Hex {
    param([byte[]] $Bytes)
    [Convert]::ToHexString($Bytes).ToLowerInvariant()
}

function New-RandomBytes {
    param([int] $Count)
    $bytes = [byte[]]::new($Count)
    [Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
    , $bytes
}

#endregion

#region Errors and C targets

function Get-ThrownId {
    <# The ShmPS id of what a method call threw, or the type of a .NET exception inside PowerShell's wrapper; 'no error' if none. #>
    param([scriptblock] $Call)
    try { & $Call; 'no error' }
    catch {
        for ($e = $_.Exception; $e; $e = $e.InnerException) {
            if ($e -is [ShmPS.SharedMemoryException]) { return $e.ErrorId }
        }
        $_.Exception.InnerException.GetType().Name
    }
}

function Get-CTarget {
    <# How the C helpers (tests/native/futex.c) reach an object: a file (POSIX objects are files in /dev/shm) or a segment id. #>
    param($SharedMemory)
    if ($SharedMemory.Kind -eq 'SystemV') { 'sysv', "$($SharedMemory.Id)" } else { 'file', $SharedMemory.Path }
}

#endregion
