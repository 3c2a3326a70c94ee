# Helpers the lock tests share: dot-source after common.ps1. Objects of each kind to lock (made with
# New-TestSharedMemory, so that Remove-TestSharedMemory removes them and the semaphore sets the locks
# leave behind) and the other processes that take the same lock (tests/native/lock.c, flock(1), a child
# pwsh, another runspace, Python's sysv_ipc), started with the helpers' Start-TestProcess.

$script:LockTool = Get-NativeTool lock
$script:LockTimeoutId = 'LockTimeout,ShmPS.Commands.LockSharedMemoryCommand'

function New-LockTarget {
    <# A new object of the kind, 4 KiB (mode 0600 unless -Mode), removed by Remove-TestSharedMemory. #>
    param([Parameter(Mandatory)][ShmPS.SharedMemoryKind] $Kind, [string] $Mode = '0600')
    $shm = New-TestSharedMemory $Kind -Size 4096 -Mode $Mode -WarningAction SilentlyContinue
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

function Start-LockHolder {
    <# A C program that takes the object's lock (exclusive, or shared with -Shared) and keeps it until killed. #>
    param([Parameter(Mandatory)] $Shm, [switch] $Shared)
    $p = Start-TestProcess $LockTool (@('hold') + (Get-LockToolTarget $Shm) + @(if ($Shared) { 'sh' } else { 'ex' }))
    Wait-ProcessLine $p 'locked'
    $p
}

function Start-PwshLockHolder {
    <# A child pwsh that takes the object's lock with Lock-SharedMemory and keeps it until killed. #>
    param([Parameter(Mandatory)] $Shm, [switch] $Shared)
    $p = Start-ChildPwsh "`$held = Lock-SharedMemory $(Get-IdentityArgument $Shm) -Shared:`$$([bool]$Shared)`n'locked'`nStart-Sleep 60"
    Wait-ProcessLine $p 'locked' -TimeoutSeconds 60
    $p
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
    <# A random System V key for a test; Remove-TestSharedMemory removes the semaphore set with it. #>
    $key = New-TestKey
    Register-TestSharedMemory -SemaphoreKey $key
    $key
}

function New-LockSegment {
    <# A System V segment with a new key (New-LockKey) and no semaphore set yet, removed by Remove-TestSharedMemory. #>
    param([string] $Mode = '0600', [int] $Key = (New-LockKey))
    New-TestSharedMemory SystemV -Key $Key -Size 4096 -Mode $Mode -WarningAction SilentlyContinue
}

function Get-SemaphoreSet {
    <# The row of /proc/sysvipc/sem for a key (as ipcs -s shows it), or nothing if there is no such set. #>
    param([Parameter(Mandatory)][int] $Key)
    foreach ($row in Get-SysvIpcTable sem -Key $Key) {
        [pscustomobject]@{
            Id = [int]$row.semid; Mode = "$($row.perms)"; Count = [int]$row.nsems; Uid = [uint]$row.uid; Gid = [uint]$row.gid
            CreatorUid = [uint]$row.cuid; CreatorGid = [uint]$row.cgid; OperationTime = [long]$row.otime
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
    $p = Start-TestProcess $SystemPython @('-c', $SysvIpcProgram, ('0x{0:x8}' -f $Key), 'open', 'hold')
    Wait-ProcessLine $p 'locked'
    $p
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

