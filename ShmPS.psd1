@{
    RootModule           = 'bin/ShmPS.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = 'e87640d4-81a8-4cc1-9173-26c0dee0d691'
    Author               = 'ShmPS contributors'
    CompanyName          = 'ShmPS'
    Copyright            = '(c) ShmPS contributors. MIT License.'
    Description          = 'Shared memory for PowerShell on Linux: POSIX objects, System V segments and shared file mappings as typed objects, with cross-process locks.'
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('ShmPS.Format.ps1xml')
    TypesToProcess       = @('ShmPS.Types.ps1xml')
    CmdletsToExport      = @(
        'New-SharedMemory'
        'Get-SharedMemory'
        'Read-SharedMemory'
        'Write-SharedMemory'
        'Resize-SharedMemory'
        'Set-SharedMemoryPermission'
        'Remove-SharedMemory'
        'Lock-SharedMemory'
        'Unlock-SharedMemory'
        'Get-SharedMemoryLimit'
        'New-SharedMemoryLayout'
        'Wait-SharedMemory'
        'Clear-SharedMemory'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Linux', 'PSEdition_Core', 'SharedMemory', 'IPC', 'shm', 'SystemV', 'POSIX', 'mmap')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
