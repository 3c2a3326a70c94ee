# Set-SharedMemoryPermission: modes, owners and groups of POSIX objects (as stat shows them), and mode,
# owner and group of every kind (fchmod/fchown, or IPC_SET for System V). Whether another user is then
# held to them is in Security.Tests.ps1.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
}

BeforeAll { . $PSScriptRoot/common.ps1 }

AfterAll { Remove-TestSharedMemory }

Describe 'Set-SharedMemoryPermission' -Tag Posix {
    BeforeAll {
        # The names of uid and gid 65534 differ between distributions (nogroup, nobody).
        $nobodyUser = (getent passwd 65534) -split ':' | Select-Object -First 1
        $nobodyGroup = (getent group 65534) -split ':' | Select-Object -First 1
        $me = '{0} {1}' -f (id -u), (id -g)
    }
    BeforeEach {
        $name = New-TestName
        New-SharedMemory -Name $name -Size 10 | Out-Null
    }
    AfterAll { Remove-TestSharedMemory }

    It 'sets -Mode <Mode> (<Type>) exactly' -TestCases @(
        @{ Mode = '0640'; Type = 'octal string'; Octal = '640' }
        @{ Mode = '604'; Type = 'octal string without 0'; Octal = '604' }
        @{ Mode = 440; Type = 'number read as octal'; Octal = '440' }
        @{ Mode = 'rw-rw----'; Type = 'symbolic'; Octal = '660' }
        @{ Mode = [IO.UnixFileMode]'UserRead'; Type = 'UnixFileMode'; Octal = '400' }
        @{ Mode = '0000'; Type = 'no access'; Octal = '0' }
    ) {
        Set-SharedMemoryPermission -Name $name -Mode $Mode | Should -BeNullOrEmpty
        stat -c '%a %u %g' "/dev/shm$name" | Should -Be "$Octal $me"
    }

    It 'refuses -Mode <Mode> (<Type>) with InvalidMode and changes nothing' -TestCases @(
        @{ Mode = '2750'; Type = 'setgid' }
        @{ Mode = '4755'; Type = 'setuid' }
        @{ Mode = '1777'; Type = 'sticky' }
        @{ Mode = 'rwsr-x---'; Type = 'setuid, symbolic' }
        @{ Mode = [IO.UnixFileMode]'SetUser, UserRead'; Type = 'UnixFileMode with SetUser' }
    ) {
        { Set-SharedMemoryPermission -Name $name -Mode $Mode -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMode,ShmPS.Commands.SetSharedMemoryPermissionCommand'
        stat -c '%a' "/dev/shm$name" | Should -Be '600'
    }

    It 'takes -Mode by position' {
        Set-SharedMemoryPermission $name 0644
        stat -c '%a' "/dev/shm$name" | Should -Be '644'
    }

    It 'sets -Owner and -Group by <Label>' -TestCases @(
        @{ Label = 'name'; ByName = $true }, @{ Label = 'numeric id'; ByName = $false }
    ) {
        $owner = if ($ByName) { $nobodyUser } else { '65534' }
        $group = if ($ByName) { $nobodyGroup } else { '65534' }
        Set-SharedMemoryPermission -Name $name -Owner $owner -Group $group
        stat -c '%a %u %g' "/dev/shm$name" | Should -Be '600 65534 65534'
    }

    It 'changes only the owner with -Owner, only the group with -Group' {
        Set-SharedMemoryPermission -Name $name -Owner 65534
        stat -c '%u %g' "/dev/shm$name" | Should -Be "65534 $(id -g)"
        Set-SharedMemoryPermission -Name $name -Group $nobodyGroup
        stat -c '%u %g' "/dev/shm$name" | Should -Be '65534 65534'
    }

    It 'sets mode, owner and group together, the mode asked for winning' {
        Set-SharedMemoryPermission -Name $name -Mode 0770 -Owner 65534 -Group 65534
        stat -c '%a %u %g' "/dev/shm$name" | Should -Be '770 65534 65534'
    }

    It 'outputs the updated object with -PassThru' {
        $out = Set-SharedMemoryPermission -Name $name -Mode 0640 -Owner $nobodyUser -PassThru
        $out | Should -BeOfType ShmPS.PosixSharedMemory
        $out.Permissions | Should -BeExactly 'rw-r-----'
        $out.OwnerId | Should -Be 65534
        $out.Owner | Should -BeExactly $nobodyUser
    }

    It 'changes the objects piped in' {
        $other = New-SharedMemory -Name (New-TestName) -Size 10
        (Get-SharedMemory -Name $name), $other | Set-SharedMemoryPermission -Mode 0604
        stat -c '%a' "/dev/shm$name" $other.Path | Should -Be '604', '604'
    }

    It 'changes nothing with -WhatIf' {
        Set-SharedMemoryPermission -Name $name -Mode 0666 -Owner 65534 -WhatIf
        stat -c '%a %u %g' "/dev/shm$name" | Should -Be "600 $me"
    }

    It 'warns about a world-writable mode' {
        Set-SharedMemoryPermission -Name $name -Mode 0606 -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        "$warnings" | Should -BeLike '*every user*'
        stat -c '%a' "/dev/shm$name" | Should -Be '606'
    }

    It 'refuses an unknown <What> with <ErrorId> and changes nothing' -TestCases @(
        @{ What = 'user'; ErrorId = 'UnknownUser'; Params = @{ Owner = 'shmps-no-such-user'; Mode = '0644' } }
        @{ What = 'group'; ErrorId = 'UnknownGroup'; Params = @{ Group = 'shmps-no-such-group'; Mode = '0644' } }
    ) {
        $err = { Set-SharedMemoryPermission -Name $name @Params } | Should -Throw -ErrorId "$ErrorId,*" -PassThru
        $err.CategoryInfo.Category | Should -Be ObjectNotFound
        $err.Exception.Message | Should -BeLike '*shmps-no-such-*'
        stat -c '%a %u %g' "/dev/shm$name" | Should -Be "600 $me"
    }

    It 'refuses an invalid mode' {
        { Set-SharedMemoryPermission -Name $name -Mode '0800' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        stat -c '%a' "/dev/shm$name" | Should -Be '600'
    }

    It 'needs something to change' {
        { Set-SharedMemoryPermission -Name $name } | Should -Throw -ErrorId 'NothingToChange,*'
    }

    It 'refuses the invalid name <Label> with InvalidSharedMemoryName' -TestCases @(
        @{ Label = "''"; Bad = '' }, @{ Label = "'/a/b'"; Bad = '/a/b' }, @{ Label = "'..'"; Bad = '..' }
        @{ Label = 'with a NUL'; Bad = "a`0b" }, @{ Label = 'of 256 bytes'; Bad = 'x' * 256 }
    ) {
        $err = { Set-SharedMemoryPermission -Name $Bad -Mode 0600 } | Should -Throw -ErrorId 'InvalidSharedMemoryName,*' -PassThru
        $err.CategoryInfo.Category | Should -Be InvalidArgument
    }

    It 'writes a non-terminating SharedMemoryNotFound for a missing name and goes on' {
        $missing = New-TestName
        Set-SharedMemoryPermission -Name $missing, $name -Mode 0640 -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SharedMemoryNotFound,*'
        stat -c '%a' "/dev/shm$name" | Should -Be '640'
    }
}

Describe 'Set-SharedMemoryPermission on every kind' -Tag Posix, SystemV, File {
    It 'changes mode, owner and group of a <Kind> object' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Mode 0600
        $identity = Get-TestIdentity $shm
        $after = Set-SharedMemoryPermission @identity -Mode 0604 -Owner 65534 -Group 65534 -PassThru
        $view = Get-KernelView $shm
        $view.Mode | Should -Be '604'
        $view.Uid | Should -Be 65534
        $view.Gid | Should -Be 65534
        if ($Kind -eq 'SystemV') { (Get-SysvIpcTable shm -Id $shm.Id).cuid | Should -Be ([long](id -u)) -Because 'IPC_SET leaves the creator' }
        $after.Permissions | Should -BeExactly 'rw----r--'
        $after.OwnerId | Should -Be 65534
        $after.GroupId | Should -Be 65534
    }
}
