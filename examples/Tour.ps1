#!/usr/bin/env pwsh
<#
.SYNOPSIS
    A guided tour of ShmPS: each step prints the command it runs, then what it returns.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo
#>
param(
    # The module to tour; the staged build by default.
    [string] $ModulePath = (Get-ChildItem "$PSScriptRoot/../output/ShmPS/*/ShmPS.psd1" | Select-Object -First 1).FullName
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$PSStyle.OutputRendering = 'PlainText'

function Step {
    param([string] $Title, [string] $Code)
    Write-Host "`n== $Title" -ForegroundColor Cyan
    Write-Host "PS> $Code" -ForegroundColor Yellow
    $result = . ([scriptblock]::Create($Code))
    if ($null -ne $result) { $result | Out-Host }
}

$name = '/shmps-tour-' + [Guid]::NewGuid().ToString('N').Substring(0, 8)
$file = Join-Path ([IO.Path]::GetTempPath()) "shmps-tour-$PID.bin"
try {
    . Step 'Create a 4 KiB POSIX shared memory object (exclusive create, mode 0640 exactly); the view shows 4K, the Size property the exact bytes' `
        "`$shm = New-SharedMemory -Name $name -Size 4KB -Mode 0640; `$shm; `$shm.Size"

    . Step 'Write text and a 64-bit number into it' `
        "Write-SharedMemory -Name $name -Value 'Hello from PowerShell'; Write-SharedMemory -Name $name -Offset 64 -Value 1234567890123L"

    . Step 'Another program reads the same memory: od (coreutils), not PowerShell' `
        "od -A d -c -N 21 /dev/shm$name"

    . Step 'Read it back as text and as a number' `
        "Read-SharedMemory -Name $name -Encoding utf8; Read-SharedMemory -Name $name -Offset 64 -As Int64 -Count 1"

    . Step 'Another program writes; PowerShell reads (printf + dd, with conv=notrunc)' `
        "printf 'written by dd' | dd of=/dev/shm$name bs=1 seek=128 conv=notrunc status=none; Read-SharedMemory -Name $name -Offset 128 -Count 13 -Encoding ascii"

    . Step 'List shared memory: POSIX objects and System V segments, as typed objects' `
        "Get-SharedMemory -Name 'shmps-tour-*'"

    . Step 'Change permissions (fchmod): the mode is exactly what you ask for' `
        "Set-SharedMemoryPermission -Name $name -Mode 'rw-rw----' -PassThru | Select-Object Name, Permissions, Owner, Group"

    . Step 'Grow it to 1 MiB (memory reserved now, so a full /dev/shm fails here, not later with SIGBUS)' `
        "Resize-SharedMemory -Name $name -Size 1MB -PassThru | Select-Object Name, Size, AllocatedBytes"

    if (Get-Command python3 -ErrorAction SilentlyContinue) {
        # Another program maps the object (Python's mmap) and keeps it mapped.
        $mapper = Start-Process python3 -PassThru -ArgumentList '-c', "`"import mmap, os, time; m = mmap.mmap(os.open('/dev/shm$name', os.O_RDWR), 0); time.sleep(60)`""
        for ($i = 0; $i -lt 50 -and -not ((Get-SharedMemory -Name $name).Processes | Where-Object Mapped); $i++) { Start-Sleep -Milliseconds 100 }

        . Step 'Who uses it: Processes, from /proc/PID/maps, /proc/PID/fd and /proc/locks (the pids lsof shows)' `
            "(Get-SharedMemory -Name $name).Processes"

        . Step 'Shrinking below what another process maps is refused: that process would die with SIGBUS' `
            "try { Resize-SharedMemory -Name $name -Size 4KB -Confirm:`$false -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"

        . Step 'Before removing, -WhatIf (and -Confirm) name who still uses it' `
            "Remove-SharedMemory -Name $name -WhatIf"

        $mapper | Stop-Process
        $mapper.WaitForExit()

        . Step 'Nobody uses it now: it is listed as orphaned' `
            "Get-SharedMemory -Name 'shmps-tour-*' -Orphaned | Remove-SharedMemory -WhatIf"
    }

    . Step 'A System V segment with a key, as ipcs -m shows it' `
        "`$seg = New-SharedMemory -Key 0x5eed0001 -Size 3333 -Force; `$seg | Write-SharedMemory -Value 'SysV'; `$seg | Select-Object Name, Id, Size, Permissions, AttachCount"

    if (Get-Command ipcs -ErrorAction SilentlyContinue) {
        . Step 'ipcs agrees: Format-Table -View Ipcs shows the columns of ipcs -m' `
            'Get-SharedMemory -Kind SystemV | Format-Table -View Ipcs; ipcs -m'
    }

    . Step 'Limits and what is in use, in one object (what ipcs -l, ipcs -u and df /dev/shm show): sizes as lsipc shows them, properties exact' `
        "`$limit = Get-SharedMemoryLimit; `$limit | Out-String -Stream | Select-String '^(MaxSegmentSize|MaxSegments|Segments|TotalBytes|DevShmSize|DevShmUsed|IpcNamespace) '; `$limit.MaxSegmentSize"

    . Step 'Fixed size by design: System V segments cannot be resized' `
        "try { `$seg | Resize-SharedMemory -Size 8KB -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }"

    . Step 'A shared file mapping: the data lives in a file and survives reboots' `
        "New-SharedMemory -Path $file -Size 64KB | Write-SharedMemory -Value 'durable' -Flush -PassThru | Select-Object Kind, Name, Size"

    . Step 'Lock an object across processes and run a block under the lock (flock(2); the kernel frees it if we die)' `
        "Lock-SharedMemory -Name $name -ScriptBlock { `$n = `$_.ReadInt64(64); `$_.WriteInt64(64, `$n + 1); `$_.ReadInt64(64) }"

    . Step 'Publish a whole document and wake who follows it: a waiting job gets the new version at once (futex), never half of one' `
        "`$job = Start-ThreadJob -ArgumentList (Get-Module ShmPS).Path { Import-Module `$args[0]; Wait-SharedMemory -Name $name -Offset 4096 -Document -Changed -Timeout 30 }; Start-Sleep 1; Write-SharedMemory -Name $name -Offset 4096 -Document '{`"level`":`"debug`"}' -Wake; `$job | Receive-Job -Wait -AutoRemoveJob"

    . Step 'Atomics that agree with C (__atomic_add_fetch): parallel runspaces bump a counter without a lock' `
        "1..4 | ForEach-Object -Parallel { `$o = `$using:shm; 1..1000 | ForEach-Object { `$null = `$o.AddInt64(256, 1) } }; `$shm.ReadInt64(256)"

    . Step 'Give memory back without removing the object: Clear-SharedMemory punches a hole (fallocate), fincore agrees, the size stays' `
        "`$shm.Refresh(); `$shm.Prefetch(0, 1MB); fincore -b -n -o RES /dev/shm$name; Clear-SharedMemory -Name $name -Offset 64KB -Count (1MB - 64KB); fincore -b -n -o RES /dev/shm$name; (Get-SharedMemory -Name $name).Size"

    . Step 'Regions without a name: a sealed memfd this session holds; and every shared region a process maps or holds, as objects (pwsh maps its assemblies as shared files)' `
        "`$m = New-SharedMemory -Anonymous -Name tour -Size 64KB -Seal Shrink, Grow; `$m | Format-List Kind, Name, Id, Path, Seals; Get-SharedMemory -UsedByProcessId `$PID | Group-Object Kind -NoElement | Format-Table Name, Count; `$m | Remove-SharedMemory"

    . Step 'Methods keep a mapping, copied with a fault guard: another process truncating the object is an error, not a SIGBUS' `
        "[ShmPS.SharedMemory]::DataPath; `$shm.ReadInt64(64); truncate -s 0 /dev/shm$name; try { `$shm.ReadInt64(64) } catch { `$_.Exception.InnerException.ErrorId }; `$shm.Close()"

    . Step 'Remove them (-WhatIf first: nothing is removed behind your back)' `
        "Remove-SharedMemory -Name $name -WhatIf; Remove-SharedMemory -Name $name; Remove-SharedMemory -Key 0x5eed0001; Remove-SharedMemory -Path $file -Confirm:`$false"

    . Step 'Gone' "Get-SharedMemory -Name $name -ErrorAction SilentlyContinue; Test-Path $file"
}
finally {
    Remove-SharedMemory -Name $name -ErrorAction SilentlyContinue
    Remove-SharedMemory -Key 0x5eed0001 -ErrorAction SilentlyContinue
    Remove-Item $file -ErrorAction SilentlyContinue
}
Write-Host "`nTour complete." -ForegroundColor Green
