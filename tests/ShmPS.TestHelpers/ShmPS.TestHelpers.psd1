# The helpers the ShmPS tests share: the staged module, the C programs built with gcc, other processes
# and users, test objects of every kind and their cleanup, and the kernel's own view of an object.
@{
    RootModule        = 'ShmPS.TestHelpers.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '5f0d3c4e-2b8a-4f5e-9c1d-7a6b3e2f1d09'
    Description       = 'Test helpers of ShmPS (not shipped).'
    PowerShellVersion = '7.4'
    FunctionsToExport = @(
        # the module under test and the C helpers
        'Import-ShmPSModule'
        'Get-NativeTool'
        # other processes and users
        'Start-TestProcess'
        'Start-ChildPwsh'
        'Read-ProcessLine'
        'Send-ProcessCommand'
        'Wait-ProcessLine'
        'Stop-TestProcess'
        'Invoke-ChildPwsh'
        'Invoke-AsNobody'
        'Wait-Until'
        # test objects of every kind, and the one cleanup
        'Get-TestKind'
        'New-TestName'
        'New-TestKey'
        'New-TestPath'
        'New-TestDirectory'
        'New-TestSharedMemory'
        'New-TestIdentity'
        'Get-TestIdentity'
        'Test-TestIdentity'
        'Register-TestSharedMemory'
        'Remove-TestSharedMemory'
        'New-NonRegularFile'
        # the kernel's view, independent of ShmPS
        'Get-SysvIpcTable'
        'Get-IpcsRow'
        'Get-FileStat'
        'Get-KernelView'
        # data
        'ConvertTo-Hex'
        'New-RandomBytes'
        # errors and C targets
        'Get-ThrownId'
        'Get-CTarget'
    )
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
