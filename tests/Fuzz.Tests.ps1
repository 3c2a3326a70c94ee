BeforeAll {
    . $PSScriptRoot/common.ps1

    # Every error id a ShmPS cmdlet or method may report (SPEC "Errors"): anything else is a bug.
    $script:DocumentedIds = @(
        'SharedMemoryNotFound', 'SharedMemoryExists', 'InvalidSharedMemoryName', 'InvalidPath', 'InvalidKey',
        'InvalidProjectId', 'InvalidSize', 'InvalidMode', 'InvalidArgument', 'InvalidCount', 'InvalidValue',
        'OffsetOutOfRange', 'SystemVResizeNotSupported', 'PermissionDenied', 'InsufficientSpace',
        'FileSizeLimitExceeded', 'SymbolicLinkRefused', 'NotARegularFile', 'DirectoryNotFound',
        'TooManyOpenFiles', 'ReadOnlyFileSystem', 'HugePagesUnavailable', 'MemoryFault', 'SharedMemoryClosed',
        'LockTimeout', 'LockConflict', 'LockNotSupported', 'LockAlreadyHeld', 'LockNotHeld',
        'ConfirmationRequired', 'KindConflict', 'KeyConflict', 'PathRequired', 'IdentityRequired',
        'NothingToChange', 'ValueOrInputFileRequired', 'InputFileNotFound', 'OutFileConflict',
        'EncodingAndAsConflict', 'HardLinkRefused', 'FileTooLarge', 'OutFileIsSource', 'ReadTooLarge', 'UnknownUser',
        'UnknownGroup', 'SharedMemoryInUse', 'InvalidLayout', 'LayoutConflict', 'InvalidShareableList')
    # A method may also refuse its arguments the .NET way, and a stream as every .NET stream does (about_ShmPS,
    # "A Stream over an object": a seek before the start, a write to a stream opened for reading).
    $script:MethodArgumentIds = @('ArgumentNullException', 'ArgumentOutOfRangeException', 'ArgumentException', 'IOException', 'NotSupportedException')
    # PowerShell's own parameter binding (cmdlets) and method argument conversion (methods) happen before
    # ShmPS runs: their ids are PowerShell's, not the module's.
    $script:BindingIdPattern = '^(Parameter\w*|\w*Argument\w*|CannotConvert\w*|AmbiguousParameterSet|NamedParameterNotFound|PositionalParameterNotFound|MissingArgument\w*|InputObjectNotBound|MethodArgument\w*|MethodCountCouldNotFindBest)$'

    function Test-ExpectedFuzzId {
        <# Whether an id the fuzz child recorded ('C' cmdlet or 'M' method, binding or not) is documented. #>
        param([string] $Id, [string] $Source, [bool] $Binding)
        if ($Id -in $DocumentedIds) { return $true }
        if ($Binding -and $Id -match $BindingIdPattern) { return $true }
        if ($Source -eq 'M' -and $Id -in $MethodArgumentIds) { return $true }
        $false
    }

    # The child: a seeded sequence of random cmdlet and method calls. Every random draw comes from one
    # System.Random, and an operation draws all its arguments before it runs, so the sequence of
    # operations depends on the seed only (what they find depends on the other process too).
    # It is written to a file and run by a child pwsh, because a crash (SIGBUS, stack overflow) kills it.
    $script:FuzzChild = {
        param([int] $Seed, [int] $Ops, [string] $Dir, [string] $Prefix, [int[]] $Keys, [string] $LogPath, [string] $Exclude = '')
        $ErrorActionPreference = 'Stop'
        $ConfirmPreference = 'None'
        $ProgressPreference = 'SilentlyContinue'
        $WarningPreference = 'SilentlyContinue'
        $InformationPreference = 'SilentlyContinue'
        Set-Location $Dir
        "SEED $Seed PID $PID"
        $log = [IO.StreamWriter]::new($LogPath, $true, [Text.UTF8Encoding]::new($false, $false))  # lone surrogates become U+FFFD
        $log.AutoFlush = $true
        $rng = [Random]::new($Seed)
        function Rnd([int] $n) { $rng.Next($n) }
        function Pick([object[]] $a) { , $a[$rng.Next($a.Count)] }

        $slots = [object[]]::new(8)      # objects from New-/Get-SharedMemory, used by methods and -InputObject
        $locks = [object[]]::new(4)      # lock objects from Lock-SharedMemory and Lock()
        $ownIds = [Collections.Generic.List[int]]::new()
        $created = [Collections.Generic.HashSet[string]]::new()
        $stats = @{}                     # id -> @{ Source; Binding; Count; Examples }
        $succeeded = 0; $skipped = 0

        function Show([object] $v, [int] $depth = 0) {
            if ($null -eq $v) { return '$null' }
            if ($v -is [string]) {
                $s = if ($v.Length -gt 80) { $v.Substring(0, 40) + "...<$($v.Length) chars>..." + $v.Substring($v.Length - 20) } else { $v }
                $s = [regex]::Replace($s, '[\x00-\x1f\x7f\p{Cs}]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
                return "'" + $s.Replace("'", "''") + "'"
            }
            if ($v -is [byte[]]) { return "<byte[$($v.Length)]>" }
            if ($v -is [ShmPS.SharedMemory]) { return "<$($v.Kind) $($v.Name)>" }
            if ($v -is [Collections.IList]) {
                if ($depth -gt 2) { return "<$($v.GetType().Name)[$($v.Count)]>" }
                return '@(' + (($v | Select-Object -First 4 | ForEach-Object { Show $_ ($depth + 1) }) -join ',') + $(if ($v.Count -gt 4) { ",...<$($v.Count)>" }) + ')'
            }
            if ($v -is [scriptblock]) { return "{$v}" }
            "[$($v.GetType().Name)]$v"
        }
        function ShowSplat([string] $cmd, [hashtable] $splat) {
            $cmd + (($splat.Keys | Sort-Object | ForEach-Object {
                $v = $splat[$_]
                if ($v -is [switch] -or $v -is [bool]) { " -${_}:`$$v" } else { " -$_ $(Show $v)" }
            }) -join '')
        }

        function IsOurs($o) {
            if ($o -isnot [ShmPS.SharedMemory]) { return $false }
            switch ([string]$o.Kind) {
                'Posix' { return $o.Name -like "*$Prefix*" -or $created.Contains($o.Name) }
                'File' { return ([string]$o.Path).StartsWith($Dir + '/') }
                'SystemV' { return ($o.Key -in $Keys) -or ($o.Id -in $ownIds) }
            }
            $false
        }
        function Keep($out, [int] $slot) {
            foreach ($o in @($out)) {
                if ($o -isnot [ShmPS.SharedMemory]) { continue }
                if ([string]$o.Kind -eq 'SystemV' -and $o.Key -in $Keys -or [string]$o.Kind -eq 'SystemV' -and $o.Key -eq 0) { $ownIds.Add($o.Id) }
                if ([string]$o.Kind -eq 'Posix') { if ($created.Add($o.Name)) { $log.WriteLine("CREATED $($o.Name)") } }
                if (IsOurs $o) { $slots[$slot] = $o }
            }
        }

        # ---- argument generators: all draws happen here, whatever the state -----------------------
        $u = [char]0xD800; $l = [char]0xDC00
        function GName {
            $i = Rnd 6
            switch (Rnd 34) {
                { $_ -lt 12 } { return "/$Prefix-$i" }
                12 { return "$Prefix-$i" }
                13 { return '/' + $Prefix + '-' + ('x' * (254 - $Prefix.Length)) }  # 255 bytes: the longest valid
                14 { return '/' + $Prefix + '-' + ('x' * (255 - $Prefix.Length)) }  # 256 bytes
                15 { return '/' + $Prefix + ('y' * (Rnd 5000)) }
                16 { return "/$Prefix-$i`0tail" }
                17 { return "/$Prefix-`t$i" }
                18 { return "/$Prefix-$i`n" }
                19 { return "/$Prefix-$([char]0x7f)$([char]0x1b)" }
                20 { return Pick @("/$Prefix-*", "/$Prefix-[0-2]", "/$Prefix-?", "/$Prefix-[", "/$Prefix*`]", "/$Prefix-``*") }
                21 { return Pick @('/.', '/..', '.', '..', '/', '', '//', "/$Prefix-$i/", "/$Prefix/x", "//$Prefix-$i") }
                22 { return "/sem.$Prefix-$i" }
                23 { return "/$Prefix-$u" }
                24 { return "/$Prefix-$l$u-x" }
                25 { return "/$Prefix-üñí€😀$i" }
                26 { return "/$Prefix-$([char]0x202e)$([char]0x3000)$([char]0xfeff)" }
                27 { return $null }
                28 { return , [string[]]@("/$Prefix-$i", "/$Prefix-$((Rnd 6))") }
                29 { return "/$Prefix- '`"$i" }
                30 { return , [string[]]@() }
                31 { return , [string[]]@("/$Prefix-$i", $null) }
                32 { return "/$Prefix-" + ('é' * 200) }  # 400+ bytes in UTF-8, under 255 characters
                default { return "/$Prefix-$i" }
            }
        }
        function GPath {
            $i = Rnd 6
            switch (Rnd 30) {
                { $_ -lt 10 } { return "$Dir/f$i" }
                10 { return "f$i" }
                11 { return "./sub/../f$i" }
                12 { return "$Dir/nodir/f$i" }
                13 { return $Dir }
                14 { return "$Dir/link0" }
                15 { return "$Dir/dlink/f$i" }
                16 { return "$Dir/null" }
                17 { return Pick @("$Dir/f*", "$Dir/f[0-2]", "$Dir/br[1]", "$Dir/?$i", "$Dir/f[") }
                18 { return "$Dir/f$i`0x" }
                19 { return "$Dir/f`n$i" }
                20 { return "$Dir/" + ('a' * 300) }
                21 { return "$Dir/" + (('b' * 200 + '/') * 25) + 'c' }
                22 { return Pick @('', $null, ' ') }
                23 { return "$Dir/üñí€😀$i" }
                24 { return "$Dir/x$u$i" }
                25 { return "$Dir/f$i/" }
                26 { return "$Dir/sub" }
                27 { return , [string[]]@("$Dir/f$i", "$Dir/f$((Rnd 6))") }
                28 { return "$Dir/ro/f$i" }
                default { return "$Dir/f$i" }
            }
        }
        # Keys: only this run's keys where an operation changes something; reading any key is harmless.
        function GKey([bool] $safe) {
            $k = $Keys[(Rnd $Keys.Count)]
            $other = Pick @(0, -1, [int]::MinValue, [int]::MaxValue, 'zz', '0xZZ', '', $null, 1.5, '0x5eed', [long]::MaxValue)
            if ($safe -and ($other -is [int] -or $other -is [long] -or $other -eq '0x5eed')) { $other = Pick @('zz', '', $null, 'key') }
            if ((Rnd 5) -lt 4) { $k } else { , $other }
        }
        function GId([bool] $safe) {
            $n = Rnd 10
            $junk = Pick @(-1, [int]::MinValue, 'x', $null, '', 0, 1, [int]::MaxValue)
            if ($safe -and ($junk -is [int] -and $junk -ge 0)) { $junk = -1 }
            if ($n -lt 7) {
                $j = Rnd 64
                if ($ownIds.Count) { return $ownIds[$j % $ownIds.Count] } else { return -1 }
            }
            , $junk
        }
        function GSize([bool] $mayBeLarge) {
            $v = Pick @(0, -1, 1, 7, 4095, 4096, 4097, 65536, 100000, 1MB, 3GB, 1PB, [long]::MaxValue, [long]::MinValue, 'abc', '1MB', 1.5, [double]::NaN, $null, '0x10', [decimal]::MaxValue, 8)
            if ($v -is [long] -and $v -eq 3GB -and -not $mayBeLarge) { $v = 1PB }   # never reserve gigabytes for real
            , $v
        }
        function GOffset { , (Pick @(0, 0, 0, 1, 7, 8, 4095, 4096, 65528, 65536, 100000, 1MB, -1, -8, [long]::MinValue, [long]::MaxValue, ([long]::MaxValue - 7), 2147483647L, 2147483648L, 4294967296L, 3GB, 1PB, 'abc', 1.5, $null)) }
        function GCount { , (Pick @(0, 1, 8, 8, 100, 4096, 65536, -1, [long]::MinValue, [long]::MaxValue, 2147483647L, 2147483648L, 1.5, 'x', $null)) }
        function GMode { , (Pick @('0600', '0644', '0000', '0777', '4755', '2755', '1777', '6777', '07777', 'rw-r-----', 'rwsr-xr-x', 'rwxrwxrwt', 'junk', '', $null, -1, 0, 384, 4095, 65535, 99999, 'u=rw', [IO.UnixFileMode]'UserRead,UserWrite', [IO.UnixFileMode]::SetUser, '0o600', '600', '0x180', 'rw-')) }
        function GUser { , (Pick @('root', '0', 'nobody', '65534', "nosuchuser$Prefix", '', $null, '-1', '4294967295', "ro`0ot", 'root:root', '99999999999', '4294967294', 'daemon')) }
        function GEncoding { , (Pick @('utf8', 'ascii', 'unicode', 'utf32', 'bigendianunicode', 'bigendianutf32', 'latin1', 'utf7', 'utf8BOM', 'utf8NoBOM', 'oem', 'default', 'ansi', 'foo', 65001, 1252, 437, 0, -1, $null, '', [Text.Encoding]::UTF8)) }
        function GAs { , (Pick @('Byte', 'SByte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Single', 'Double', 'ShareableList', 'Int128', 'Char', 'foo', 0, 9, 10, -1, $null, '')) }
        # -Layout: declarations that lay out and some that do not, of sizes that fit an object or not.
        function GLayout { , (Pick @('struct s { int64_t a; char t[8]; };', 'struct p { char c; double d[3]; } __attribute__((packed));',
                    'struct big { char b[100000]; };', 'union u { int i; float f; };', "struct x {`n int a : 1; };", 'struct', '', $null, 42)) }
        function GRecord { , (Pick @(@{ a = 1; t = 'x' }, @{ a = [long]::MaxValue }, @{ c = 'c' }, @{ i = -1 }, @{ t = 'x' * 9 }, @{ nope = 1 }, @(@{ a = 2 }, @{ a = 3 }), $null)) }
        function GTimeout { , (Pick @(0, 0.01, '0.02', '00:00:00.010', [timespan]::Zero, [timespan]::FromMilliseconds(30), -1, 'abc', $null, 1e308, 'NaN', -0.5)) }
        function GKind { , (Pick @('Posix', 'SystemV', 'File', 'posix', 'Junk', '', $null, 3, -1, '*')) }
        function GValue {
            switch (Rnd 40) {
                { $_ -lt 8 } { $b = [byte[]]::new((Pick @(0, 1, 7, 8, 100, 4096, 4097))); $rng.NextBytes($b); return , $b }
                8 { return , [byte[]]::new(100KB) }
                9 { return 'hello' }
                10 { return "NUL`0inside" }
                11 { return "lone $u surrogate $l" }
                12 { return 'üñí€😀' * (Rnd 50) }
                13 { return '' }
                14 { return 'z' * 70000 }
                15 { return (Rnd 1000000) }
                16 { return (Pick @([long]::MaxValue, [long]::MinValue, [int]::MinValue, 0L)) }
                17 { return (Pick @([double]::NaN, [double]::PositiveInfinity, -0.0, 1.5, [single]3.25)) }
                18 { return (Pick @([decimal]::MaxValue, [bigint]::Pow(2, 100), [byte]255, [sbyte]-1, [char]'x', $true, [uint64]::MaxValue)) }
                19 { return $null }
                20 { return , @() }
                21 { return , @(1, 2, 3) }
                22 { return , @(1, 'a', $null, 2.5) }
                23 { return , @(1, @(2, @(3, @(4)))) }
                24 { return , @(256, -1, 1000) }
                25 { return , [int[]](1..50) }
                26 { return , [double[]](1.5, 2.5) }
                27 { $a = [object[]]::new(2); $a[0] = 1; $a[1] = $a; return , $a }   # an array that contains itself
                28 { $a = [Collections.ArrayList]::new(); $null = $a.Add(7); $null = $a.Add($a); return , $a }
                29 { $inner = [object[]]::new(1); $outer = @(1, $inner); $inner[0] = $outer; return , $outer }
                30 { return @{ a = 1; b = 'x' } }
                31 { return [pscustomobject]@{ Name = 'x'; Value = 1 } }
                32 { return [datetime]'2020-01-02' }
                33 { return [guid]::Empty }
                34 { return { 1 } }
                35 { return [IO.FileInfo]"$Dir/f1" }
                36 { return , [char[]]'abc' }
                37 { $d = 1; for ($k = 0; $k -lt 20000; $k++) { $d = , $d }; return , $d }  # deeply nested, not cyclic
                38 { return , [Collections.Generic.List[byte]]::new([byte[]](1, 2, 3)) }
                default { return 'hello' }
            }
        }
        function GIdentity([bool] $safe) {
            # An identity parameter set, as a splat; objects come from the slots (this run's objects only).
            $h = @{}
            switch (Rnd 14) {
                { $_ -lt 5 } { $h.Name = GName }
                5 { $h.Key = GKey $safe }
                6 { $h.Key = GKey $safe }
                7 { $h.Id = GId $safe }
                8 { $h.Path = GPath }
                9 { $h.Path = GPath }
                10 { $h.LiteralPath = GPath }
                11 { $h.InputObject = $slots[(Rnd 8)] }
                12 { $h.InputObject = $slots[(Rnd 8)] }
                13 { if ($safe) { $h.WhatIf = $true } }   # no identity at all
            }
            if ((Rnd 6) -eq 0) { $h.Kind = GKind }
            $h
        }

        # ---- operations: each returns @(description, scriptblock) or $null to skip ----------------
        $operations = [ordered]@{
            New = {
                $h = @{ Size = $null }; $sparse = (Rnd 3) -eq 0
                switch (Rnd 6) {
                    { $_ -lt 2 } { $h.Name = GName }
                    2 { $h.Key = GKey $true }
                    3 { $h.Path = GPath }
                    4 { $h.Path = GPath }
                    5 { if ((Rnd 2) -eq 0) { $h.Private = $true } else { $h.KeyPath = GPath; $h.ProjectId = Pick @(1, 0, -1, 255, 256, 'x') } }
                }
                $h.Size = GSize ($sparse -or $h.ContainsKey('Key') -or $h.ContainsKey('Private'))
                if ($sparse) { $h.Sparse = $true }
                if ((Rnd 2) -eq 0) { $h.Mode = GMode }
                if ((Rnd 3) -eq 0 -and -not $h.ContainsKey('KeyPath')) { $h.Force = $true }
                if ((Rnd 8) -eq 0) { $h.Kind = GKind }
                if ((Rnd 10) -eq 0) { $h.HugePages = $true }
                if ((Rnd 20) -eq 0) { $h.WhatIf = $true }
                $slot = Rnd 8
                if (-not (Go ((ShowSplat New-SharedMemory $h)))) { return 'excluded' }
                Keep (New-SharedMemory @h) $slot
            }
            NewGenerated = {
                $h = @{ Size = Pick @(1, 4096, 0, -1) }; if ((Rnd 2) -eq 0) { $h.Kind = Pick @('Posix', 'SystemV', 'File') }
                $slot = Rnd 8
                if (-not (Go ((ShowSplat New-SharedMemory $h)))) { return 'excluded' }
                Keep (New-SharedMemory @h) $slot
            }
            Get = {
                $h = GIdentity $false; $slot = Rnd 8
                if (-not (Go ((ShowSplat Get-SharedMemory $h)))) { return 'excluded' }
                Keep (Get-SharedMemory @h) $slot
            }
            Read = {
                $h = GIdentity $false
                if ((Rnd 2) -eq 0) { $h.Offset = GOffset }
                if ((Rnd 3) -ne 0) { $h.Count = GCount }
                switch (Rnd 4) { 0 { $h.Encoding = GEncoding } 1 { $h.As = GAs } }
                if ((Rnd 10) -eq 0) { $h.Encoding = GEncoding; $h.As = GAs }
                if ((Rnd 6) -eq 0) { $h.Layout = GLayout }
                if ((Rnd 6) -eq 0) { $h.OutFile = Pick @("$Dir/out$(Rnd 3)", "$Dir/f$(Rnd 6)", "$Dir/sub", "$Dir/nodir/out", "$Dir/out`0x", '', "$Dir/link0"); $h.Count = Pick @(0, 1, 100, 4096, -1, 65536) }
                if (-not (Go ((ShowSplat Read-SharedMemory $h)))) { return 'excluded' }
                $null = Read-SharedMemory @h
            }
            Write = {
                $h = GIdentity $true
                switch (Rnd 8) {
                    { $_ -lt 5 } { $h.Value = GValue }
                    5 { $h.InputFile = Pick @("$Dir/in", "$Dir/nosuch", "$Dir/sub", "$Dir/null", "$Dir/link0", "$Dir/in`0", '', $null, "$Dir/f$(Rnd 6)") }
                    6 { $h.Value = GValue; $h.InputFile = "$Dir/in" }
                    7 { }
                }
                if ((Rnd 2) -eq 0) { $h.Offset = GOffset }
                switch (Rnd 4) { 0 { $h.Encoding = GEncoding } 1 { $h.As = GAs } }
                if ((Rnd 6) -eq 0) { $h.Layout = GLayout; $h.Value = GRecord; if ((Rnd 3) -eq 0) { $h.Count = Pick @(0, 1, 3, -1) } }
                if ((Rnd 8) -eq 0) { $h.Flush = $true }
                if ((Rnd 8) -eq 0) { $h.PassThru = $true }
                if (-not (Go ((ShowSplat Write-SharedMemory $h)))) { return 'excluded' }
                $null = Write-SharedMemory @h
            }
            Resize = {
                $h = GIdentity $true; $sparse = (Rnd 2) -eq 0
                $h.Size = GSize $sparse
                if ($sparse) { $h.Sparse = $true }
                if ((Rnd 4) -ne 0) { $h.Force = $true }
                if ((Rnd 6) -eq 0) { $h.PassThru = $true }
                if (-not (Go ((ShowSplat Resize-SharedMemory $h)))) { return 'excluded' }
                $null = Resize-SharedMemory @h -Confirm:$false
            }
            Remove = {
                $h = GIdentity $true
                if ((Rnd 3) -ne 0) { $h.Force = $true }
                if (-not (Go ((ShowSplat Remove-SharedMemory $h)))) { return 'excluded' }
                Remove-SharedMemory @h -Confirm:$false
            }
            SetPermission = {
                $h = GIdentity $true
                if ((Rnd 4) -ne 0) { $h.Mode = GMode }
                if ((Rnd 4) -eq 0) { $h.Owner = GUser }
                if ((Rnd 4) -eq 0) { $h.Group = GUser }
                if ((Rnd 6) -eq 0) { $h.PassThru = $true }
                if (-not (Go ((ShowSplat Set-SharedMemoryPermission $h)))) { return 'excluded' }
                $null = Set-SharedMemoryPermission @h -Confirm:$false
            }
            Lock = {
                $h = GIdentity $true; $h.Remove('WhatIf'); $h.Timeout = GTimeout
                if ((Rnd 3) -eq 0) { $h.Shared = $true }
                $block = switch (Rnd 6) {
                    0 { { $null = $_.Size } }
                    1 { { Write-SharedMemory -InputObject $_ -Value 1 } }
                    2 { { Lock-SharedMemory -InputObject $_ -Timeout 0 } }
                    3 { { Remove-SharedMemory -InputObject $_ -Force -Confirm:$false } }
                    default { $null }
                }
                if ($block) { $h.ScriptBlock = $block }
                $slot = Rnd 4
                if (-not (Go (ShowSplat Lock-SharedMemory $h))) { return 'excluded' }
                $out = Lock-SharedMemory @h
                foreach ($o in @($out)) { if ($o -is [ShmPS.SharedMemoryLock]) { $locks[$slot] = $o } }
            }
            Unlock = {
                $slot = Rnd 4
                if ((Rnd 2) -eq 0) { $h = @{ Lock = $locks[$slot] } } else { $h = GIdentity $true; $h.Remove('WhatIf') }
                if (-not (Go ((ShowSplat Unlock-SharedMemory $h)))) { return 'excluded' }
                Unlock-SharedMemory @h
            }
            Pipeline = {
                $slot = Rnd 8; $n = Rnd 6; $count = GCount; $value = GValue; $i = Rnd 6
                $what = ('Pipeline#{0} slot {1} -Count {2} -Value {3} i {4}' -f $n, $slot, (Show $count), (Show $value), $i)
                if (-not (Go $what)) { return 'excluded' }
                & {
                    switch ($n) {
                        0 { $null = $slots[$slot] | Read-SharedMemory -Count $count }
                        1 { $null = Get-SharedMemory -Name "/$Prefix-*" | Write-SharedMemory -Value $value -Offset 0 }
                        2 { $null = Get-ChildItem $Dir -File -Filter 'f*' | Read-SharedMemory -Count $count }
                        3 { $null = [pscustomobject]@{ Name = "/$Prefix-$i"; Kind = 'Posix' } | Read-SharedMemory -Count $count }
                        4 { $null = $slots[$slot] | ConvertTo-Json -Depth 2 | ConvertFrom-Json | Where-Object { $_ } | Get-SharedMemory }
                        5 { $null = $slots | Where-Object { $_ } | Lock-SharedMemory -Timeout 0 -ScriptBlock { $_.Size } }
                    }
                }
            }
            MethodRead = {
                $slot = Rnd 8; $off = [long](Pick @(0, 1, 8, 4095, 4096, 65528, 65536, 1MB, -1, [long]::MinValue, [long]::MaxValue, ([long]::MaxValue - 3), 3GB, 2147483648L))
                $cnt = [int](Pick @(0, 1, 8, 100, 4096, 65536, -1, [int]::MinValue, [int]::MaxValue, 1MB))
                if (-not (Go ("`$slots[$slot].Read($off, $cnt)"))) { return 'excluded' }
                $null = $slots[$slot].Read($off, $cnt)
            }
            MethodReadBuffer = {
                $slot = Rnd 8; $off = [long](Pick @(0, 8, 4096, 65536, -1, [long]::MaxValue))
                $len = Pick @(0, 1, 16, 4096, -1); $index = [int](Pick @(0, 1, 15, 16, -1, [int]::MaxValue)); $cnt = [int](Pick @(0, 1, 16, 4096, -1, [int]::MaxValue, [int]::MinValue))
                if (-not (Go ("`$slots[$slot].Read($off, <byte[$len]>, $index, $cnt)"))) { return 'excluded' }
                & {
                    $buf = if ($len -ge 0) { [byte[]]::new($len) } else { $null }
                    $null = $slots[$slot].Read($off, $buf, $index, $cnt)
                }
            }
            MethodWrite = {
                $slot = Rnd 8; $off = [long](Pick @(0, 8, 4095, 4096, 65536, 1MB, -1, [long]::MinValue, [long]::MaxValue, ([long]::MaxValue - 3)))
                $len = Pick @(0, 1, 8, 100, 4097, -1); $index = [int](Pick @(0, 1, 8, -1, [int]::MaxValue)); $cnt = [int](Pick @(0, 1, 8, -1, [int]::MaxValue)); $four = (Rnd 2) -eq 0
                if (-not (Go ("`$slots[$slot].Write($off, <byte[$len]>$(if ($four) { ", $index, $cnt" }))"))) { return 'excluded' }
                & {
                    $buf = if ($len -ge 0) { [byte[]]::new($len) } else { $null }
                    if ($four) { $slots[$slot].Write($off, $buf, $index, $cnt) } else { $slots[$slot].Write($off, $buf) }
                }
            }
            MethodNumber = {
                $slot = Rnd 8; $type = Pick @('Byte', 'SByte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Single', 'Double')
                $off = [long](Pick @(0, 1, 7, 8, 4093, 4095, 4096, 65535, 65536, 1MB, -1, [long]::MinValue, [long]::MaxValue, ([long]::MaxValue - 7), 3GB))
                $write = (Rnd 2) -eq 0
                if (-not (Go ("`$slots[$slot].$(if ($write) { 'Write' } else { 'Read' })$type($off$(if ($write) { ', 1' }))"))) { return 'excluded' }
                & {
                    if ($write) { $slots[$slot]."Write$type"($off, 1) } else { $null = $slots[$slot]."Read$type"($off) }
                }
            }
            MethodString = {
                $slot = Rnd 8; $off = [long](Pick @(0, 8, 4096, 65536, -1, [long]::MaxValue)); $cnt = [int](Pick @(0, 5, 100, 4096, -1, [int]::MaxValue))
                $s = Pick @('hello', '', "lone $u", 'üñí€😀', "NUL`0", ('w' * 70000), $null); $enc = Pick @($null, [Text.Encoding]::UTF8, [Text.Encoding]::Unicode, [Text.Encoding]::ASCII, [Text.Encoding]::UTF32)
                $write = (Rnd 2) -eq 0; $withEnc = (Rnd 2) -eq 0
                $d = if ($write) { 'WriteString({0}, {1}' -f $off, (Show $s) } else { 'ReadString({0}, {1}' -f $off, $cnt }
                if ($withEnc) { $d += ', ' + (Show $enc) }
                if (-not (Go ('$slots[{0}].{1})' -f $slot, $d))) { return 'excluded' }
                & {
                    if ($write) {
                        if ($withEnc) { $null = $slots[$slot].WriteString($off, $s, $enc) } else { $null = $slots[$slot].WriteString($off, $s) }
                    }
                    elseif ($withEnc) { $null = $slots[$slot].ReadString($off, $cnt, $enc) } else { $null = $slots[$slot].ReadString($off, $cnt) }
                }
            }
            MethodState = {
                $slot = Rnd 8; $m = Pick @('Refresh', 'Refresh', 'Flush', 'Close', 'Dispose', 'Attach', 'Detach', 'Attach', 'ToString')
                if (-not (Go ("`$slots[$slot].$m()"))) { return 'excluded' }
                & {
                    $o = $slots[$slot]
                    if ($m -in 'Attach', 'Detach' -and [string]$o.Kind -ne 'SystemV') { return 'skip' }
                    $null = $o.$m()
                }
            }
            MethodLock = {
                $slot = Rnd 8; $lslot = Rnd 4; $shared = (Rnd 3) -eq 0; $t = [timespan]::FromMilliseconds((Pick @(0, 0, 10, 30)))
                $release = Pick @('Lock', 'Lock', 'Release', 'Dispose', 'Release')
                if (-not (Go ("$release slot $slot lock $lslot shared $shared timeout $t"))) { return 'excluded' }
                & {
                    if ($release -eq 'Lock') { $locks[$lslot] = $slots[$slot].Lock($shared, $t) }
                    else {
                        $lk = $locks[$lslot]
                        if ($null -eq $lk) { return 'skip' }
                        $lk.$release()
                    }
                }
            }
            Inspect = {
                $slot = Rnd 8; $what = Pick @('Processes', 'ResidentBytes', 'AttachCount', 'IncludeProcess', 'Orphaned', 'Limit')
                if (-not (Go ("Inspect slot $slot $what"))) { return 'excluded' }
                & {
                    switch ($what) {
                        'Limit' { $null = Get-SharedMemoryLimit -WarningAction SilentlyContinue }
                        'IncludeProcess' { $null = Get-SharedMemory -Name "/$Prefix*" -IncludeProcess -WarningAction SilentlyContinue }
                        'Orphaned' { $null = Get-SharedMemory -Name "/$Prefix*" -Orphaned -WarningAction SilentlyContinue }
                        default {
                            $o = $slots[$slot]
                            if ($null -eq $o) { return 'skip' }
                            $null = "$($o.$what)"
                        }
                    }
                }
            }
            MethodStream = {
                $slot = Rnd 8; $access = Pick @('Read', 'Write', 'ReadWrite', 'ReadWrite', 0, 'junk'); $off = GOffset; $cnt = Pick @(0, 1, 8, 4096, 65536, 1MB)
                $origin = Pick @('Begin', 'Current', 'End'); $write = (Rnd 2) -eq 0
                if (-not (Go ("`$slots[$slot].OpenStream($(Show $access)) seek $(Show $off) $origin, $(if ($write) { 'write' } else { 'read' }) $cnt"))) { return 'excluded' }
                & {
                    $o = $slots[$slot]
                    if ($null -eq $o) { return 'skip' }
                    $stream = $o.OpenStream($access)
                    try {
                        $null = $stream.Seek($off, $origin)
                        $buffer = [byte[]]::new($cnt)
                        if ($write) { $stream.Write($buffer, 0, $cnt) } else { $null = $stream.Read($buffer, 0, $cnt) }
                    }
                    finally { $stream.Dispose() }
                }
            }
            Static = {
                $n = Rnd 3; $s = Pick @('0x5eed', 'zz', '', $null, '0xFFFFFFFF', '0x100000000', '-1', '  12 ', "1`0"); $k = [int](Pick @(0, -1, [int]::MinValue, [int]::MaxValue))
                $p = GPath; $proj = [int](Pick @(0, 1, 255, 256, -1))
                if (-not (Go ("Static#$n $(Show $s) $k $(Show $p) $proj"))) { return 'excluded' }
                & {
                    switch ($n) {
                        0 { $null = [ShmPS.SystemVSharedMemory]::ParseKey($s) }
                        1 { $null = [ShmPS.SystemVSharedMemory]::FormatKey($k) }
                        2 { $null = [ShmPS.SystemVSharedMemory]::KeyFromPath($p, $proj) }
                    }
                }
            }
        }
        $weights = @{ New = 8; NewGenerated = 1; Get = 4; Read = 8; Write = 8; Resize = 4; Remove = 4; SetPermission = 3; Lock = 3; Unlock = 2; Pipeline = 3
            MethodRead = 6; MethodReadBuffer = 3; MethodWrite = 5; MethodNumber = 6; MethodString = 4; MethodState = 4; MethodLock = 3; Static = 1
            Inspect = 2; MethodStream = 4 }
        $wheel = foreach ($k in $operations.Keys) { , $k * $weights[$k] }
        $wheel = @($wheel | ForEach-Object { $_ })

        function Limit([string] $text) { $t = $text -replace '\s+', ' '; if ($t.Length -gt 160) { $t.Substring(0, 160) + '...' } else { $t } }
        function Go([string] $what) {
            # Logs the operation before it runs (a crash leaves it as the last line), unless excluded.
            if ($Exclude -and $what -match $Exclude) { return $false }
            $script:what = $what
            $log.WriteLine("#$index $what")
            $true
        }
        function Record([string] $id, [string] $source, [bool] $binding, [string] $what, [int] $index) {
            $key = "$source|$id|$binding"
            $s = $stats[$key]
            if (-not $s) { $s = $stats[$key] = @{ Id = $id; Source = $source; Binding = $binding; Count = 0; Examples = [Collections.Generic.List[string]]::new() } }
            $s.Count++
            if ($s.Examples.Count -lt 3) { $s.Examples.Add("#$index $what") }
        }

        $timing = @{}
        $sw = [Diagnostics.Stopwatch]::StartNew()
        try {
            for ($i = 0; $i -lt $Ops; $i++) {
                $name = $wheel[(Rnd $wheel.Count)]
                $isMethod = $name -like 'Method*' -or $name -eq 'Static'
                $script:index = $i
                $script:what = "(drawing the arguments of $name)"
                $t0 = $sw.Elapsed.TotalMilliseconds
                try {
                    $r = & $operations[$name]
                    if ($r -eq 'excluded' -or $r -eq 'skip') { $skipped++ } else { $succeeded++ }
                }
                catch {
                    $err = $_
                    $ex = $err.Exception
                    if ($ex -is [ShmPS.SharedMemoryException]) {
                        # A method's failure: ShmPS's own exception, not wrapped by PowerShell (a MethodException).
                        Record $ex.ErrorId ($(if ($isMethod) { 'M' } else { 'C' })) $false $what $i
                    }
                    elseif ($ex -is [Management.Automation.MethodInvocationException]) {
                        $e = $ex.InnerException; $id = $null
                        for ($c = $e; $c; $c = $c.InnerException) { if ($c -is [ShmPS.SharedMemoryException]) { $id = $c.ErrorId; break } }
                        if (-not $id) { $id = if ($e) { $e.GetType().Name } else { 'MethodInvocationException' } }
                        if ($id -notin 'ArgumentNullException', 'ArgumentOutOfRangeException', 'ArgumentException', 'IOException', 'NotSupportedException' -and $e -isnot [ShmPS.SharedMemoryException]) { $id = "$id($(Limit $e.Message))" }
                        Record $id 'M' $false $what $i
                    }
                    elseif ($isMethod -and $err.FullyQualifiedErrorId -eq 'InvokeMethodOnNull') { $skipped++ }
                    elseif ($isMethod -and $ex -is [Management.Automation.MethodException]) {
                        Record ($err.FullyQualifiedErrorId -split ',')[0] 'M' $true $what $i
                    }
                    else {
                        $id = ($err.FullyQualifiedErrorId -split ',')[0]
                        $binding = $ex -is [Management.Automation.ParameterBindingException]
                        # A raw .NET exception out of a cmdlet: keep its message, it says where it came from.
                        if ($id -notmatch '^[A-Z][A-Za-z]+$' -or $id -like '*Exception') { $id = "$id($(Limit $ex.Message))" }
                        Record $id ($(if ($isMethod) { 'M' } else { 'C' })) $binding $what $i
                    }
                }
                $timing[$name] = [double]$timing[$name] + $sw.Elapsed.TotalMilliseconds - $t0
            }
        }
        finally {
            $elapsed = $sw.Elapsed.TotalSeconds
            foreach ($o in $slots) { if ($o) { try { $o.Close() } catch { } } }
            foreach ($lk in $locks) { if ($lk) { try { $lk.Dispose() } catch { } } }
            $log.Dispose()
        }
        [pscustomobject]@{
            Seed = $Seed; Ops = $Ops; Succeeded = $succeeded; Skipped = $skipped; Seconds = [math]::Round($elapsed, 1)
            Milliseconds = $timing; Created = @($created); OwnIds = @($ownIds | Select-Object -Unique)
            Errors = @($stats.Values | ForEach-Object { [pscustomobject]$_ })
        } | ConvertTo-Json -Depth 4 -Compress
    }

    function Invoke-Fuzz {
        <#
        Runs the fuzz child for a seed while another process churns the objects it works on; returns the
        child's result (ExitCode, Output, Error), its parsed summary and the last operations it logged.
        #>
        param([int] $Seed, [int] $Ops, [int] $TimeoutSeconds = 150, [string] $Limits)
        $prefix = "shmps-fuzz-$env:SHMPS_TEST_RUN-$Seed"
        $dir = Join-Path ([IO.Path]::GetTempPath()) "$prefix-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory $dir, "$dir/sub", "$dir/ro" | Out-Null
        [IO.File]::WriteAllBytes("$dir/in", [byte[]](1..200))
        [IO.File]::WriteAllBytes("$dir/f1", [byte[]]::new(4096))
        [IO.File]::WriteAllBytes("$dir/br[1]", [byte[]]::new(64))
        ln -s "$dir/f1" "$dir/link0"
        ln -s "$dir/sub" "$dir/dlink"
        mknod "$dir/null" c 1 3
        # Keys of this run only: a random base, checked to be unused.
        do {
            $base = (Get-Random -Minimum 0x10000 -Maximum 0x7fff0) * 0x1000
            $keys = 0..5 | ForEach-Object { $base + $_ }
            $used = @(@(Get-SysvIpcTable shm; Get-SysvIpcTable sem) | Where-Object key -In $keys)
        } while ($used.Count)
        $log = Join-Path $dir 'operations.log'
        $childScript = Join-Path $dir 'child.ps1'
        Set-Content $childScript $FuzzChild.ToString()
        # Triage only: SHMPS_FUZZ_EXCLUDE is a regex; operations whose description matches it are drawn but not run,
        # so that the rest of a seed's sequence can be looked at while one failure is being fixed.
        $exclude = "'" + ([string]$env:SHMPS_FUZZ_EXCLUDE).Replace("'", "''") + "'"
        $targets = @(0..2 | ForEach-Object { "p:/$prefix-$_"; "f:$dir/f$_"; 'k:{0}' -f $keys[$_] })
        $launcher = @()
        if ($Limits) {
            # Under a small RLIMIT_FSIZE, the runtime and pwsh themselves die before and after any ShmPS code
            # runs: with W^X on, .NET sizes a memfd for its double-mapped code heap at startup (so
            # DOTNET_EnableWriteXorExecute=0), and pwsh writes its startup JIT profile (about 100 KiB) to its
            # cache folder at exit (so a private cache folder where that file is a link to /dev/null).
            New-Item -ItemType Directory "$dir-cache/powershell" | Out-Null
            ln -s /dev/null "$dir-cache/powershell/StartupProfileData-NonInteractive"
            $launcher = 'env', "XDG_CACHE_HOME=$dir-cache", 'DOTNET_EnableWriteXorExecute=0', 'bash', '-c', "$Limits && exec `"`$0`" `"`$@`""
        }
        $churn = Start-TestProcess (Get-NativeTool fuzz_churn) (@($Seed, 3000, 300) + $targets)
        try {
            $result = Invoke-ChildPwsh -TimeoutSeconds $TimeoutSeconds -Launcher $launcher @"
& '$childScript' -Seed $Seed -Ops $Ops -Dir '$dir' -Prefix '$prefix' -Keys $($keys -join ',') -LogPath '$log' -Exclude $exclude
"@
        }
        catch {
            $result = [pscustomobject]@{ ExitCode = -1; Output = ''; Error = "$_" }
        }
        finally {
            Stop-TestProcess $churn
            $lines = @(Get-Content $log -ErrorAction SilentlyContinue)
            # Clean up: this run's POSIX names (prefix, and generated names it logged), keys, files.
            $generated = $lines | Where-Object { $_ -like 'CREATED *' } | ForEach-Object { $_.Substring(8).TrimStart('/') }
            Get-ChildItem /dev/shm -Force -ErrorAction SilentlyContinue |
                Where-Object { $_.Name -like "*$prefix*" -or $_.Name -in $generated } | Remove-Item -Force -ErrorAction SilentlyContinue
            $childPid = ($result.Output -split '\r?\n' | Where-Object { $_ -match '^SEED \d+ PID (\d+)' } | Select-Object -First 1) -replace '^SEED \d+ PID ', ''
            foreach ($row in Get-SysvIpcTable shm) {
                if ($row.key -in $keys -or ($childPid -and $row.cpid -eq $childPid)) { ipcrm -m $row.shmid 2>$null }
            }
            foreach ($row in Get-SysvIpcTable sem) {
                if ($row.key -in $keys) { ipcrm -s $row.semid 2>$null }
            }
            Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
            if (Test-Path "$dir-cache") { rm -rf -- "$dir-cache" }
        }
        $summaryLine = $result.Output -split '\r?\n' | Where-Object { $_ -like '{*' } | Select-Object -Last 1
        $summary = if ($summaryLine) { $summaryLine | ConvertFrom-Json } else { $null }
        $unexpected = @(if ($summary) {
            $summary.Errors | Where-Object { -not (Test-ExpectedFuzzId $_.Id $_.Source $_.Binding) } |
                ForEach-Object { "[{0}] {1} x{2}, e.g.`n      {3}" -f $_.Source, $_.Id, $_.Count, ($_.Examples -join "`n      ") }
        })
        $opLines = @($lines | Where-Object { $_ -like '#*' })
        [pscustomobject]@{
            Seed = $Seed; Result = $result; Summary = $summary; Unexpected = $unexpected
            LastOperations = ($opLines | Select-Object -Last 3) -join "`n  "
        }
    }

    $script:FuzzSeed = if ($env:SHMPS_FUZZ_SEED) { [int]$env:SHMPS_FUZZ_SEED } else { Get-Random -Minimum 1 -Maximum 1000000 }
    $script:FuzzOps = if ($env:SHMPS_FUZZ_OPS) { [int]$env:SHMPS_FUZZ_OPS } else { 3000 }
    Write-Host "Fuzz seed $FuzzSeed (replay with `$env:SHMPS_FUZZ_SEED = $FuzzSeed)"
}

Describe 'Fuzzing every cmdlet and method with random arguments while another process churns the objects' -Tag Fuzz, Robustness {
    It 'never kills pwsh and reports only documented error ids (seed in the test name output)' {
        $run = Invoke-Fuzz -Seed $FuzzSeed -Ops $FuzzOps
        if ($run.Summary) { Write-Host ($run.Summary.Milliseconds | ConvertTo-Json -Compress) }
        Write-Host ("Fuzz seed {0}: {1}" -f $FuzzSeed, $(if ($run.Summary) { "$($run.Summary.Ops) operations in $($run.Summary.Seconds) s, $($run.Summary.Succeeded) succeeded" } else { 'no summary' }))
        $run.Result.ExitCode | Should -Be 0 -Because ("the child must not die (seed {0}; 128+n is signal n), last operations:`n  {1}`n{2}" -f $FuzzSeed, $run.LastOperations, (($run.Result.Error -split '\r?\n' | Select-Object -First 15) -join "`n"))
        $run.Summary | Should -Not -BeNullOrEmpty
        $run.Unexpected | Should -BeNullOrEmpty -Because ("every error id must be documented (seed {0}):`n  {1}" -f $FuzzSeed, ($run.Unexpected -join "`n  "))
    }

    It 'never kills pwsh under RLIMIT_FSIZE 100 KiB and 256 descriptors, and reports only documented ids' {
        $seed = $FuzzSeed + 1
        $ops = [math]::Max(1, [int]($FuzzOps / 4))
        $run = Invoke-Fuzz -Seed $seed -Ops $ops -Limits 'ulimit -f 100 -n 256'
        Write-Host ("Fuzz seed {0} under ulimit: {1}" -f $seed, $(if ($run.Summary) { "$($run.Summary.Ops) operations in $($run.Summary.Seconds) s" } else { 'no summary' }))
        $run.Result.ExitCode | Should -Be 0 -Because ("the child must not die (seed {0}; 153 is SIGXFSZ), last operations:`n  {1}`n{2}" -f $seed, $run.LastOperations, (($run.Result.Error -split '\r?\n' | Select-Object -First 15) -join "`n"))
        $run.Summary | Should -Not -BeNullOrEmpty
        $run.Unexpected | Should -BeNullOrEmpty -Because ("every error id must be documented (seed {0}):`n  {1}" -f $seed, ($run.Unexpected -join "`n  "))
    }
}
