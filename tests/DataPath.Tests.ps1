# The data path: with the guarded copy (libshmps_guard) POSIX objects and file mappings move data through a
# MAP_SHARED mapping; without it (SHMPS_DATA_PATH=syscall, or a machine that could not build or load the
# library) through pread/pwrite and per-call attachments. Both paths must behave alike, so every case runs
# on both, in a child pwsh (a fault the guard did not catch would kill it).

BeforeDiscovery {
    $Cases = foreach ($path in 'mapped', 'syscall') {
        foreach ($kind in 'Posix', 'File', 'SystemV') { @{ Path = $path; Kind = $kind } }
    }
    # The kinds that are files: their objects have a path that other processes truncate and a mapping of their own.
    $FileCases = $Cases | Where-Object { $_.Kind -ne 'SystemV' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Dir = New-TestDirectory
    function script:Invoke-OnPath([string] $Path, [string] $Kind, [string] $Script) {
        $make = switch ($Kind) {
            'Posix' { "New-SharedMemory -Name '$(New-TestName)' -Size 64KB" }
            'File' { "New-SharedMemory -Path '$(Join-Path $Dir ([Guid]::NewGuid().ToString('N')))' -Size 64KB" }
            'SystemV' { 'New-SharedMemory -Kind SystemV -Size 64KB' }
        }
        $launcher = if ($Path -eq 'syscall') { @{ Launcher = 'env', 'SHMPS_DATA_PATH=syscall' } } else { @{} }
        $full = "`$o = $make`ntry {`n$Script`n} finally { `$o.Close(); `$o | Remove-SharedMemory -Confirm:`$false }"
        $r = Invoke-ChildPwsh -Script $full @launcher
        $r.ExitCode | Should -Be 0 -Because "the child must not die (128+n is signal n):`n$($r.Error)`n$($r.Output)"
        , @($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'The data path (<Path>) for <Kind>' -ForEach $Cases {
    It 'says which path is active' {
        $out = Invoke-OnPath $Path $Kind '[ShmPS.SharedMemory]::DataPath'
        $out[0] | Should -BeLike ($Path -eq 'mapped' ? 'mapped: guarded copy (libshmps_guard.so, *' : 'system calls*')
    }

    It 'moves the same bytes through methods and cmdlets' {
        $out = Invoke-OnPath $Path $Kind @'
$data = [byte[]]::new(40000); [Random]::new(7).NextBytes($data)
$o.Write(1000, $data)
$o.WriteInt64(64, 0x0102030405060708)
$back = Read-SharedMemory -InputObject $o -Offset 1000 -Count 40000
[Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($back)) -eq [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($data))
$o.ReadInt64(64) -eq 0x0102030405060708
Write-SharedMemory -InputObject $o -Offset 300000 -Value 1uy -ErrorAction SilentlyContinue -ErrorVariable e
$e[0].FullyQualifiedErrorId -like 'OffsetOutOfRange,*'
try { $o.WriteInt64(65536 - 4, 1); 'no error' } catch { $_.Exception.InnerException.ErrorId }
$o.Refresh(); $o.Size
'@
        $out | Should -Be 'True', 'True', 'True', 'OffsetOutOfRange', '65536' -Because 'a write past the end is refused and never grows the object'
    }

}

Describe 'The mapping (<Path>) of a <Kind> object' -ForEach $FileCases {
    It 'keeps a mapping only while the methods use the object, and none after a cmdlet' {
        $out = Invoke-OnPath $Path $Kind @'
$path = $o.Path
$o | Write-SharedMemory -Value ([byte[]]::new(300KB)) -ErrorAction SilentlyContinue
$o | Read-SharedMemory -Count 60000 | Out-Null
@(Get-Content /proc/$PID/maps) -match [regex]::Escape($path) -ne $null | Measure-Object | ForEach-Object Count
$null = $o.ReadInt64(0)
@(Get-Content /proc/$PID/maps) -match [regex]::Escape($path) | Measure-Object | ForEach-Object Count
$o.IsAttached
$o.Detach()
@(Get-Content /proc/$PID/maps) -match [regex]::Escape($path) | Measure-Object | ForEach-Object Count
'@
        $expected = if ($Path -eq 'mapped') { '0', '1', 'True', '0' } else { '0', '0', 'False', '0' }
        $out | Should -Be $expected
    }

    It 'follows growth and shrinking by another process: OffsetOutOfRange past the new end, never a signal' {
        $out = Invoke-OnPath $Path $Kind @'
$o.WriteInt64(8, 42)
truncate -s 128K $o.Path
$o.WriteInt64(100000, 7)
$o.ReadInt64(100000)
truncate -s 4K $o.Path
try { $o.ReadInt64(100000); 'read' } catch { $_.Exception.InnerException.ErrorId }
try { $o.WriteInt64(8000, 1); 'written' } catch { $_.Exception.InnerException.ErrorId }
$o.ReadInt64(8)
(Get-Item $o.Path).Length
'@
        $out | Should -Be '7', 'OffsetOutOfRange', 'OffsetOutOfRange', '42', '4096'
    }
}

Describe 'The attachment (<_>) of a System V segment' -ForEach 'mapped', 'syscall' {
    It 'is kept by the methods until Detach(), with or without the guard (the region of the mapping seam), never by a cmdlet' {
        $out = Invoke-OnPath $_ 'SystemV' @'
$o | Write-SharedMemory -Value 1uy
$o | Read-SharedMemory -Count 4 | Out-Null
(Get-SharedMemory -Id $o.Id).AttachCount
$null = $o.ReadInt64(0)
(Get-SharedMemory -Id $o.Id).AttachCount
$o.Detach()
(Get-SharedMemory -Id $o.Id).AttachCount
'@
        $out | Should -Be '0', '1', '0'
    }
}
