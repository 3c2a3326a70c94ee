# Typed catches: a method's failure is a ShmPS.SharedMemoryException (what `catch [ShmPS.SharedMemoryException]`
# matches, FullyQualifiedErrorId the ErrorId) whose InnerException is the .NET family a C# user would catch
# (IOException, UnauthorizedAccessException, ArgumentOutOfRangeException, ObjectDisposedException,
# TimeoutException), carrying the ErrorId too. Each catch form is tried as a script writes it.

BeforeAll {
    . $PSScriptRoot/common.ps1
    function script:Get-Caught([scriptblock] $Block) {
        # Each form, in its own try: which clause caught, and the ids it could see.
        $forms = [ordered]@{}
        try { & $Block; $forms.SharedMemory = 'no error' } catch [ShmPS.SharedMemoryException] { $forms.SharedMemory = $_.Exception.InnerException.ErrorId }
        try { & $Block } catch [System.IO.IOException] { $forms.IO = $_.Exception.ErrorId } catch [System.UnauthorizedAccessException] { $forms.Access = $_.Exception.ErrorId } catch [System.ArgumentOutOfRangeException] { $forms.Range = $_.Exception.ErrorId } catch [System.ObjectDisposedException] { $forms.Closed = $_.Exception.ErrorId } catch [System.TimeoutException] { $forms.Timeout = $_.Exception.ErrorId } catch { $forms.Untyped = $_.Exception.GetType().FullName }
        try { & $Block } catch { $forms.FullyQualifiedErrorId = $_.FullyQualifiedErrorId; $forms.Inner = $_.Exception.InnerException.ErrorId }
        [pscustomobject]$forms
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Typed catches of method failures' {
    It 'an offset out of range is an ArgumentOutOfRangeException with OffsetOutOfRange' {
        $o = New-TestSharedMemory Posix -Size 4096
        try {
            $r = Get-Caught { $o.ReadInt64(100000) }
            $r.SharedMemory | Should -Be 'OffsetOutOfRange'
            $r.Range | Should -Be 'OffsetOutOfRange'
            $r.FullyQualifiedErrorId | Should -Be 'OffsetOutOfRange'
            $r.Inner | Should -Be 'OffsetOutOfRange'
        } finally { $o.Close() }
    }

    It 'a closed object is an ObjectDisposedException with SharedMemoryClosed' {
        $o = New-TestSharedMemory SystemV
        $o.Close()
        $r = Get-Caught { $o.ReadInt64(0) }
        $r.SharedMemory | Should -Be 'SharedMemoryClosed'
        $r.Closed | Should -Be 'SharedMemoryClosed'
        $r.FullyQualifiedErrorId | Should -Be 'SharedMemoryClosed'
    }

    It 'an object removed meanwhile is an IOException with SharedMemoryNotFound' {
        $o = New-TestSharedMemory File
        Remove-Item -LiteralPath $o.Path
        $r = Get-Caught { $o.Refresh() }
        $r.SharedMemory | Should -Be 'SharedMemoryNotFound'
        $r.IO | Should -Be 'SharedMemoryNotFound'
        $r.FullyQualifiedErrorId | Should -Be 'SharedMemoryNotFound'
    }

    It 'another user writing an object it may only read is an UnauthorizedAccessException with PermissionDenied' {
        $o = New-TestSharedMemory Posix -Mode 0644
        $o.WriteInt32(0, 7)
        $r = Invoke-ChildPwsh -Uid 65534 @"
`$o = Get-SharedMemory -Name '$($o.Name)'
try { `$o.WriteInt32(0, 1) } catch [System.UnauthorizedAccessException] { 'Access ' + `$_.Exception.ErrorId }
try { `$o.WriteInt32(0, 1) } catch [ShmPS.SharedMemoryException] { 'SharedMemory ' + `$_.Exception.InnerException.ErrorId + ' ' + `$_.FullyQualifiedErrorId }
"@
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ } | Should -Be 'Access PermissionDenied', 'SharedMemory PermissionDenied PermissionDenied'
        $o.ReadInt32(0) | Should -Be 7
        $o.Close()
    }

    It 'a lock that does not come in time is a TimeoutException with LockTimeout' {
        $o = New-TestSharedMemory File
        $held = Lock-SharedMemory -InputObject $o
        try {
            $r = Invoke-ChildPwsh @"
`$o = Get-SharedMemory -Path '$($o.Path)'
try { `$o.Lock(`$false, [TimeSpan]::FromMilliseconds(200)) } catch [System.TimeoutException] { 'Timeout ' + `$_.Exception.ErrorId }
"@
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $r.Output.Trim() | Should -Be 'Timeout LockTimeout'
        } finally { $held | Unlock-SharedMemory }
    }

    It 'a cmdlet error stopped with -ErrorAction Stop is caught by type too' {
        $r = Get-Caught { Read-SharedMemory -Name '/shmps-test-none-such' -ErrorAction Stop }
        $r.SharedMemory | Should -Be 'SharedMemoryNotFound'
        $r.IO | Should -Be 'SharedMemoryNotFound'
    }

    It 'every family carries the ErrorId (ISharedMemoryError)' {
        foreach ($t in [ShmPS.SharedMemoryIOException], [ShmPS.SharedMemoryAccessDeniedException], [ShmPS.SharedMemoryRangeException],
            [ShmPS.SharedMemoryClosedException], [ShmPS.SharedMemoryTimeoutException], [ShmPS.SharedMemoryArgumentException]) {
            [ShmPS.ISharedMemoryError].IsAssignableFrom($t) | Should -BeTrue -Because $t.Name
        }
        [ShmPS.SharedMemoryException].IsSealed | Should -BeFalse
    }
}
