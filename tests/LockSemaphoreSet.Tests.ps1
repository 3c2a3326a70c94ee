# The semaphore set behind a System V segment's lock: who may create and take it, whom it belongs to,
# and that it goes with the segment. Other users are played by pwsh processes under setpriv (root
# bypasses every System V permission check).

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/LockHelpers.ps1

    function Invoke-LockAs {
        <#
        As another user: Lock-SharedMemory -Key (exclusive and -Shared) and the Lock() method on the
        segment; returns for each the FullyQualifiedErrorId and category, or 'locked'.
        #>
        param([Parameter(Mandatory)][uint] $Uid, [Parameter(Mandatory)][int] $Key)
        $child = Invoke-ChildPwsh -Uid $Uid -Script @"
`$r = [ordered]@{}
foreach (`$shared in `$false, `$true) {
    try { Lock-SharedMemory -Key $Key -Shared:`$shared -Timeout 2 -ErrorAction Stop | Unlock-SharedMemory; `$r["Shared`$shared"] = 'locked' }
    catch { `$r["Shared`$shared"] = `$_.FullyQualifiedErrorId; `$r["Category`$shared"] = "`$(`$_.CategoryInfo.Category)" }
}
try { `$shm = Get-SharedMemory -Key $Key -ErrorAction Stop; `$shm.Lock(`$false, [TimeSpan]::FromSeconds(2)).Dispose(); `$r.Method = 'locked' }
catch { `$r.Method = if (`$_.Exception.InnerException -is [ShmPS.SharedMemoryException]) { `$_.Exception.InnerException.ErrorId } else { `$_.FullyQualifiedErrorId } }
`$r | ConvertTo-Json -Compress
"@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $child.Output | ConvertFrom-Json
    }
}

Describe 'The System V lock semaphore set' -Tag 'Lock' {
    AfterEach {
        Stop-TestProcess
    }

    AfterAll {
        Remove-TestSharedMemory
    }

    Context 'who may create and take it' {
        It 'refuses uid 65534 on a root-owned 0600 segment (PermissionDenied) without creating a set; root still locks' {
            $shm = New-LockSegment -Mode 0600
            $r = Invoke-LockAs -Uid 65534 -Key $shm.Key
            $r.SharedFalse | Should -BeExactly 'PermissionDenied,ShmPS.Commands.LockSharedMemoryCommand'
            $r.CategoryFalse | Should -Be 'PermissionDenied'
            $r.SharedTrue | Should -BeExactly 'PermissionDenied,ShmPS.Commands.LockSharedMemoryCommand'
            $r.Method | Should -Match 'PermissionDenied|SharedMemoryNotFound' -Because 'the segment is not even found by a user who may not read it, or its lock is refused'
            Get-SemaphoreSet $shm.Key | Should -BeNullOrEmpty -Because 'nobody may squat the lock'
            $held = Lock-SharedMemory -InputObject $shm -Timeout 2
            $held | Unlock-SharedMemory
        }

        It 'refuses a user who may not use a segment of uid 65534 (mode 0600), and its owner still locks it' {
            $shm = New-LockSegment -Mode 0600
            Set-SharedMemoryPermission -InputObject $shm -Owner 65534 -Group 65534
            $r = Invoke-LockAs -Uid 4242 -Key $shm.Key
            $r.SharedFalse | Should -BeExactly 'PermissionDenied,ShmPS.Commands.LockSharedMemoryCommand'
            Get-SemaphoreSet $shm.Key | Should -BeNullOrEmpty
            $owner = Invoke-LockAs -Uid 65534 -Key $shm.Key
            $owner.SharedFalse | Should -Be 'locked'
            $owner.SharedTrue | Should -Be 'locked'
            $owner.Method | Should -Be 'locked'
            $set = Get-SemaphoreSet $shm.Key
            $set.Uid, $set.Gid, $set.Mode | Should -Be @(65534, 65534, '600')
            $again = Invoke-LockAs -Uid 4242 -Key $shm.Key
            $again.SharedFalse | Should -BeExactly 'PermissionDenied,ShmPS.Commands.LockSharedMemoryCommand'
        }

        It 'gives the set that another user creates the segment owner, group and read/write bits, so it cannot squat the lock' {
            $shm = New-LockSegment -Mode 0666
            Set-SharedMemoryPermission -InputObject $shm -Owner 65534 -Group 65534 -Mode 0666 -WarningAction SilentlyContinue
            (Invoke-LockAs -Uid 4242 -Key $shm.Key).SharedFalse | Should -Be 'locked'
            $set = Get-SemaphoreSet $shm.Key
            $set.CreatorUid | Should -Be 4242
            $set.Uid, $set.Gid, $set.Mode, $set.Count | Should -Be @(65534, 65534, '666', 2)
            Set-SharedMemoryPermission -InputObject $shm -Mode 0600
            (Get-SemaphoreSet $shm.Key).Mode | Should -Be '600' -Because 'the set follows the segment'
            (Invoke-LockAs -Uid 4242 -Key $shm.Key).SharedFalse | Should -BeExactly 'PermissionDenied,ShmPS.Commands.LockSharedMemoryCommand'
            (Invoke-LockAs -Uid 65534 -Key $shm.Key).SharedFalse | Should -Be 'locked'
        }

        It 'gives the set root creates for a segment of uid 65534 to that owner, who can take it' {
            $shm = New-LockSegment -Mode 0640
            Set-SharedMemoryPermission -InputObject $shm -Owner 65534 -Group 65534
            Lock-SharedMemory -InputObject $shm -ScriptBlock { }
            $set = Get-SemaphoreSet $shm.Key
            $set.Uid, $set.Gid, $set.Mode | Should -Be @(65534, 65534, '640')
            (Invoke-AsNobody $LockTool try sysv ('0x{0:x8}' -f $shm.Key) ex).ExitCode | Should -Be 0
        }

        It 'leaves the permissions of another program''s one-semaphore set alone when the segment''s change' {
            $shm = New-LockSegment -Mode 0600
            Invoke-LockTool binsem try ('0x{0:x8}' -f $shm.Key) | Should -Be 0
            Set-SharedMemoryPermission -InputObject $shm -Mode 0666 -WarningAction SilentlyContinue
            (Get-SemaphoreSet $shm.Key).Mode | Should -Be '600'
        }
    }

    Context 'removal with the segment' {
        It 'Remove-SharedMemory removes the set ShmPS made for the segment' {
            $shm = New-LockSegment
            Lock-SharedMemory -InputObject $shm -ScriptBlock { }
            Get-SemaphoreSet $shm.Key | Should -Not -BeNullOrEmpty
            $key = $shm.Key
            Remove-SharedMemory -InputObject $shm -Confirm:$false
            Get-SemaphoreSet $key | Should -BeNullOrEmpty
        }

        It 'Remove-SharedMemory removes the set while a lock is held, and the lock then releases quietly' {
            $shm = New-LockSegment
            $key = $shm.Key
            $held = Lock-SharedMemory -InputObject $shm
            Remove-SharedMemory -InputObject $shm -Confirm:$false
            Get-SemaphoreSet $key | Should -BeNullOrEmpty
            { $held | Unlock-SharedMemory -ErrorAction Stop } | Should -Not -Throw
        }

        It 'leaves <Case> in place and still removes the segment' -TestCases @(
            @{ Case = 'another program''s one-semaphore set'; Count = 1 }
            @{ Case = 'a set of 3 semaphores'; Count = 3 }
        ) {
            $shm = New-LockSegment
            $key = $shm.Key
            Invoke-LockTool semset ('0x{0:x8}' -f $key) $Count 1 | Should -Be 0
            $before = Get-SemaphoreValues -Key $key -OperationTime
            Remove-SharedMemory -InputObject $shm -Confirm:$false
            Get-SharedMemory -Key $key -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Get-SemaphoreValues -Key $key -OperationTime | Should -Be $before
        }

        It 'leaves a two-semaphore set that another user owns, and still removes the segment' {
            $shm = New-LockSegment
            $key = $shm.Key
            Invoke-LockTool semset ('0x{0:x8}' -f $key) 2 | Should -Be 0
            $set = Get-SemaphoreSet $key
            # Given away as another program might: not the segment owner's, so not ShmPS's to remove.
            & $SystemPython -c "import sysv_ipc; s = sysv_ipc.Semaphore($key); s.uid = 4242" 2>&1 | Should -BeNullOrEmpty
            Remove-SharedMemory -InputObject $shm -Confirm:$false
            Get-SharedMemory -Key $key -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            (Get-SemaphoreSet $key).Id | Should -Be $set.Id
        }

        It 'removes a segment whose set is already gone' {
            $shm = New-LockSegment
            Lock-SharedMemory -InputObject $shm -ScriptBlock { }
            ipcrm -S $shm.Key
            $key = $shm.Key
            { Remove-SharedMemory -InputObject $shm -Confirm:$false -ErrorAction Stop } | Should -Not -Throw
            Get-SharedMemory -Key $key -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'leaves no semaphore set behind after 300 create, lock, unlock, remove cycles' {
            $base = 0x5b000000 + (Get-Random -Maximum 0xff) * 0x10000
            $keys = 0..299 | ForEach-Object { $base + $_ }
            $ours = { @(Get-SysvIpcTable sem | Where-Object key -In $keys).Count }
            try {
                foreach ($key in $keys) {
                    $shm = New-SharedMemory -Kind SystemV -Key $key -Size 4096
                    $held = Lock-SharedMemory -InputObject $shm -Shared:($key % 2 -eq 1)
                    $held | Unlock-SharedMemory
                    Remove-SharedMemory -InputObject $shm -Confirm:$false
                }
                & $ours | Should -Be 0 -Because 'other test runs may make sets meanwhile, so this counts the sets with these keys'
            } finally {
                foreach ($row in Get-SysvIpcTable sem | Where-Object key -In $keys) { ipcrm -s $row.semid 2>&1 | Out-Null }
                foreach ($key in $keys) { ipcrm -M $key 2>&1 | Out-Null }
            }
        }

        It 'leaves the number of semaphore sets where it started after 300 cycles in an IPC namespace of its own' {
            unshare -i true 2>$null
            if ($LASTEXITCODE) {
                Set-ItResult -Skipped -Because 'a new IPC namespace needs root (unshare -i)'
                return
            }
            $child = Invoke-ChildPwsh -TimeoutSeconds 120 -Launcher 'unshare', '-i' -Script @'
$count = { @(Get-Content /proc/sysvipc/sem).Count - 1 }
$before = & $count
for ($key = 0x5c000001; $key -le 0x5c000000 + 300; $key++) {
    $shm = New-SharedMemory -Kind SystemV -Key $key -Size 4096
    $shm | Lock-SharedMemory -Shared:($key % 2 -eq 1) | Unlock-SharedMemory
    Remove-SharedMemory -InputObject $shm -Confirm:$false
}
"$before $(& $count)"
'@
            $child.ExitCode | Should -Be 0 -Because $child.Error
            $child.Output.Trim() | Should -Be '0 0'
        }
    }
}
