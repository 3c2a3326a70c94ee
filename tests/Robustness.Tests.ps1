BeforeAll { . $PSScriptRoot/common.ps1 }

# A SIGBUS or SIGSEGV kills pwsh and cannot be caught, so the risky work runs in a child pwsh and the test
# checks how it ended: an exit code of 128+n means it died of signal n (135 SIGBUS, 139 SIGSEGV).
Describe 'Robustness of POSIX objects' -Tag Posix, Robustness {
    BeforeAll {
        $posix = Get-NativeTool posix
        $isRoot = (id -u) -eq '0'
    }
    AfterAll { Remove-TestObjects }

    It 'never crashes while another process shrinks the object to 0 and grows it back, over and over' {
        $name = New-TestName
        New-SharedMemory -Name $name -Size 64KB | Out-Null
        # ITERATIONS 0: the C program loops until this test kills it, so it runs during the whole child.
        $shrinker = Start-Process $posix -ArgumentList 'shrink-loop', $name, 0, 65536 -PassThru
        try {
            $result = Invoke-ChildPwsh -TimeoutSeconds 180 @"
`$name = '$name'
`$shm = Get-SharedMemory -Name `$name
`$operations = @(
    { Read-SharedMemory -Name `$name -Offset 4096 -Count 4096 }
    { Read-SharedMemory -InputObject `$shm }
    { Read-SharedMemory -InputObject `$shm -As Int64 -Offset 65000 }
    { Read-SharedMemory -Name `$name -Encoding utf8 }
    { Write-SharedMemory -Name `$name -Offset 60000 -Value 12345L }
    { Write-SharedMemory -InputObject `$shm -Offset 1000 -Value ([byte[]]::new(3000)) }
    { `$shm.Read(100, 1000) }
    { `$shm.Write(65000, [byte[]](1..100)) }
    { `$shm.ReadInt64(65528) }
    { `$shm.WriteInt64(8, 42) }
    { `$shm.ReadString(0, 64) }
)
`$ok = 0
`$errors = @{}
for (`$i = 0; `$i -lt 80; `$i++) {
    foreach (`$operation in `$operations) {
        try {
            `$null = & `$operation
            `$ok++
        }
        catch {
            # The ShmPS error id, whether the failure came from a cmdlet or from a method.
            `$e = `$_.Exception
            while (`$e.InnerException -and -not `$e.PSObject.Properties['ErrorId']) { `$e = `$e.InnerException }
            `$id = if (`$e.PSObject.Properties['ErrorId']) { `$e.ErrorId } else { `$_.Exception.GetType().FullName + ': ' + `$_ }
            `$errors[`$id] = 1 + [int]`$errors[`$id]
        }
    }
}
[pscustomobject]@{ Succeeded = `$ok; Errors = `$errors } | ConvertTo-Json -Compress
"@
        }
        finally {
            $stillRunning = -not $shrinker.HasExited
            if ($stillRunning) { $shrinker.Kill() }
            $shrinker.WaitForExit()
        }
        $stillRunning | Should -BeTrue -Because "the C program failed (exit code $($shrinker.ExitCode))"
        $result.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($result.Error)"
        $summary = ($result.Output -split '\r?\n' | Where-Object { $_ } | Select-Object -Last 1) | ConvertFrom-Json -AsHashtable
        $summary.Succeeded + ($summary.Errors.Values | Measure-Object -Sum).Sum | Should -Be (80 * 11)
        @($summary.Errors.Keys | Where-Object { $_ -ne 'OffsetOutOfRange' }) | Should -BeNullOrEmpty -Because "a short object is an OffsetOutOfRange error, nothing else: $($result.Output)"
    }

    It 'keeps working through an open object after another process removes the name' {
        $name = New-TestName
        $shm = New-SharedMemory -Name $name -Size 100
        $shm.WriteInt64(0, 7)
        Remove-Item "/dev/shm$name"
        $shm.ReadInt64(0) | Should -Be 7
        { $shm.Refresh() } | Should -Throw
        { Read-SharedMemory -Name $name } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
    }

    Context 'a full /dev/shm (a 64 KiB tmpfs in a private mount namespace)' {
        BeforeAll {
            function Invoke-WithSmallDevShm {
                <# Runs a script in a child pwsh that sees a 64 KiB tmpfs on /dev/shm; returns its exit code and output. #>
                param([string] $Script)
                $full = "`$ErrorActionPreference = 'Stop'; `$PSStyle.OutputRendering = 'PlainText'; Import-Module '$ModulePath'`n$Script"
                $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full))
                $output = unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs /dev/shm && exec `"`$0`" -NoProfile -NonInteractive -EncodedCommand `"`$1`"" $PwshPath $encoded 2>&1
                [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") -replace '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]', '' }
            }
        }

        It 'refuses -Size 1MB with InsufficientSpace and leaves nothing behind; sparse writes past 64 KiB fail without a crash' {
            if (-not $isRoot) {
                Set-ItResult -Skipped -Because 'mounting a small tmpfs on /dev/shm in a private mount namespace needs root'
                return
            }
            $result = Invoke-WithSmallDevShm @'
function Get-ErrorId($record) {
    $e = $record.Exception
    while ($e.InnerException -and -not $e.PSObject.Properties['ErrorId']) { $e = $e.InnerException }
    if ($e.PSObject.Properties['ErrorId']) { $e.ErrorId } else { $record.Exception.GetType().Name + ': ' + $record }
}
$r = [ordered]@{ Free = (df --output=avail -B1 /dev/shm | Select-Object -Last 1).Trim() }
try { New-SharedMemory -Name /shmps-test-big -Size 1MB | Out-Null; $r.New = 'created' } catch { $r.New = Get-ErrorId $_ }
$r.Left = @(Get-ChildItem /dev/shm -Name)
$shm = New-SharedMemory -Name /shmps-test-sparse -Size 1MB -Sparse
$r.SparseSize = $shm.Size
Write-SharedMemory -InputObject $shm -Offset 0 -Value 'within the space'
$r.Start = Read-SharedMemory -InputObject $shm -Encoding utf8
try { Write-SharedMemory -InputObject $shm -Offset 512KB -Value ([byte[]]::new(100KB)); $r.Past = 'written' } catch { $r.Past = Get-ErrorId $_ }
try { Write-SharedMemory -InputObject $shm -Offset 0 -Value ([byte[]]::new(200KB)); $r.Fill = 'written' } catch { $r.Fill = Get-ErrorId $_ }
try { $shm.Write(900KB, [byte[]]::new(100KB)); $r.Method = 'written' } catch { $r.Method = Get-ErrorId $_ }
try { $shm.WriteInt64(1MB - 8, 1); $r.MethodInt64 = 'written' } catch { $r.MethodInt64 = Get-ErrorId $_ }
try { Resize-SharedMemory -InputObject $shm -Size 2MB; $r.Grow = 'resized' } catch { $r.Grow = Get-ErrorId $_ }
$r.Size = (Get-SharedMemory -Name /shmps-test-sparse).Size
$r.Tail = (Read-SharedMemory -InputObject $shm -Offset (1MB - 16)).Length
$r | ConvertTo-Json -Compress
'@
            $result.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($result.Output)"
            $r = ($result.Output -split '\r?\n' | Select-Object -Last 1) | ConvertFrom-Json
            $r.Free | Should -Be '65536' -Because 'the child sees the small tmpfs'
            $r.New | Should -Be 'InsufficientSpace'
            $r.Left | Should -BeNullOrEmpty -Because 'a refused create leaves nothing behind'
            $r.SparseSize | Should -Be 1MB
            $r.Start | Should -BeExactly 'within the space'
            $r.Past | Should -Be 'InsufficientSpace'
            $r.Fill | Should -Be 'InsufficientSpace'
            $r.Method | Should -Be 'InsufficientSpace' -Because 'methods report kernel errors as cmdlets do'
            $r.MethodInt64 | Should -Be 'InsufficientSpace'
            $r.Grow | Should -Be 'InsufficientSpace'
            $r.Size | Should -Be 1MB -Because 'a refused grow keeps the size'
            $r.Tail | Should -Be 16
        }
    }
}
