# Helpers the lock tests share: dot-source after common.ps1. Objects of each kind to lock, the other
# processes that take the same lock (tests/native/lock.c, flock(1), a child pwsh, another runspace),
# and the cleanup of all of them, including the System V semaphore sets the locks leave behind.

$script:LockTool = Get-NativeTool lock
$script:LockTargets = [Collections.Generic.List[object]]::new()
$script:LockSemaphoreKeys = [Collections.Generic.List[int]]::new()
$script:LockProcesses = [Collections.Generic.List[Diagnostics.Process]]::new()
$script:LockDirectory = Join-Path ([IO.Path]::GetTempPath()) "shmps-test-lock-$PID"
$script:LockTimeoutId = 'LockTimeout,ShmPS.Commands.LockSharedMemoryCommand'

function New-LockTarget {
    <# A new object of the kind, 4 KiB (mode 0600 unless -Mode), removed by Remove-LockTargets. #>
    param([Parameter(Mandatory)][ShmPS.SharedMemoryKind] $Kind, [string] $Mode = '0600')
    $common = @{ Size = 4096; Mode = $Mode; WarningAction = 'SilentlyContinue' }
    $shm = switch ($Kind) {
        'Posix' { New-SharedMemory -Name (New-TestName) @common }
        'File' {
            New-Item -ItemType Directory $LockDirectory -Force | Out-Null
            New-SharedMemory -Path (Join-Path $LockDirectory ('shmps-test-' + [Guid]::NewGuid().ToString('N'))) @common
        }
        'SystemV' {
            $key = 0x5a000000 + (Get-Random -Maximum 0xffffff)
            $LockSemaphoreKeys.Add($key)
            New-SharedMemory -Kind SystemV -Key $key @common
        }
    }
    $LockTargets.Add($shm)
    if ($Kind -eq 'SystemV') {
        # The first lock creates the semaphore set, which the C helper opens without creating.
        Lock-SharedMemory -InputObject $shm -ScriptBlock { } | Out-Null
    }
    $shm
}

function Get-LockToolTarget {
    <# The KIND and ID arguments of tests/native/lock.c for an object. #>
    param([Parameter(Mandatory)] $Shm)
    switch ($Shm.Kind) {
        'Posix' { 'posix', $Shm.Name }
        'File' { 'file', $Shm.Path }
        'SystemV' { 'sysv', ('0x{0:x8}' -f $Shm.Key) }
    }
}

function Get-IdentityArgument {
    <# How a child pwsh names the object: -Name, -LiteralPath or -Key. #>
    param([Parameter(Mandatory)] $Shm)
    switch ($Shm.Kind) {
        'Posix' { "-Name '$($Shm.Name)'" }
        'File' { "-LiteralPath '$($Shm.Path)'" }
        'SystemV' { "-Key $($Shm.Key)" }
    }
}

function Start-TrackedProcess {
    <# Starts a process with its output redirected; Stop-LockProcesses kills it if it is still running. #>
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList)
    $psi = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $LockProcesses.Add($p)
    $p
}

function Start-ChildPwshProcess {
    <# Like Invoke-ChildPwsh, but returns the running process instead of waiting for it. #>
    param([Parameter(Mandatory)][string] $Script)
    Start-TrackedProcess $PwshPath (Get-ChildPwshArgument $Script)
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

function Start-LockHolder {
    <# A C program that takes the object's lock (exclusive, or shared with -Shared) and keeps it until killed. #>
    param([Parameter(Mandatory)] $Shm, [switch] $Shared)
    $p = Start-TrackedProcess $LockTool (@('hold') + (Get-LockToolTarget $Shm) + @(if ($Shared) { 'sh' } else { 'ex' }))
    Wait-ProcessLine $p 'locked'
    $p
}

function Start-PwshLockHolder {
    <# A child pwsh that takes the object's lock with Lock-SharedMemory and keeps it until killed. #>
    param([Parameter(Mandatory)] $Shm, [switch] $Shared)
    $p = Start-ChildPwshProcess "`$held = Lock-SharedMemory $(Get-IdentityArgument $Shm) -Shared:`$$([bool]$Shared)`n'locked'`nStart-Sleep 60"
    Wait-ProcessLine $p 'locked' -TimeoutSeconds 60
    $p
}

function Stop-TrackedProcess {
    <# SIGKILL (Process.Kill), then waits for the kernel to have reaped it. #>
    param([Parameter(Mandatory)][Diagnostics.Process] $Process)
    if (-not $Process.HasExited) { $Process.Kill() }
    if (-not $Process.WaitForExit(10000)) { throw "Process $($Process.Id) did not die." }
    $Process.WaitForExit()
}

function Stop-LockProcesses {
    foreach ($p in $LockProcesses) { Stop-TrackedProcess $p; $p.Dispose() }
    $LockProcesses.Clear()
}

function Test-LockFree {
    <#
    True if another process could take the object's lock now (exclusive, or shared with -Shared):
    flock(1) -n for POSIX and File, the C helper's non-waiting semop for System V.
    #>
    param([Parameter(Mandatory)] $Shm, [switch] $Shared)
    if ($Shm.Kind -eq 'SystemV') {
        $out = & $LockTool try @(Get-LockToolTarget $Shm) $(if ($Shared) { 'sh' } else { 'ex' }) 2>&1
    } else {
        $out = flock -n $(if ($Shared) { '-s' } else { '-x' }) $Shm.Path -c true 2>&1
    }
    switch ($LASTEXITCODE) {
        0 { $true }
        1 { $false }
        default { throw "Could not test the lock on $($Shm.Name) ($LASTEXITCODE): $out" }
    }
}

function Get-SemaphoreValues {
    <#
    The values of the semaphore set with a System V segment's key (or -Key). ShmPS's own set has two:
    semaphore 0, the binary semaphore (1 = free, 0 = taken), and semaphore 1 (0, or 1 + the number of
    readers). With -OperationTime, sem_otime follows the values.
    #>
    param($Shm, [int] $Key = $Shm.Key, [switch] $OperationTime)
    $out = & $LockTool values ('0x{0:x8}' -f $Key)
    if ($LASTEXITCODE) { throw "lock values failed ($LASTEXITCODE)" }
    $numbers = [long[]](-split $out)
    if ($OperationTime) { $numbers } else { [int[]]($numbers | Select-Object -SkipLast 1) }
}

function New-LockKey {
    <# A random System V key for a test; Remove-LockTargets removes the semaphore set with it. #>
    $key = 0x5a000000 + (Get-Random -Maximum 0xffffff)
    $LockSemaphoreKeys.Add($key)
    $key
}

function New-LockSegment {
    <# A System V segment with a new key (New-LockKey) and no semaphore set yet, removed by Remove-LockTargets. #>
    param([string] $Mode = '0600', [int] $Key = (New-LockKey))
    $shm = New-SharedMemory -Kind SystemV -Key $Key -Size 4096 -Mode $Mode -WarningAction SilentlyContinue
    $LockTargets.Add($shm)
    $shm
}

function Get-SemaphoreSet {
    <# The row of /proc/sysvipc/sem for a key (as ipcs -s shows it), or nothing if there is no such set. #>
    param([Parameter(Mandatory)][int] $Key)
    foreach ($line in Get-Content /proc/sysvipc/sem | Select-Object -Skip 1) {
        $f = -split $line
        if ([int]$f[0] -eq $Key) {
            [pscustomobject]@{
                Id = [int]$f[1]; Mode = $f[2]; Count = [int]$f[3]; Uid = [uint]$f[4]; Gid = [uint]$f[5]
                CreatorUid = [uint]$f[6]; CreatorGid = [uint]$f[7]; OperationTime = [long]$f[8]
            }
        }
    }
}

function Invoke-LockTool {
    <# Runs tests/native/lock.c with arguments and returns its exit code (output and errors go to the verbose stream). #>
    param([Parameter(ValueFromRemainingArguments)][string[]] $ArgumentList)
    $out = & $LockTool @ArgumentList 2>&1
    Write-Verbose "lock $ArgumentList -> $LASTEXITCODE $out"
    $LASTEXITCODE
}

# A Python program that shares a segment the way sysv_ipc's demos do: one semaphore with the segment's
# key, made with IPC_CREX and initial_value=1, taken and released with undo (SEM_UNDO).
# Arguments: KEY create|open hold|try. try exits 1 if the semaphore is busy; hold prints "locked" and sleeps.
$script:SysvIpcProgram = @'
import sys, time, sysv_ipc
key = int(sys.argv[1], 0)
if sys.argv[2] == 'create':
    sem = sysv_ipc.Semaphore(key, sysv_ipc.IPC_CREX, initial_value=1)
else:
    sem = sysv_ipc.Semaphore(key)
sem.undo = True
try:
    sem.acquire(timeout=0 if sys.argv[3] == 'try' else None)
except sysv_ipc.BusyError:
    sys.exit(1)
if sys.argv[3] == 'hold':
    print('locked', flush=True)
    time.sleep(60)
sem.release()
'@
# sysv_ipc is installed for the system's Python (python3-sysv-ipc); the first python3 on PATH may lack it.
$script:SystemPython = '/usr/bin/python3'

function Invoke-SysvIpc {
    <# Runs the sysv_ipc program: KEY create|open try. Returns its exit code: 0 took and released, 1 busy. #>
    param([Parameter(Mandatory)][int] $Key, [ValidateSet('create', 'open')][string] $Open = 'open')
    $out = & $SystemPython -c $SysvIpcProgram ('0x{0:x8}' -f $Key) $Open try 2>&1
    Write-Verbose "sysv_ipc $Open try -> $LASTEXITCODE $out"
    $LASTEXITCODE
}

function Start-SysvIpcHolder {
    <# The sysv_ipc program holding the semaphore until killed. #>
    param([Parameter(Mandatory)][int] $Key)
    $p = Start-TrackedProcess $SystemPython @('-c', $SysvIpcProgram, ('0x{0:x8}' -f $Key), 'open', 'hold')
    Wait-ProcessLine $p 'locked'
    $p
}

function Invoke-PwshAs {
    <#
    Runs a script in a new pwsh with the module imported, as another user (root bypasses every IPC
    permission check). The user keeps only CAP_DAC_READ_SEARCH, so that it can read PowerShell and the
    module where they are installed; that capability plays no part in System V permission checks.
    #>
    param([Parameter(Mandatory)][uint] $Uid, [Parameter(Mandatory)][string] $Script, [int] $TimeoutSeconds = 60)
    $homeDirectory = Join-Path ([IO.Path]::GetTempPath()) "shmps-test-home-$PID-$Uid"
    New-Item -ItemType Directory $homeDirectory -Force | Out-Null
    chmod 777 $homeDirectory
    $psi = [Diagnostics.ProcessStartInfo]::new('setpriv')
    $arguments = @("--reuid=$Uid", "--regid=$Uid", '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search',
        (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source, (Join-Path $PSHOME 'pwsh.dll')) + @(Get-ChildPwshArgument $Script)
    foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
    $psi.Environment['HOME'] = $homeDirectory
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $stdout = $p.StandardOutput.ReadToEndAsync()
    $stderr = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        $p.Kill($true)
        throw "The pwsh of uid $Uid did not finish in $TimeoutSeconds s."
    }
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
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

function New-RunspacePowerShell {
    <#
    A PowerShell instance in a new runspace of this process, with the module imported and the object as
    $args[0]. With -Ready, the event is set just before $Script runs, once the import is done.
    #>
    param([Parameter(Mandatory)][string] $Script, [Parameter(Mandatory)] $Shm, [Threading.ManualResetEventSlim] $Ready)
    $ps = [powershell]::Create()
    $signal = if ($Ready) { "`$args[1].Set()" }
    $null = $ps.AddScript("Import-Module '$ModulePath'`n$signal`n$Script").AddArgument($Shm)
    if ($Ready) { $null = $ps.AddArgument($Ready) }
    $ps
}

function Remove-LockTargets {
    <# Kills the helper processes, removes the objects, the semaphore sets and the File folder. #>
    Stop-LockProcesses
    foreach ($shm in $LockTargets) {
        Remove-SharedMemory -InputObject $shm -Confirm:$false -ErrorAction SilentlyContinue
    }
    $LockTargets.Clear()
    foreach ($key in $LockSemaphoreKeys) {
        ipcrm -S $key 2>&1 | Out-Null
    }
    $LockSemaphoreKeys.Clear()
    Remove-Item $LockDirectory -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item (Join-Path ([IO.Path]::GetTempPath()) "shmps-test-home-$PID-*") -Recurse -Force -ErrorAction SilentlyContinue
    Remove-TestObjects
}
