# Round trips through text: objects of every kind written with ConvertTo-Json or Export-Csv, read back
# with ConvertFrom-Json or Import-Csv, find their objects again (Get-, Read-, Remove-SharedMemory), in
# mixed lists whichever kind comes first; Kind and Mode are text that converts back to the same value.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/ShmPS.TestHelpers/ShmPS.TestHelpers.psd1"
    $script:EveryKind = Get-TestKind -AsTestCase
    $script:RoundTrips = foreach ($format in 'Json', 'Csv') {
        foreach ($first in Get-TestKind) { @{ Format = $format; First = $first } }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    function New-MixedList([string] $First) {
        <# One object of each kind (the segment private: only its Id finds it), the kind $First first. #>
        $posix = New-TestSharedMemory Posix -Size 64 -Mode 0640
        $segment = New-SharedMemory -Private -Size 64 -Mode 0604
        Register-TestSharedMemory -InputObject $segment
        $file = New-TestSharedMemory File -Size 64
        $all = @($posix, $segment, $file)
        @($all | Where-Object Kind -EQ $First) + @($all | Where-Object Kind -NE $First)
    }

    function ConvertThrough([string] $Format, $Objects) {
        <# The objects written as text and read back as rows (PSCustomObject, every value as the text had it). #>
        if ($Format -eq 'Json') { return @($Objects | ConvertTo-Json | ConvertFrom-Json) }
        $csv = Join-Path (New-TestDirectory) "rows-$([Guid]::NewGuid().ToString('N')).csv"
        $Objects | Export-Csv -LiteralPath $csv
        @(Import-Csv -LiteralPath $csv)
    }
}

AfterAll { Remove-TestSharedMemory }

Describe 'Kind, Mode and Id as text' -Tag Posix, SystemV, File {
    It 'writes Kind and Mode of a <Kind> object as text in JSON, and a mode that -Mode reads as the same mode' -TestCases $EveryKind {
        $shm = New-TestSharedMemory $Kind -Mode 0640
        $json = $shm | ConvertTo-Json
        $json | Should -Match "`"Kind`": `"$Kind`""
        $json | Should -Match '"Mode": "0640"'
        $row = $json | ConvertFrom-Json
        $again = New-TestSharedMemory $Kind -Mode $row.Mode
        $again.Permissions | Should -BeExactly 'rw-r-----'
        $again.Mode | Should -BeExactly $shm.Mode
        Set-SharedMemoryPermission -InputObject $again -Mode 0600
        Set-SharedMemoryPermission -InputObject $again -Mode $row.Mode -PassThru | ForEach-Object Permissions | Should -BeExactly 'rw-r-----'
    }

    It 'gives every kind an Id, empty where the kind has none, so that a CSV of a POSIX object first keeps the column' {
        $rows = ConvertThrough Csv (New-MixedList Posix)
        $rows[0].PSObject.Properties.Name | Should -Contain 'Id'
        $rows[0].Id | Should -BeExactly ''
        $rows[1].Id | Should -Not -BeNullOrEmpty
        (New-TestSharedMemory Posix | ConvertTo-Json | ConvertFrom-Json).PSObject.Properties['Id'].Value | Should -BeNullOrEmpty
    }

    It 'keeps filters, -Kind and -Mode working with the object''s own Kind and Mode' {
        $shm = New-TestSharedMemory Posix -Mode 0604
        @(Get-SharedMemory | Where-Object Kind -EQ Posix | Where-Object Name -EQ $shm.Name) | Should -HaveCount 1
        @(Get-SharedMemory | Where-Object { $_.Kind -eq [ShmPS.SharedMemoryKind]'Posix' -and $_.Name -eq $shm.Name }) | Should -HaveCount 1
        (Get-SharedMemory -Name $shm.Name -Kind $shm.Kind).Name | Should -BeExactly $shm.Name
        (New-TestSharedMemory SystemV -Mode $shm.Mode).Permissions | Should -BeExactly 'rw----r--'
    }
}

Describe 'a mixed list through <Format>, <First> first' -ForEach $RoundTrips -Tag Posix, SystemV, File {
    It 'finds every object again: Get-SharedMemory, Read-SharedMemory' {
        $objects = New-MixedList $First
        $i = 0
        foreach ($shm in $objects) { $shm.Write(0, [byte[]](++$i)) }
        $rows = ConvertThrough $Format $objects
        $rows[0].Kind | Should -BeExactly $First
        $found = @($rows | Get-SharedMemory)
        $found | Should -HaveCount 3
        for ($j = 0; $j -lt 3; $j++) {
            $found[$j] | Should -BeOfType $objects[$j].GetType()
            $found[$j].Name | Should -BeExactly $objects[$j].Name
            $found[$j].Id | Should -Be $objects[$j].Id
        }
        $rows | Read-SharedMemory -Count 1 | Should -Be 1, 2, 3
    }

    It 'removes every object it names, and nothing else' {
        $objects = New-MixedList $First
        $bystander = New-TestSharedMemory Posix
        $rows = ConvertThrough $Format $objects
        $rows | Remove-SharedMemory -Force
        foreach ($shm in $objects) {
            { $shm | Get-SharedMemory -ErrorAction Stop } | Should -Throw -ErrorId 'SharedMemoryNotFound,*'
        }
        (Get-SharedMemory -Name $bystander.Name).Name | Should -BeExactly $bystander.Name
    }
}

Describe 'rows from another computer' -Tag Posix {
    BeforeDiscovery {
        $script:Cmdlets = @(
            @{ Command = 'Get-SharedMemory'; Parameters = @{} }
            @{ Command = 'Read-SharedMemory'; Parameters = @{ Count = 1 } }
            @{ Command = 'Write-SharedMemory'; Parameters = @{ Value = [byte[]](9) } }
            @{ Command = 'Resize-SharedMemory'; Parameters = @{ Size = 8192; Force = $true } }
            @{ Command = 'Set-SharedMemoryPermission'; Parameters = @{ Mode = '0644' } }
            @{ Command = 'Lock-SharedMemory'; Parameters = @{ ScriptBlock = { $_.Write(0, [byte[]](9)) } } }
            @{ Command = 'Unlock-SharedMemory'; Parameters = @{} }
            @{ Command = 'Remove-SharedMemory'; Parameters = @{ Force = $true } }
        )
    }

    BeforeAll {
        function ConvertTo-RemoteRow($Shm, [string] $Computer, [string] $HostId) {
            <# The object as Invoke-Command returns it: deserialized, with the computer it came from (and, from another host, that host's HostId). #>
            $row = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($Shm))
            if ($HostId) { $row.HostId = $HostId }
            $row | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $Computer -PassThru
        }
    }

    It '<Command> refuses a row of another computer with RemoteObject and leaves this computer''s object of that name alone' -TestCases $Cmdlets {
        $shm = New-TestSharedMemory Posix -Size 4096 -Mode 0600
        $before = Get-FileHash -LiteralPath $shm.Path
        $rows = @(
            ConvertTo-RemoteRow $shm 'otherhost' 'other-machine/other-boot/ipc:[1]/mnt:[2]'
            # Without a HostId (typed by hand), PSComputerName decides.
            [pscustomobject]@{ PSComputerName = 'otherhost'; Name = $shm.Name }
        )
        foreach ($row in $rows) {
            $out = $row | & $Command @Parameters -ErrorVariable errors -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeExactly "RemoteObject,ShmPS.Commands.$($Command -replace '-', '')Command"
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errors[0].Exception.Message | Should -BeLike "*$($shm.Name)*otherhost*"
            $errors[0].ErrorDetails.RecommendedAction | Should -BeLike '*Invoke-Command -HostName otherhost*'
        }
        $now = Get-SharedMemory -Name $shm.Name
        $now.Size, $now.Mode | Should -Be 4096, '0600'
        (Get-FileHash -LiteralPath $shm.Path).Hash | Should -Be $before.Hash
    }

    It 'New-SharedMemory creates nothing from a row of another computer' {
        $name = New-TestName
        $row = [pscustomobject]@{ PSComputerName = 'otherhost'; Name = $name; Size = 4096 }
        $row | New-SharedMemory -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'RemoteObject,ShmPS.Commands.NewSharedMemoryCommand'
        "/dev/shm$name" | Should -Not -Exist
        $row.PSComputerName = [Environment]::MachineName
        $made = $row | New-SharedMemory
        Register-TestSharedMemory -InputObject $made
        $made.Name | Should -BeExactly $name
    }

    It 'acts on a live object whatever computer name was added to it: it is this process''s own (its HostId says so)' {
        $shm = New-TestSharedMemory Posix
        Get-SharedMemory -Name $shm.Name | Add-Member -NotePropertyName PSComputerName -NotePropertyValue 'otherhost' -PassThru |
            Write-SharedMemory -Value 'live'
        $shm.ReadString(0, 4) | Should -BeExactly 'live'
    }

    It 'acts on a row of this computer, named <Computer>' -TestCases @(
        @{ Computer = [Environment]::MachineName }, @{ Computer = (hostname).ToUpperInvariant() }, @{ Computer = 'localhost' }, @{ Computer = '' }
    ) {
        $shm = New-TestSharedMemory Posix
        ConvertTo-RemoteRow $shm $Computer | Write-SharedMemory -Value 'here'
        $shm.ReadString(0, 4) | Should -BeExactly 'here'
        ConvertTo-RemoteRow $shm $Computer | Remove-SharedMemory
        $shm.Path | Should -Not -Exist
    }
}
