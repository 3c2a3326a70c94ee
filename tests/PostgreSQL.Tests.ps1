# A real PostgreSQL cluster, started and stopped by the test (Debian's postgresql package; CI installs it):
# its main shared memory, every shared buffer, is a shared anonymous mapping that starts with PGShmemHeader.
# ShmPS must find it, read its header, and name exactly the cluster's processes as its users.

BeforeDiscovery {
    $script:NoPostgres = -not (Get-ChildItem /usr/lib/postgresql/*/bin/initdb -ErrorAction SilentlyContinue) -or -not (Get-Command runuser -ErrorAction SilentlyContinue)
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:PgBin = @(Get-ChildItem /usr/lib/postgresql/*/bin/initdb -ErrorAction SilentlyContinue | Sort-Object FullName)[-1] | Split-Path -Parent
    $script:Header = New-SharedMemoryLayout (Get-Content -Raw (Join-Path $PSScriptRoot 'fixtures/pg_shmem.h'))

    # The postmaster and every process it started (its children), from /proc/PID/stat.
    function Get-ClusterProcess([int] $ServerPid) {
        @($ServerPid) + @(Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
                $stat = Get-Content "$($_.FullName)/stat" -Raw -ErrorAction SilentlyContinue
                # pid (comm) state ppid ...: the fields after the last ')'.
                if ($stat -and [int](-split $stat.Substring($stat.LastIndexOf(')') + 1))[1] -eq $ServerPid) { [int]$_.Name }
            }) | Sort-Object
    }
}

Describe 'A PostgreSQL cluster''s main shared memory' -Skip:$NoPostgres {
    BeforeAll {
        $script:Dir = New-TestDirectory
        $script:Data = Join-Path $Dir 'data'
        chown postgres $Dir
        $out = runuser -u postgres -- "$PgBin/initdb" -D $Data -A trust --no-sync 2>&1
        if ($LASTEXITCODE) { throw "initdb failed: $out" }
        # No autovacuum: its workers come and go, and the users must be compared with a fixed set of processes.
        $out = runuser -u postgres -- "$PgBin/pg_ctl" -D $Data -w -l "$Dir/log" -o "-k $Dir -c listen_addresses= -c shared_buffers=8MB -c autovacuum=off -c huge_pages=off" start 2>&1
        if ($LASTEXITCODE) { throw "pg_ctl start failed: $out`n$(Get-Content "$Dir/log" -Raw -ErrorAction SilentlyContinue)" }
        $script:ServerPid = [int](Get-Content "$Data/postmaster.pid")[0]
        $script:Main = @(Get-SharedMemory -UsedByProcessId $ServerPid -Kind Anonymous | Where-Object Name -EQ '/dev/zero')
    }

    AfterAll {
        runuser -u postgres -- "$PgBin/pg_ctl" -D $Data -m immediate -w stop 2>&1 | Out-Null
    }

    It 'is found: one shared anonymous mapping of the postmaster, at least as large as shared_buffers' {
        $Main.Count | Should -Be 1
        $Main[0].Kind | Should -Be 'Anonymous'
        $Main[0].Size | Should -BeGreaterThan 8MB
        $Main[0].Owner | Should -Be 'postgres'
        (Get-SharedMemory -Kind Anonymous -Id $Main[0].Id -WarningAction SilentlyContinue).Size | Should -Be $Main[0].Size
    }

    It 'starts with the PGShmemHeader: its magic, the postmaster''s pid, its size and data directory' {
        $h = Read-SharedMemory -InputObject $Main[0] -Layout $Header
        $h.magic | Should -Be 679834894 -Because 'PGShmMagic'
        $h.creatorPID | Should -Be $ServerPid
        $h.totalsize | Should -BeLessOrEqual $Main[0].Size
        $h.totalsize | Should -BeGreaterThan 8MB
        $dev, $ino = (stat -c '%d %i' $Data) -split ' '
        $h.device | Should -Be ([uint64]$dev)
        $h.inode | Should -Be ([uint64]$ino)
    }

    It 'is used by exactly the cluster''s processes' {
        $expected = Get-ClusterProcess $ServerPid
        $expected.Count | Should -BeGreaterOrEqual 4 -Because 'the postmaster, checkpointer, background writer and WAL writer at least'
        $users = (Get-SharedMemory -Kind Anonymous -Id $Main[0].Id -IncludeProcess -WarningAction SilentlyContinue).Processes.ProcessId | Sort-Object
        $users | Should -Be $expected
    }

    It 'is listed among the postmaster''s regions beside its System V header and its /PostgreSQL.N control object' {
        $all = Get-SharedMemory -UsedByProcessId $ServerPid
        $id = [int](-split (Get-Content "$Data/postmaster.pid")[6])[1]
        ($all | Where-Object Kind -EQ 'SystemV').Id | Should -Be $id
        ($all | Where-Object Kind -EQ 'Posix').Name | Should -Match '^/PostgreSQL\.\d+$'
    }
}
