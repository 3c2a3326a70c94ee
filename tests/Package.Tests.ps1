BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Packages = Join-Path $RepoRoot 'output/packages'
    $script:Version = (Import-PowerShellDataFile (Join-Path $RepoRoot 'ShmPS.psd1')).ModuleVersion
    # Pack the module this run staged (without rebuilding it under the loaded assembly).
    $out = & $PwshPath -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task Package -NoBuild 2>&1
    $script:PackExit = $LASTEXITCODE
    $script:PackOutput = $out -join "`n"
}

Describe 'build.ps1 -Task Package' -Tag Package {
    It 'makes ShmPS.<version>.nupkg' {
        $PackExit | Should -Be 0 -Because $PackOutput
        Join-Path $Packages "ShmPS.$Version.nupkg" | Should -Exist
    }

    It 'installs from a temporary local repository into a temporary module path and imports there' {
        $repo = "ShmPS-test-$PID"
        $target = Join-Path ([IO.Path]::GetTempPath()) "shmps-install-$PID"
        try {
            New-Item -ItemType Directory $target -Force | Out-Null
            Register-PSResourceRepository -Name $repo -Uri $Packages -Trusted
            Save-PSResource -Name ShmPS -Version $Version -Repository $repo -Path $target -TrustRepository
            $installed = Join-Path $target "ShmPS/$Version/ShmPS.psd1"
            $installed | Should -Exist
            Join-Path $target "ShmPS/$Version/bin/ShmPS.dll" | Should -Exist
            Join-Path $target "ShmPS/$Version/bin/ShmPS.Core.dll" | Should -Exist -Because 'the module needs its core'
            # A fresh process, with only the installed copy on PSModulePath, imports it by name.
            $check = Invoke-ChildPwsh -Script @"
`$env:PSModulePath = '$target'
Remove-Module ShmPS -ErrorAction SilentlyContinue
Import-Module ShmPS -RequiredVersion $Version
(Get-Module ShmPS).ModuleBase
(Get-Command -Module ShmPS).Count
"@
            $check.ExitCode | Should -Be 0 -Because $check.Error
            $lines = $check.Output.Trim() -split "`n"
            $lines[0].Trim() | Should -Be (Join-Path $target "ShmPS/$Version")
            [int]$lines[1] | Should -Be (Import-PowerShellDataFile $installed).CmdletsToExport.Count
        }
        finally {
            Unregister-PSResourceRepository -Name $repo -ErrorAction SilentlyContinue
            Remove-Item $target -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
