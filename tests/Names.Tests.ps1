# Names are bytes: a POSIX name that is not UTF-8 (made by a C or Python program, here Python as uid
# 65534) is listed once, as itself, with each undecodable byte as U+DC80-U+DCFF; it is in -Orphaned and
# -LiteralName reaches it; a sibling whose name is U+FFFD in UTF-8 stays another object, and rows act on
# the object they were listed as. Paths given to the File kind reach the exact bytes too.

BeforeAll {
    . $PSScriptRoot/common.ps1

    # Bytes of the names, as Python sees them: the test's own view, independent of ShmPS.
    $script:Py = @'
import os, sys
cmd, prefix = sys.argv[1], os.fsencode(sys.argv[2])
if cmd == 'make':
    for n in map(bytes.fromhex, sys.argv[3:]):  # names given as the hex of their bytes
        fd = os.open(b'/dev/shm/' + prefix + n, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.write(fd, n)
        os.close(fd)
elif cmd == 'list':
    for n in sorted(os.listdir(b'/dev/shm')):
        if n.startswith(prefix):
            print(n[len(prefix):].hex(), os.stat(b'/dev/shm/' + n).st_ino)
elif cmd == 'clean':
    for n in os.listdir(b'/dev/shm'):
        if n.startswith(prefix):
            os.unlink(b'/dev/shm/' + n)
'@
    function script:Invoke-Py { param([string[]] $Arguments) python3 -c $Py @Arguments; if ($LASTEXITCODE) { throw "python3 exited $LASTEXITCODE" } }
    function script:Get-ByteEntry([string] $Prefix) {
        <# name suffix (hex of its bytes) -> inode, as Python lists /dev/shm #>
        $entries = @{}
        foreach ($line in Invoke-Py 'list', $Prefix) { $hex, $inode = $line -split ' '; $entries[$hex] = [ulong]$inode }
        $entries
    }
}

AfterAll {
    Invoke-Py 'clean', "shmps-test-$env:SHMPS_TEST_RUN-"
    Remove-TestSharedMemory
}

Describe 'a POSIX name that is not UTF-8' -Tag Posix {
    BeforeEach {
        $script:Prefix = (New-TestName).Substring(1) + '-'
        # x\xff (not UTF-8) made by another user, and its sibling x\ufffd (the replacement character, valid UTF-8).
        $r = Invoke-AsNobody /usr/bin/python3 -c $Py make $Prefix 78ff 78efbfbd
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $script:Entries = Get-ByteEntry $Prefix
        $Entries.Keys | Sort-Object | Should -Be @('78EFBFBD', '78FF')
        $script:Raw = "/${Prefix}x$([char]0xdcff)"
        $script:Sibling = "/${Prefix}x$([char]0xfffd)"
    }

    It 'is listed once, beside its U+FFFD sibling, each with its own Name and inode' {
        $listed = @(Get-SharedMemory | Where-Object Name -like "/$Prefix*")
        $listed | Should -HaveCount 2
        ($listed.Name | Sort-Object -Unique) | Should -HaveCount 2
        $byName = @{}; foreach ($shm in $listed) { $byName[$shm.Name] = $shm }
        $byName.Keys | Should -Contain $Raw
        $byName.Keys | Should -Contain $Sibling
        # Each row describes the file of its own bytes: same size (the bytes of its name) and owner 65534.
        $byName[$Raw].Size | Should -Be 2
        $byName[$Sibling].Size | Should -Be 4
        $byName[$Raw].OwnerId | Should -Be 65534
    }

    It 'is in -Orphaned, once' {
        $orphans = @(Get-SharedMemory -Orphaned -WarningAction SilentlyContinue | Where-Object Name -like "/$Prefix*")
        $orphans.Name | Sort-Object | Should -Be (@($Raw, $Sibling) | Sort-Object)
    }

    It '-LiteralName reaches it, and only it' {
        $shm = Get-SharedMemory -LiteralName $Raw
        $shm.Name | Should -BeExactly $Raw
        $shm.Size | Should -Be 2
        [Text.Encoding]::Latin1.GetString((Read-SharedMemory -LiteralName $Raw)) | Should -BeExactly "x$([char]0xff)"
        # Typed as PowerShell text: "`u{dcff}" is the byte 0xff.
        (Get-SharedMemory -LiteralName "/${Prefix}x`u{dcff}").Size | Should -Be 2
        (Get-SharedMemory -LiteralName $Sibling).Size | Should -Be 4
    }

    It '-Name refuses it, pointing to -LiteralName' {
        { Get-SharedMemory -Name $Raw -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
        try { Get-SharedMemory -Name $Raw -ErrorAction Stop } catch { $_.Exception.Message | Should -BeLike '*0xff*-LiteralName*' }
    }

    It '-Orphaned | Remove-SharedMemory removes exactly the object each row was listed as' {
        $rows = @(Get-SharedMemory -Orphaned -WarningAction SilentlyContinue | Where-Object Name -like "/$Prefix*")
        $rows | Where-Object Name -eq $Raw | Remove-SharedMemory
        (Get-ByteEntry $Prefix).Keys | Should -Be @('78EFBFBD') -Because 'the sibling named U+FFFD stays'
        $rows | Where-Object Name -eq $Sibling | Remove-SharedMemory
        (Get-ByteEntry $Prefix).Count | Should -Be 0
    }

    It 'a row keeps to its object when the name is taken over by another file' {
        $row = Get-SharedMemory -LiteralName $Raw
        $inode = $Entries['78FF']
        Invoke-Py 'clean', "${Prefix}x"
        $r = Invoke-AsNobody /usr/bin/python3 -c $Py make $Prefix 78ff
        $r.ExitCode | Should -Be 0
        (Get-ByteEntry $Prefix)['78FF'] | Should -Not -Be $inode
        { $row | Remove-SharedMemory -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        (Get-ByteEntry $Prefix).Keys | Should -Contain '78FF'
    }

    It 'shows as \xff in text and messages; the Name keeps the byte' {
        $shm = Get-SharedMemory -LiteralName $Raw
        "$shm" | Should -BeExactly "/${Prefix}x\xff"
        ($shm | Out-String -Width 400) | Should -BeLike "*/${Prefix}x\xff*"
        $shm.Name[-1] | Should -Be ([char]0xdcff)
        Remove-SharedMemory -LiteralName $Raw
        { $shm | Get-SharedMemory -ErrorAction Stop } | Should -Throw
        try { $shm | Get-SharedMemory -ErrorAction Stop } catch { $_.Exception.Message | Should -BeLike "*x\xff*" }
    }

    It 'a row saved as JSON, whose name became U+FFFD in the file, does not act on the sibling named so' {
        $row = Get-SharedMemory -LiteralName $Raw
        $file = Join-Path (New-TestDirectory) 'rows.json'
        $row | ConvertTo-Json -Depth 1 -WarningAction SilentlyContinue | Set-Content -LiteralPath $file -Encoding utf8
        $back = Get-Content -LiteralPath $file -Raw | ConvertFrom-Json
        $back.Name | Should -BeExactly $Sibling -Because 'a UTF-8 file has no form for the byte 0xff'
        $back | Remove-SharedMemory -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
        $errors[0].Exception.Message | Should -BeLike "*$($row.FileId)*"
        (Get-ByteEntry $Prefix).Keys | Sort-Object | Should -Be @('78EFBFBD', '78FF')
    }

    It 'a row saved with Export-Clixml keeps the byte and removes exactly its object' {
        $file = Join-Path (New-TestDirectory) 'rows.xml'
        Get-SharedMemory -LiteralName $Raw | Export-Clixml -LiteralPath $file
        $back = Import-Clixml -LiteralPath $file
        $back.Name | Should -BeExactly $Raw
        $back | Remove-SharedMemory
        (Get-ByteEntry $Prefix).Keys | Should -Be @('78EFBFBD')
    }

    It 'a row names its object literally: a JSON row named with a wildcard removes that object alone' {
        $a = New-SharedMemory -LiteralName "/${Prefix}w*" -Size 10
        $b = New-SharedMemory -LiteralName "/${Prefix}wide" -Size 10
        Register-TestSharedMemory -InputObject $b
        $a | ConvertTo-Json -Depth 1 -WarningAction SilentlyContinue | ConvertFrom-Json | Remove-SharedMemory
        "/dev/shm/${Prefix}wide" | Should -Exist
        Test-Path -LiteralPath "/dev/shm/${Prefix}w*" | Should -BeFalse
    }

    It 'can be created with -LiteralName as exactly those bytes' {
        $name = "/${Prefix}new`u{dcfe}"
        $made = New-SharedMemory -LiteralName $name -Size 100
        Register-TestSharedMemory -InputObject $made
        (Get-ByteEntry $Prefix).Keys | Should -Contain '6E6577FE'
        $made.Name | Should -BeExactly $name
    }

    It 'a lone surrogate that stands for no byte is refused' {
        { Get-SharedMemory -LiteralName "/${Prefix}`u{dc00}" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*'
    }
}

Describe 'what another namespace lists, by bytes' -Tag Posix {
    BeforeAll {
        unshare -i -m true 2>$null
        $script:CanUnshare = -not $LASTEXITCODE
    }

    It 'lists a name that is not UTF-8 and its U+FFFD sibling apart (-ProcessId)' {
        if (-not $CanUnshare) { Set-ItResult -Skipped -Because 'new namespaces need root' }
        $prefix = (New-TestName).Substring(1) + '-'
        $script = 'mount -t tmpfs tmpfs /dev/shm && python3 -c "$0" make "$1" "$2" "$3" && echo ready && exec sleep 300'
        $p = Start-TestProcess unshare -ArgumentList '-i', '-m', '--propagation', 'private', 'sh', '-c', $script, $Py, $prefix, '78ff', '78efbfbd' -Ready
        $listed = @(Get-SharedMemory -ProcessId $p.Id | Where-Object Name -like "/$prefix*")
        $listed | Should -HaveCount 2
        ($listed | Sort-Object Size).Name | Should -Be "/${prefix}x$([char]0xdcff)", "/${prefix}x$([char]0xfffd)"
        ($listed | Sort-Object Size | ForEach-Object { [Text.Encoding]::Latin1.GetString($_.Read(0, $_.Size)) }) |
            Should -Be "x$([char]0xff)", ("x" + [Text.Encoding]::Latin1.GetString([byte[]](0xef, 0xbf, 0xbd)))
        $listed | ForEach-Object Close
    }
}

Describe 'paths are bytes' -Tag File {
    It '-LiteralPath with `u{dcff} is the file whose name has the byte 0xff' {
        $dir = New-TestDirectory
        $made = New-SharedMemory -LiteralPath "$dir/f`u{dcff}" -Size 10
        Register-TestSharedMemory -InputObject $made
        python3 -c "import os,sys; print(os.listdir(os.fsencode(sys.argv[1]))[0].hex())" $dir | Should -Be '66ff'
        (Get-SharedMemory -LiteralPath "$dir/f`u{dcff}").Size | Should -Be 10
    }
}
