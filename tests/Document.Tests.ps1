# Documents: Write-SharedMemory -Document and Read-SharedMemory -Document (and the methods WriteDocument,
# ReadDocument, ReadDocumentBytes): a whole text behind a seqlock header that readers never see half of,
# however often it is rewritten (a writer and readers in other processes), read by the Python reader
# that about_ShmPS documents, too large refused leaving the last one whole, a dead writer repaired.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $Kinds = Get-TestKind -AsTestCase
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    function script:Get-IdentityText($shm) {
        switch ($shm.Kind) { 'Posix' { "-Name '$($shm.Name)'" } 'SystemV' { "-Id $($shm.Id)" } 'File' { "-LiteralPath '$($shm.Path)'" } }
    }

    # The Python reader of about_ShmPS ("Documents"), word for word, over the object's bytes: a file mapped
    # with mmap, or a System V segment through sysv_ipc.
    $script:PythonReader = @'
import struct, time

def read_document(buf, offset=0):
    """The whole document at offset in buf (an mmap, or any buffer over the shared memory), as bytes."""
    while True:
        seq1, length, magic = struct.unpack_from('<III', buf, offset)
        if seq1 & 1:                       # a writer is in the middle: try again
            time.sleep(0.001)
            continue
        if magic != 0x434F4453:
            if seq1 == 0:
                return b''                 # never written
            raise ValueError('no ShmPS document at this offset')
        data = bytes(buf[offset + 16:offset + 16 + length])
        seq2, = struct.unpack_from('<I', buf, offset)
        if seq1 == seq2:                   # nobody wrote meanwhile: data is whole
            return data
'@
    function script:Invoke-PythonReader($shm, [long] $Offset) {
        $open = if ($shm.Kind -eq 'SystemV') {
            "import sysv_ipc`nbuf = sysv_ipc.SharedMemory($($shm.Key)).read()"
        } else {
            "import mmap, os`nfd = os.open('$($shm.Path)', os.O_RDONLY)`nbuf = mmap.mmap(fd, 0, prot=mmap.PROT_READ)"
        }
        $program = "$PythonReader`n$open`nimport sys`nsys.stdout.buffer.write(read_document(buf, $Offset))"
        $out = & /usr/bin/python3 -c $program
        if ($LASTEXITCODE) { throw "python3 failed: $out" }
        $out -join "`n"
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Write-SharedMemory -Document and Read-SharedMemory -Document' -Tag Posix, SystemV, File {
    It '<Kind>: a shorter second document leaves nothing of the first behind' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $v1 = @{ version = 1; servers = 'alpha', 'beta', 'gamma'; note = 'x' * 200 } | ConvertTo-Json -Compress
        $v2 = @{ version = 2; servers = @('alpha') } | ConvertTo-Json -Compress
        $shm | Write-SharedMemory -Document $v1
        $shm | Read-SharedMemory -Document | Should -BeExactly $v1
        $shm | Write-SharedMemory -Document $v2
        $read = $shm | Read-SharedMemory -Document
        $read | Should -BeExactly $v2
        ($read | ConvertFrom-Json).servers | Should -Be 'alpha'
        $shm.ReadDocument(0) | Should -BeExactly $v2
    }

    It '<Kind>: bytes, an offset, another encoding, and the methods' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $bytes = [byte[]](0, 255, 1, 254, 0, 7)
        $shm | Write-SharedMemory -Offset 1024 -Document $bytes
        $read = $shm | Read-SharedMemory -Offset 1024 -Document -As Byte
        $read.GetType() | Should -Be ([byte[]])
        [Convert]::ToHexString($read) | Should -Be '00FF01FE0007'
        $shm | Write-SharedMemory -Offset 2048 -Document 'Grüße ✓' -Encoding unicode
        $shm | Read-SharedMemory -Offset 2048 -Document -Encoding unicode | Should -BeExactly 'Grüße ✓'
        $shm.WriteDocument(3072, 'méthode')
        $shm.ReadDocument(3072) | Should -BeExactly 'méthode'
        [Convert]::ToHexString($shm.ReadDocumentBytes(1024)) | Should -Be '00FF01FE0007'
        # The header as about_ShmPS documents it: sequence (even), length, magic "SDOC".
        $shm.ReadUInt32(3072) % 2 | Should -Be 0
        $shm.ReadUInt32(3072 + 4) | Should -Be ([Text.Encoding]::UTF8.GetByteCount('méthode'))
        [Text.Encoding]::ASCII.GetString($shm.Read(3072 + 8, 4)) | Should -BeExactly 'SDOC'
        $shm.Close()
    }

    It '<Kind>: a document larger than the object is DocumentTooLarge and the last one stays whole' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $shm | Write-SharedMemory -Document 'the last good one'
        { $shm | Write-SharedMemory -Document ('y' * 4081) -ErrorAction Stop } | Should -Throw -ErrorId 'DocumentTooLarge*'
        $shm | Read-SharedMemory -Document | Should -BeExactly 'the last good one'
        $shm | Write-SharedMemory -Document ('z' * 4080)
        ($shm | Read-SharedMemory -Document).Length | Should -Be 4080 -Because '4096 bytes less the 16-byte header fit exactly'
    }

    It '<Kind>: an object never written reads as an empty document; other bytes are InvalidDocument' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $shm | Read-SharedMemory -Document | Should -BeExactly ''
        $shm | Write-SharedMemory -Offset 512 -Value 'not a document at all'
        { $shm | Read-SharedMemory -Offset 512 -Document -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDocument*'
        { $shm | Read-SharedMemory -Offset 2 -Document -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument*'
        { $shm | Read-SharedMemory -Offset 4088 -Document -ErrorAction Stop } | Should -Throw -ErrorId 'OffsetOutOfRange*'
        { $shm | Write-SharedMemory -Document @{ a = 1 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidValue*'
        { $shm | Write-SharedMemory -Document 'x' -Value 'y' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument*'
    }

    It '<Kind>: the Python reader of about_ShmPS reads what ShmPS wrote' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind
        $json = @{ service = 'ingest'; port = 8443; peers = 'a', 'b' } | ConvertTo-Json -Compress
        $shm | Write-SharedMemory -Offset 256 -Document $json
        Invoke-PythonReader $shm 256 | Should -BeExactly $json
        Invoke-PythonReader $shm 0 | Should -BeExactly '' -Because 'nothing was written at offset 0'
    }

    It '<Kind>: readers in two processes never see half a document while a writer rewrites it without pause' -TestCases $Kinds {
        $shm = New-TestSharedMemory $Kind -Size 65536
        $identity = Get-IdentityText $shm
        # Each document is a JSON object whose padding is one letter repeated n times, n varying widely:
        # half of one document and half of another would not parse, or would not agree with itself.
        $writer = Start-ChildPwsh @"
`$o = Get-SharedMemory $identity
'ready'
for (`$i = 0; `$o.ReadInt32(65532) -eq 0; `$i++) {
    `$n = (`$i * 7919) % 30000
    `$o.WriteDocument(0, ('{"i":' + `$i + ',"n":' + `$n + ',"pad":"' + [string][char](97 + `$i % 26) * `$n + '"}'))
}
"done `$i"
"@
        Read-ProcessLine $writer 60 | Should -BeExactly 'ready'
        $reader = @"
`$o = Get-SharedMemory $identity
`$bad = 0; `$reads = 0; `$seen = @{}
while (`$reads -lt 1500) {
    `$text = `$o.ReadDocument(0)
    if (`$text -eq '') { continue }
    `$reads++
    try { `$d = `$text | ConvertFrom-Json } catch { `$bad++; continue }
    `$seen[`$d.i] = 1
    if (`$d.pad.Length -ne `$d.n -or (`$d.n -gt 0 -and `$d.pad -cne ([string][char](97 + `$d.i % 26) * `$d.n))) { `$bad++ }
}
"`$reads `$bad `$(`$seen.Count)"
"@
        $other = Start-ChildPwsh $reader
        $result = Invoke-ChildPwsh $reader -TimeoutSeconds 300
        $line = Read-ProcessLine $other 300
        $shm.WriteInt32(65532, 1) # the writer stops
        $writer.WaitForExit(60000) | Should -BeTrue
        $writes = [int]($writer.StandardOutput.ReadToEnd().Trim() -replace '^done ')
        $result.ExitCode | Should -Be 0 -Because $result.Error
        foreach ($answer in $result.Output.Trim(), $line) {
            $reads, $bad, $versions = [int[]]($answer -split ' ')
            $reads | Should -Be 1500
            $bad | Should -Be 0 -Because 'no read may see half of one document and half of another'
            $versions | Should -BeGreaterThan 20 -Because 'the readers read while the document was being rewritten'
        }
        $writes | Should -BeGreaterThan 100
    }
}

Describe 'A writer that died in the middle of a write' -Tag Posix {
    It 'readers wait, then say DocumentBusy; the next writer takes over after 2 s and repairs it' {
        $shm = New-TestSharedMemory Posix
        $shm | Write-SharedMemory -Document 'before'
        $sequence = $shm.ReadUInt32(0)
        $shm.WriteUInt32(0, $sequence + 1) # what a writer that died after starting leaves: an odd sequence
        { $shm | Read-SharedMemory -Document -ErrorAction Stop } | Should -Throw -ErrorId 'DocumentBusy*'
        $shm | Write-SharedMemory -Document 'after'
        $shm | Read-SharedMemory -Document | Should -BeExactly 'after'
        $shm.ReadUInt32(0) | Should -Be ($sequence + 4) -Because 'taken over (+2, still odd) and finished (+1)'
        $shm.Close()
    }
}
