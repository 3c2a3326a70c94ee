BeforeAll { . $PSScriptRoot/common.ps1 }

Describe 'New-SharedMemory -KeyPath (ftok keys)' -Tag SystemV {
    BeforeAll {
        $script:KeyFile = Join-Path ([IO.Path]::GetTempPath()) "shmps-ftok-$PID"
        Set-Content $KeyFile 'key file'
        $script:Ftok = Get-NativeTool ftok
    }
    AfterAll {
        Get-SharedMemory -Kind SystemV | Where-Object CreatorProcessId -eq $PID | Remove-SharedMemory -ErrorAction SilentlyContinue
        Remove-Item $KeyFile -ErrorAction SilentlyContinue
    }

    It 'uses the key that ftok(3) gives a C program for project id <ProjectId>' -TestCases @(
        @{ ProjectId = 1 }, @{ ProjectId = 65 }, @{ ProjectId = 255 }
    ) {
        $expected = & $Ftok $KeyFile $ProjectId
        $LASTEXITCODE | Should -Be 0
        $shm = New-SharedMemory -KeyPath $KeyFile -ProjectId $ProjectId -Size 64
        try {
            $shm.Kind | Should -Be 'SystemV'
            $shm.Name | Should -Be $expected
        }
        finally { $shm | Remove-SharedMemory }
    }

    It 'resolves a relative -KeyPath against the current location' {
        Push-Location (Split-Path $KeyFile)
        try {
            $shm = New-SharedMemory -KeyPath (Split-Path $KeyFile -Leaf) -ProjectId 3 -Size 64
            $shm.Name | Should -Be (& $Ftok $KeyFile 3)
            $shm | Remove-SharedMemory
        }
        finally { Pop-Location }
    }

    It 'refuses a missing file with SharedMemoryNotFound and -KeyPath with -Key with KeyConflict' {
        { New-SharedMemory -KeyPath "$KeyFile.missing" -Size 64 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SharedMemoryNotFound,ShmPS.Commands.NewSharedMemoryCommand'
        { New-SharedMemory -KeyPath $KeyFile -Key 0x1234 -Size 64 -ErrorAction Stop } |
            Should -Throw -ErrorId 'KeyConflict,ShmPS.Commands.NewSharedMemoryCommand'
    }
}
