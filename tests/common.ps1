# Test prelude: dot-source from BeforeAll in every test file. It imports the test helpers
# (tests/ShmPS.TestHelpers: other processes and users, test objects of every kind, the kernel's view)
# and the staged module, and names the paths the tests use.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

Import-Module (Join-Path $PSScriptRoot 'ShmPS.TestHelpers/ShmPS.TestHelpers.psd1')
$script:RepoRoot = Split-Path $PSScriptRoot -Parent
$script:ModulePath = Import-ShmPSModule
# The apphost of this pwsh; under `dotnet pwsh` the current process is dotnet itself.
$script:PwshPath = Join-Path $PSHOME 'pwsh'
