BeforeAll { . $PSScriptRoot/common.ps1 }

Describe 'harness' {
    It 'imports the module' {
        Get-Command -Module ShmPS | Should -Not -BeNullOrEmpty
    }
    It 'raises a stable error id' {
        { New-SharedMemory -Name '' -Size 1 } | Should -Throw -ErrorId 'InvalidSharedMemoryName,ShmPS.Commands.NewSharedMemoryCommand'
    }
}
