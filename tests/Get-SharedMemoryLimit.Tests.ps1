# Get-SharedMemoryLimit: every figure against the kernel's own tools (/proc/sys/kernel, ipcs, lsipc, df,
# /proc/meminfo, ulimit, the /proc/PID/ns links), in this namespace and in new IPC and mount namespaces
# (unshare -i -m) with a /dev/shm and System V limits of known size, where the figures must follow what
# is created there.

BeforeAll {
    . $PSScriptRoot/common.ps1

    function ConvertFrom-IpcsLimit([string[]] $Lines) {
        <# `ipcs -l -m -b` as name => number: "max seg size (bytes) = 1048576" and so on. #>
        $values = @{}
        foreach ($line in $Lines) {
            if ($line -match '^(?<name>[^=]+?)\s*=\s*(?<value>\d+)\s*$') { $values[$Matches.name] = [decimal]$Matches.value }
        }
        $values
    }

    function ConvertFrom-IpcsUsage([string[]] $Lines) {
        <# `ipcs -u -m` as name => number: "segments allocated 2", "pages resident  1" and so on. #>
        $values = @{}
        foreach ($line in $Lines) {
            if ($line -match '^(?<name>[a-z ]+?)\s+(?<value>\d+)\s*$') { $values[$Matches.name] = [decimal]$Matches.value }
        }
        $values
    }

    function ConvertFrom-Lsipc([string[]] $Lines) {
        <# `lsipc -g -r -b -o RESOURCE,LIMIT,USED` as resource => @{ Limit; Used } ('-' where none). #>
        $values = @{}
        foreach ($line in $Lines) {
            $f = -split $line
            if ($f.Count -eq 3) { $values[$f[0]] = @{ Limit = $f[1]; Used = $f[2] } }
        }
        $values
    }

    # What a script run in a namespace reports: ShmPS's figures and the tools' in the same place.
    $script:KernelViewScript = @'
function Get-View {
    [pscustomobject]@{
        Limit = Get-SharedMemoryLimit
        Ipcs = @(ipcs -l -m -b) + @(ipcs -u -m)
        Df = (-split (df -B1 --output=size,used,avail /dev/shm | Select-Object -Last 1))
        DfInodes = (-split (df --output=itotal,iavail /dev/shm | Select-Object -Last 1))
        IpcNamespace = (readlink /proc/self/ns/ipc)
        MountNamespace = (readlink /proc/self/ns/mnt)
    }
}
'@
}

AfterAll { Remove-TestSharedMemory }

Describe 'Get-SharedMemoryLimit' -Tag Limits {
    Context 'in the caller''s namespaces' {
        BeforeAll {
            $script:Limit = Get-SharedMemoryLimit
        }

        It 'writes one ShmPS.SharedMemoryLimit and no warning' {
            $all = @(Get-SharedMemoryLimit -WarningVariable warnings)
            $all.Count | Should -Be 1
            $all[0] | Should -BeOfType ShmPS.SharedMemoryLimit
            $warnings | Should -BeNullOrEmpty
            (Get-Command Get-SharedMemoryLimit).OutputType.Type | Should -Be ([ShmPS.SharedMemoryLimit])
        }

        It 'has the System V limits of /proc/sys/kernel: shmmax, shmall, shmmni' {
            $Limit.MaxSegmentSize | Should -Be ([decimal](Get-Content /proc/sys/kernel/shmmax))
            $Limit.MaxTotalPages | Should -Be ([decimal](Get-Content /proc/sys/kernel/shmall))
            $Limit.MaxSegments | Should -Be ([decimal](Get-Content /proc/sys/kernel/shmmni))
            $Limit.PageSize | Should -Be ([long](getconf PAGESIZE))
        }

        It 'has the limits that ipcs -l -b shows, bytes of shmall included' {
            $ipcs = ConvertFrom-IpcsLimit (ipcs -l -m -b)
            $Limit.MaxSegments | Should -Be $ipcs['max number of segments']
            $Limit.MaxSegmentSize | Should -Be $ipcs['max seg size (bytes)']
            $Limit.MaxTotalBytes | Should -Be $ipcs['max total shared memory (bytes)']
            $Limit.MinSegmentSize | Should -Be $ipcs['min seg size (bytes)']
        }

        It 'has the limits that lsipc -g shows' {
            $lsipc = ConvertFrom-Lsipc (lsipc -g -r -b -o RESOURCE,LIMIT,USED)
            $Limit.MaxSegments | Should -Be ([decimal]$lsipc.SHMMNI.Limit)
            $Limit.MaxTotalPages | Should -Be ([decimal]$lsipc.SHMALL.Limit)
            $Limit.MaxSegmentSize | Should -Be ([decimal]$lsipc.SHMMAX.Limit)
            $Limit.MinSegmentSize | Should -Be ([decimal]$lsipc.SHMMIN.Limit)
        }

        It 'has the size of /dev/shm and its inodes as df shows them' {
            # Used and free change with every object others create here; the namespace test compares them.
            $df = -split (df -B1 --output=size /dev/shm | Select-Object -Last 1)
            $Limit.DevShmSize | Should -Be ([decimal]$df[0])
            $inodes = -split (df --output=itotal /dev/shm | Select-Object -Last 1)
            $Limit.DevShmInodes | Should -Be ([decimal]$inodes[0])
            $Limit.DevShmPath | Should -Be '/dev/shm'
        }

        It 'has the huge pages of /proc/meminfo, the size in bytes' {
            $meminfo = @{}
            foreach ($line in Get-Content /proc/meminfo) {
                $name, $value = $line -split ':\s*', 2
                $meminfo[$name] = $value
            }
            $Limit.HugePagesTotal | Should -Be ([long]$meminfo['HugePages_Total'])
            $Limit.HugePagesFree | Should -Be ([long]$meminfo['HugePages_Free'])
            $Limit.HugePageSize | Should -Be ([long]($meminfo['Hugepagesize'] -replace ' kB$') * 1024)
        }

        It 'names the IPC and mount namespaces as /proc/PID/ns does' {
            $Limit.IpcNamespace | Should -BeExactly (readlink "/proc/$PID/ns/ipc")
            $Limit.MountNamespace | Should -BeExactly (readlink "/proc/$PID/ns/mnt")
            $Limit.IpcNamespace | Should -Match '^ipc:\[\d+\]$'
        }

        It 'has the caller''s file size limit in bytes: <Blocks> blocks of 1024 bytes (ulimit -f)' -TestCases @(
            @{ Blocks = '2048' }, @{ Blocks = '100' }, @{ Blocks = 'unlimited' }
        ) {
            param($Blocks)
            $script = "(Get-SharedMemoryLimit).FileSizeLimit; bash -c 'ulimit -f'"
            # With a small limit .NET must not write its double-mapped code or the startup profile to files.
            $launcher = 'bash', '-c', ("ulimit -f $Blocks && export DOTNET_EnableWriteXorExecute=0 XDG_CACHE_HOME=`$(mktemp -d) && " +
                'mkdir -p $XDG_CACHE_HOME/powershell && ln -s /dev/null $XDG_CACHE_HOME/powershell/StartupProfileData-NonInteractive && exec "$0" "$@"')
            $child = Invoke-ChildPwsh -Launcher $launcher -Script $script
            $child.ExitCode | Should -Be 0 -Because $child.Error
            $bytes, $shell = @($child.Output -split "`n" | Where-Object { $_ })
            $shell | Should -Be $Blocks -Because 'the child inherits the limit'
            $expected = if ($Blocks -eq 'unlimited') { [ulong]::MaxValue } else { [ulong]$Blocks * 1024 }
            [ulong]$bytes | Should -Be $expected
        }

        It 'shows sizes in the list as lsipc shows them, with the exact bytes, and keeps the properties exact' {
            $lsipc = @{}
            foreach ($line in lsipc --global --noheadings --raw -o RESOURCE,LIMIT) { $r, $v = $line -split ' '; $lsipc[$r] = $v }
            $text = $Limit | Format-List | Out-String -Width 200
            $text | Should -Match "(?m)^MaxSegmentSize\s+: $([regex]::Escape($lsipc.SHMMAX)) \($($Limit.MaxSegmentSize) bytes\)\s*$"
            $text | Should -Match "(?m)^MinSegmentSize\s+: $($Limit.MinSegmentSize) bytes\s*$" -Because "lsipc shows it as $($lsipc.SHMMIN)"
            $text | Should -Match "(?m)^DevShmSize\s+: $([regex]::Escape([ShmPS.ByteSize]::Format($Limit.DevShmSize))) \($($Limit.DevShmSize) bytes\)"
            $Limit.MaxSegmentSize | Should -BeOfType [ulong]
            $Limit.DevShmSize | Should -Be ([ulong](df --output=size -B1 /dev/shm | Select-Object -Last 1).Trim())
        }

        It 'shows the object in a list, an unlimited file size as "unlimited"' {
            $text = $Limit | Out-String
            $text | Should -Match 'MaxSegments\s+:\s+\d+'
            $text | Should -Match 'DevShmAvailable\s+:\s+\d+'
            $text | Should -Match 'IpcNamespace\s+:\s+ipc:\['
            if ($Limit.FileSizeLimit -eq [ulong]::MaxValue) { $text | Should -Match 'FileSizeLimit\s+:\s+unlimited' }
            $table = $Limit | Format-Table -View ShmPS.SharedMemoryLimit.Table | Out-String
            $table | Should -Match 'IpcNamespace'
            $table | Should -Match ([regex]::Escape($Limit.IpcNamespace))
        }
    }

    Context 'in new IPC and mount namespaces (unshare -i -m)' {
        BeforeAll {
            unshare -i -m true 2>$null
            $script:CanUnshare = -not $LASTEXITCODE
            # An 8 MiB /dev/shm with 50 inodes, 64 segments of at most 1 MiB and 1000 pages in all.
            $script:Launcher = 'unshare', '-i', '-m', 'sh', '-c', (
                'mount -t tmpfs -o size=8m,nr_inodes=50 tmpfs /dev/shm && echo 64 > /proc/sys/kernel/shmmni && ' +
                'echo 1048576 > /proc/sys/kernel/shmmax && echo 1000 > /proc/sys/kernel/shmall && exec "$0" "$@"')
        }

        BeforeEach {
            if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new IPC and mount namespaces need root (unshare -i -m)' }
        }

        It 'follows the namespace and what is created in it, as ipcs, lsipc and df show it' {
            $script = $KernelViewScript + @'

$before = Get-View
$segment = New-SharedMemory -Key 0x51e7 -Size 10000        # 3 pages of 4 KiB
$segment | Write-SharedMemory -Value ([byte[]](1..100))     # 1 page made resident
$null = New-SharedMemory -Key 0x51e8 -Size 5000            # 2 pages
$null = New-SharedMemory -Name /limits -Size 1MB           # reserved: 256 pages of /dev/shm
$after = Get-View
try { $null = New-SharedMemory -Key 0x51e9 -Size 2MB; $over = 'created' }
catch { $over = $_.FullyQualifiedErrorId; $action = $_.ErrorDetails.RecommendedAction }
[pscustomobject]@{ Before = $before; After = $after; Over = $over; Action = $action; Lsipc = @(lsipc -g -r -b -o RESOURCE,LIMIT,USED) } |
    ConvertTo-Json -Depth 4
'@
            $child = Invoke-ChildPwsh -TimeoutSeconds 90 -Launcher $Launcher -Script $script
            $child.ExitCode | Should -Be 0 -Because $child.Error
            $r = $child.Output | ConvertFrom-Json
            $page = (Get-SharedMemoryLimit).PageSize

            foreach ($view in $r.Before, $r.After) {
                $l = $view.Limit
                $l.MaxSegments | Should -Be 64
                $l.MaxSegmentSize | Should -Be 1048576
                $l.MaxTotalPages | Should -Be 1000
                $l.MaxTotalBytes | Should -Be (1000 * $page)
                $ipcs = ConvertFrom-IpcsLimit $view.Ipcs
                $l.MaxSegments | Should -Be $ipcs['max number of segments']
                $l.MaxSegmentSize | Should -Be $ipcs['max seg size (bytes)']
                $l.MaxTotalBytes | Should -Be $ipcs['max total shared memory (bytes)']
                $usage = ConvertFrom-IpcsUsage $view.Ipcs
                $l.Segments | Should -Be $usage['segments allocated']
                $l.TotalPages | Should -Be $usage['pages allocated']
                $l.ResidentPages | Should -Be $usage['pages resident']
                $l.SwappedPages | Should -Be $usage['pages swapped']
                $l.TotalBytes | Should -Be ($l.TotalPages * $page)
                $l.DevShmSize | Should -Be 8MB
                $l.DevShmSize | Should -Be ([decimal]$view.Df[0])
                $l.DevShmUsed | Should -Be ([decimal]$view.Df[1])
                $l.DevShmAvailable | Should -Be ([decimal]$view.Df[2])
                $l.DevShmInodes | Should -Be ([decimal]$view.DfInodes[0])
                $l.DevShmFreeInodes | Should -Be ([decimal]$view.DfInodes[1])
                $l.IpcNamespace | Should -BeExactly $view.IpcNamespace
                $l.MountNamespace | Should -BeExactly $view.MountNamespace
                $l.IpcNamespace | Should -Not -BeExactly (readlink "/proc/$PID/ns/ipc")
                $l.MountNamespace | Should -Not -BeExactly (readlink "/proc/$PID/ns/mnt")
            }
            $b = $r.Before.Limit
            $a = $r.After.Limit
            $b.Segments | Should -Be 0
            $b.TotalPages | Should -Be 0
            $b.DevShmUsed | Should -Be 0
            $a.Segments | Should -Be 2
            $a.TotalPages | Should -Be ([Math]::Ceiling(10000 / $page) + [Math]::Ceiling(5000 / $page)) -Because 'each segment takes whole pages'
            $a.ResidentPages | Should -Be 1
            $a.DevShmUsed | Should -Be 1MB
            $a.DevShmAvailable | Should -Be (8MB - 1MB)
            $a.DevShmFreeInodes | Should -Be ($b.DevShmFreeInodes - 1)
            $lsipc = ConvertFrom-Lsipc $r.Lsipc
            $lsipc.SHMMNI.Used | Should -Be $a.Segments
            # lsipc counts SHMALL's use from /proc/sysvipc/shm sizes rounded down (2 + 1 pages here); the kernel
            # counts whole pages (shm_tot), as ipcs -u shows above.
            $lsipc.SHMALL.Limit | Should -Be $a.MaxTotalPages
            $r.Over | Should -BeExactly 'InsufficientSpace,ShmPS.Commands.NewSharedMemoryCommand'
            $r.Action | Should -Match 'Get-SharedMemoryLimit'
        }

        It 'leaves out what the kernel does not give, with a warning: a mount namespace without /dev/shm' {
            # A /dev of its own that holds only the devices pwsh needs.
            $launcher = 'unshare', '-m', 'sh', '-c', (
                'd=$(mktemp -d) && mount --rbind /dev $d && mount -t tmpfs tmpfs /dev && ' +
                'for f in null zero random urandom full; do touch /dev/$f && mount --bind $d/$f /dev/$f; done && ' +
                'umount -l $d && exec "$0" "$@"')
            $script = @'
$l = Get-SharedMemoryLimit -WarningVariable warnings -WarningAction SilentlyContinue
[pscustomobject]@{ Warnings = @($warnings.Message); Size = $l.DevShmSize; Available = $l.DevShmAvailable
    MaxSegments = $l.MaxSegments; Shmmni = [decimal](Get-Content /proc/sys/kernel/shmmni) } | ConvertTo-Json
'@
            $child = Invoke-ChildPwsh -TimeoutSeconds 90 -Launcher $launcher -Script $script
            $child.ExitCode | Should -Be 0 -Because $child.Error
            $r = $child.Output | ConvertFrom-Json
            $r.Size | Should -BeNullOrEmpty
            $r.Available | Should -BeNullOrEmpty
            @($r.Warnings).Count | Should -Be 1
            $r.Warnings[0] | Should -Match '/dev/shm.*statvfs.*ENOENT'
            $r.MaxSegments | Should -Be $r.Shmmni -Because 'the other parts are still there'
        }
    }
}
