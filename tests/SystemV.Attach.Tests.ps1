BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Sysv = Get-NativeTool sysv
}

Describe 'System V attachments kept by Attach()' -Tag SystemV {
    BeforeEach {
        $script:Segment = New-SharedMemory -Kind SystemV -Size 256KB
    }
    AfterEach {
        $Segment.Close()
        Remove-SharedMemory -Id $Segment.Id -ErrorAction SilentlyContinue
    }

    It 'counts in the attach count while attached, and not after Detach()' {
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
        $Segment.Attach()
        $Segment.IsAttached | Should -BeTrue
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 1
        $Segment.Attach()   # a second Attach() keeps the one attachment
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 1
        $Segment.Detach()
        $Segment.IsAttached | Should -BeFalse
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
    }

    It 'reads and writes through the kept attachment, seeing another process at once' {
        $Segment.Attach()
        $Segment.WriteInt64(8, 0x1122334455667788)
        & $Sysv read $Segment.Id 8 8 | Should -Be '8877665544332211'
        & $Sysv write $Segment.Id 100 'cafe' | Out-Null
        $LASTEXITCODE | Should -Be 0
        [Convert]::ToHexString($Segment.Read(100, 2)) | Should -Be 'CAFE'
    }

    It 'is released by Close(), after which the methods refuse with SharedMemoryClosed, and by Remove-SharedMemory' {
        $Segment.Attach()
        $Segment.Close()
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
        try { $Segment.Attach(); throw 'Attach() after Close() worked' } catch { $_.Exception.InnerException.ErrorId | Should -Be 'SharedMemoryClosed' }
        (Get-SharedMemory -Id $Segment.Id).AttachCount | Should -Be 0
        $Segment = Get-SharedMemory -Id $Segment.Id
        $Segment.Attach()
        $Segment | Remove-SharedMemory
        # Detached before IPC_RMID: nothing keeps the segment, so it is gone at once.
        Get-SharedMemory -Id $Segment.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'copies large ranges exactly, with and without a kept attachment (<Mode>)' -TestCases @(
        @{ Mode = 'per operation' }, @{ Mode = 'kept' }
    ) {
        if ($Mode -eq 'kept') { $Segment.Attach() }
        $data = [byte[]]::new(200KB)
        [Security.Cryptography.RandomNumberGenerator]::Fill($data)
        $Segment.Write(1000, $data)
        $back = $Segment.Read(1000, $data.Length)
        [Convert]::ToHexString($back) | Should -Be ([Convert]::ToHexString($data))
        # Another process reads the same bytes at the far end of the range.
        & $Sysv read $Segment.Id (1000 + $data.Length - 4) 4 | Should -Be ([Convert]::ToHexString($data[-4..-1]))
    }

    It 'refuses a range past the end with OffsetOutOfRange while attached' {
        $Segment.Attach()
        { $Segment.Read(256KB - 2, 4) } | Should -Throw -ExceptionType ([System.Management.Automation.MethodInvocationException])
        try { $Segment.Read(256KB - 2, 4) } catch { $_.Exception.InnerException.ErrorId | Should -Be 'OffsetOutOfRange' }
    }
}
