# Other processes for the tests (dot-source after common.ps1): a C program started in the background
# that holds an attachment or a mapping, says "ready" on its first line and then answers commands
# written to its standard input, one line each, until it is stopped; and a child pwsh started through
# a launcher (setpriv, unshare) that changes what the child may do.

function Start-NativeProcess {
    <# Starts a program and waits for its first line; the line must start with "ready". #>
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @(), [int] $TimeoutSeconds = 10)
    $psi = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($psi)
    $line = Read-NativeLine $process $TimeoutSeconds
    if ($line -notlike 'ready*') {
        Stop-NativeProcess $process
        throw "$FilePath $ArgumentList did not get ready: '$line'"
    }
    $process | Add-Member -NotePropertyName ReadyLine -NotePropertyValue $line -PassThru
}

function Read-NativeLine {
    param([Parameter(Mandatory)][Diagnostics.Process] $Process, [int] $TimeoutSeconds = 10)
    $task = $Process.StandardOutput.ReadLineAsync()
    if (-not $task.Wait($TimeoutSeconds * 1000)) { throw "No answer from process $($Process.Id) in $TimeoutSeconds s." }
    $task.Result
}

function Send-NativeCommand {
    <# Writes one command line and returns the one-line answer. #>
    param([Parameter(Mandatory)][Diagnostics.Process] $Process, [Parameter(Mandatory)][string] $Command, [int] $TimeoutSeconds = 10)
    $Process.StandardInput.WriteLine($Command)
    $Process.StandardInput.Flush()
    Read-NativeLine $Process $TimeoutSeconds
}

function Stop-NativeProcess {
    <# Kills the process if it still runs (SIGKILL) and waits for it, so that what it held is released; ExitCode stays readable. #>
    param([Diagnostics.Process] $Process)
    if ($null -eq $Process) { return }
    try {
        if (-not $Process.HasExited) { $Process.Kill() }
        $null = $Process.WaitForExit(10000)
    }
    catch [InvalidOperationException] {
        # not started, or disposed
    }
}

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
