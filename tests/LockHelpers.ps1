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
    Remove-TestObjects
}
