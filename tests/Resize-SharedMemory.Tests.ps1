# Resize-SharedMemory: growing, shrinking, -WhatIf and bad input with POSIX objects, growing and
# shrinking every resizable kind (POSIX objects and shared file mappings), and the refusal for System V
# segments, whose size is fixed.

BeforeDiscovery {
    $script:Resizable = 'Posix', 'File' | ForEach-Object { @{ Kind = $_ } }
}

BeforeAll { . $PSScriptRoot/common.ps1 }

AfterAll { Remove-TestSharedMemory }

Describe 'Resize-SharedMemory' -Tag Posix {
    BeforeAll {
        $posix = Get-NativeTool posix
    }
    BeforeEach {
        $name = New-TestName
        New-SharedMemory -Name $name -Size 4096 | Out-Null
        & $posix write $name 0 'a1a2a3a4'
        & $posix write $name 4092 'b1b2b3b4'
    }
    AfterAll { Remove-TestSharedMemory }

    Context 'growing' {
        It 'grows, reserving the new memory and keeping the data' {
            Resize-SharedMemory -Name $name -Size 1MB | Should -BeNullOrEmpty
            $shm = Get-SharedMemory -Name $name
            $shm.Size | Should -Be 1MB
            $shm.AllocatedBytes | Should -BeGreaterOrEqual 1MB
            stat -c '%s' "/dev/shm$name" | Should -Be "$(1MB)"
            & $posix read $name 0 4 | Should -Be 'a1a2a3a4'
            & $posix read $name 4092 8 | Should -Be 'b1b2b3b400000000'
            & $posix read $name (1MB - 4) 4 | Should -Be '00000000' -Because 'another process sees the new size'
        }

        It 'grows without reserving with -Sparse' {
            Resize-SharedMemory -Name $name -Size 1MB -Sparse
            $shm = Get-SharedMemory -Name $name
            $shm.Size | Should -Be 1MB
            $shm.AllocatedBytes | Should -BeLessThan 1MB
        }

        It 'grows without asking for confirmation' {
            $result = Invoke-ChildPwsh "Resize-SharedMemory -Name '$name' -Size 8192"
            $result.ExitCode | Should -Be 0 -Because $result.Error
            stat -c '%s' "/dev/shm$name" | Should -Be '8192'
        }

        It 'outputs the resized object with -PassThru' {
            $out = Resize-SharedMemory -Name $name -Size 10000 -PassThru
            $out | Should -BeOfType ShmPS.PosixSharedMemory
            $out.Size | Should -Be 10000
            $out.AllocatedBytes | Should -BeGreaterOrEqual 10000
        }

        It 'resizes the objects piped in' {
            $other = New-SharedMemory -Name (New-TestName) -Size 10
            $shm = Get-SharedMemory -Name $name
            $shm, $other | Resize-SharedMemory -Size 5000
            stat -c '%s' "/dev/shm$name" $other.Path | Should -Be '5000', '5000'
        }

        It 'refuses to grow beyond the free space with InsufficientSpace and keeps the size' {
            $free = [long](df --output=avail -B1 /dev/shm | Select-Object -Last 1).Trim()
            $err = { Resize-SharedMemory -Name $name -Size ($free + 1GB) } | Should -Throw -ErrorId 'InsufficientSpace,*' -PassThru
            $err.CategoryInfo.Category | Should -Be LimitsExceeded
            stat -c '%s' "/dev/shm$name" | Should -Be '4096'
        }
    }

    Context 'shrinking' {
        It 'shrinks with -Force, keeping the data before the new end' {
            Resize-SharedMemory -Name $name -Size 100 -Force
            stat -c '%s' "/dev/shm$name" | Should -Be '100'
            & $posix read $name 0 4 | Should -Be 'a1a2a3a4'
            { Read-SharedMemory -Name $name -Offset 4092 -Count 4 } | Should -Throw -ErrorId 'OffsetOutOfRange,*'
        }

        It 'shrinks with -Confirm:$false' {
            Resize-SharedMemory -Name $name -Size 100 -Confirm:$false
            stat -c '%s' "/dev/shm$name" | Should -Be '100'
        }

        It 'shrinks without asking when $ConfirmPreference is None' {
            $ConfirmPreference = 'None'
            Resize-SharedMemory -Name $name -Size 100
            stat -c '%s' "/dev/shm$name" | Should -Be '100'
        }

        It 'asks before shrinking, so a non-interactive session cannot shrink without -Force' {
            $result = Invoke-ChildPwsh @"
try { Resize-SharedMemory -Name '$name' -Size 100 } catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category; exit 3 }
"@
            $result.ExitCode | Should -Be 3 -Because "$($result.Output)$($result.Error)"
            $result.Output -split '\r?\n' | Select-Object -First 2 | Should -Be 'ConfirmationRequired,ShmPS.Commands.ResizeSharedMemoryCommand', 'InvalidOperation'
            stat -c '%s' "/dev/shm$name" | Should -Be '4096'
            & $posix read $name 4092 4 | Should -Be 'b1b2b3b4'
        }
    }

    Context '-WhatIf and bad input' {
        It 'leaves the size with -WhatIf when <Label>' -TestCases @(
            @{ Label = 'growing'; Size = 1MB }, @{ Label = 'shrinking'; Size = 10 }
        ) {
            Resize-SharedMemory -Name $name -Size $Size -WhatIf
            stat -c '%s' "/dev/shm$name" | Should -Be '4096'
        }

        It 'refuses the size <Size> with InvalidSize and keeps the object' -TestCases @(
            @{ Size = 0 }, @{ Size = -1 }, @{ Size = [long]::MinValue }
        ) {
            $err = { Resize-SharedMemory -Name $name -Size $Size -Force } | Should -Throw -ErrorId 'InvalidSize,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
            stat -c '%s' "/dev/shm$name" | Should -Be '4096'
            & $posix read $name 0 4 | Should -Be 'a1a2a3a4'
        }

        It 'refuses the invalid name <Label> with InvalidSharedMemoryName' -TestCases @(
            @{ Label = "''"; Bad = '' }, @{ Label = "'/a/b'"; Bad = '/a/b' }, @{ Label = "'..'"; Bad = '..' }
            @{ Label = 'with a NUL'; Bad = "a`0b" }, @{ Label = 'of 256 bytes'; Bad = 'x' * 256 }
        ) {
            $err = { Resize-SharedMemory -Name $Bad -Size 10 } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*' -PassThru
            $err.CategoryInfo.Category | Should -Be InvalidArgument
        }

        It 'writes a non-terminating SharedMemoryNotFound for a missing name and goes on' {
            $missing = New-TestName
            Resize-SharedMemory -Name $missing, $name -Size 8192 -ErrorAction SilentlyContinue -ErrorVariable errors
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
            stat -c '%s' "/dev/shm$name" | Should -Be '8192'
            Test-Path "/dev/shm$missing" | Should -BeFalse
        }
    }
}

Describe 'Resize-SharedMemory on every resizable kind' -Tag Posix, File {
    It 'grows a <Kind> object, reserving the new part, and keeps the data' -TestCases $Resizable {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $data = New-RandomBytes 4096
        $shm.Write(0, $data)
        $identity = Get-TestIdentity $shm
        $after = Resize-SharedMemory @identity -Size 1MB -PassThru
        $after.Size | Should -Be 1MB
        $after.AllocatedBytes | Should -BeGreaterOrEqual 1MB
        (Get-FileStat $shm.Path).Size | Should -Be 1MB
        (Get-FileStat $shm.Path).Allocated | Should -BeGreaterOrEqual 1MB
        ConvertTo-Hex (Read-SharedMemory @identity -Count 4096) | Should -Be (ConvertTo-Hex $data)
    }

    It 'grows a <Kind> object without reserving with -Sparse' -TestCases $Resizable {
        $shm = New-TestSharedMemory $Kind -Size 4096
        $identity = Get-TestIdentity $shm
        $after = Resize-SharedMemory @identity -Size 1MB -Sparse -PassThru
        $after.Size | Should -Be 1MB
        (Get-FileStat $shm.Path).Size | Should -Be 1MB
        $after.AllocatedBytes | Should -BeLessThan 1MB
    }

    It 'shrinks a <Kind> object with -Force, keeping the data before the new end' -TestCases $Resizable {
        $shm = New-TestSharedMemory $Kind -Size 8192
        $data = New-RandomBytes 8192
        $shm.Write(0, $data)
        $after = Resize-SharedMemory -InputObject $shm -Size 1000 -Force -PassThru
        $after.Size | Should -Be 1000
        (Get-FileStat $shm.Path).Size | Should -Be 1000
        ConvertTo-Hex ([IO.File]::ReadAllBytes($shm.Path)) | Should -Be (ConvertTo-Hex $data[0..999])
    }
}

Describe 'Resize-SharedMemory -Kind SystemV' -Tag SystemV {
    It 'refuses with SystemVResizeNotSupported (InvalidOperation) and keeps the size' {
        $shm = New-TestSharedMemory SystemV -Size 4096
        $record = { Resize-SharedMemory -Id $shm.Id -Size 8192 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SystemVResizeNotSupported,ShmPS.Commands.ResizeSharedMemoryCommand' -PassThru
        $record.CategoryInfo.Category | Should -Be 'InvalidOperation'
        (Get-SysvIpcTable shm -Id $shm.Id).size | Should -Be 4096
    }
}
