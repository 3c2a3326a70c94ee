# New-SharedMemoryLayout: C declarations laid out as gcc lays them out. Random declarations, new on every
# run (the seed is printed; SHMPS_LAYOUT_SEED repeats a run), are compiled with gcc for x86_64 and with
# aarch64-linux-gnu-gcc -static run under qemu-aarch64-static, and every sizeof, _Alignof and offsetof
# must equal what ShmPS computed. Known layouts, the refusals with their line and token, and input forms.

BeforeAll {
    . $PSScriptRoot/common.ps1

    function New-RandomDeclaration {
        <# C declarations of -Count structs and unions built from every accepted construct, and the names to check. #>
        param([Parameter(Mandatory)] [Random] $Random, [int] $Count = 40)
        $scalars = @(
            'char', 'signed char', 'unsigned char', 'short', 'unsigned short', 'short int', 'int', 'unsigned', 'unsigned int', 'signed',
            'long', 'unsigned long', 'long int', 'long long', 'unsigned long long', 'long long int', 'float', 'double', 'long double', '_Bool', 'bool',
            'int8_t', 'uint8_t', 'int16_t', 'uint16_t', 'int32_t', 'uint32_t', 'int64_t', 'uint64_t', 'intptr_t', 'uintptr_t', 'intmax_t',
            'int_least16_t', 'int_fast16_t', 'uint_fast32_t', 'size_t', 'ssize_t', 'ptrdiff_t', 'off_t', 'pid_t', 'uid_t', 'gid_t', 'key_t', 'time_t',
            'dev_t', 'ino_t', 'mode_t', 'myint', 'mybyte', 'mysize', 'arr3_t', 'const volatile int')
        $pick = { param($items) $items[$Random.Next($items.Count)] }
        $out = [System.Text.StringBuilder]::new()
        [void]$out.AppendLine('/* generated */ typedef int myint; typedef unsigned char mybyte; // more')
        [void]$out.AppendLine('typedef unsigned long mysize; typedef short arr3_t[3];')
        [void]$out.AppendLine('#define LEN 3')
        $enums = @()
        foreach ($e in 0..2) {
            $values = foreach ($v in 0..($Random.Next(1, 4))) {
                $n = switch ($Random.Next(4)) { 0 { '' } 1 { " = $($Random.Next(-5, 5))" } 2 { " = 0x$('{0:x}' -f $Random.Next(1, 1000))" } 3 { ' = 5000000000' } }
                "E${e}_$v$n"
            }
            [void]$out.AppendLine("enum en$e { $($values -join ', ') };")
            $enums += "enum en$e"
        }
        $types = [System.Collections.Generic.List[string]]::new()
        $names = [System.Collections.Generic.List[string]]::new()
        foreach ($s in 0..($Count - 1)) {
            $keyword = if ($Random.Next(5) -eq 0) { 'union' } else { 'struct' }
            $before = if ($Random.Next(8) -eq 0) { '__attribute__((packed)) ' } else { '' }
            $after = switch ($Random.Next(10)) {
                0 { ' __attribute__((packed))' }
                1 { " __attribute__((aligned($(& $pick @(1, 2, 4, 8, 16, 32)))))" }
                2 { ' __attribute__((packed, aligned(4)))' }
                3 { ' __attribute__((__aligned__))' }
                default { '' }
            }
            $record = [System.Text.StringBuilder]::new()
            [void]$record.AppendLine("$keyword ${before}s$s { // record $s")
            $memberCount = $Random.Next(1, 9)
            foreach ($m in 0..($memberCount - 1)) {
                $r = $Random.Next(100)
                $type = if ($r -lt 60 -or $types.Count -eq 0) { & $pick $scalars }
                elseif ($r -lt 75) { & $pick @($types) }
                elseif ($r -lt 80) { & $pick $enums }
                elseif ($r -lt 85) { 'void *' }
                elseif ($r -lt 88) { 'const char *' }
                elseif ($r -lt 90) { 'FNPTR' }
                elseif ($r -lt 95) { 'ANON' }
                else { & $pick $scalars }
                $dims = switch ($Random.Next(10)) {
                    0 { "[$($Random.Next(1, 6))]" }
                    1 { "[$($Random.Next(1, 4))][$($Random.Next(1, 4))]" }
                    2 { '[LEN * 2]' }
                    3 { "[$($Random.Next(1, 40))]" }
                    default { '' }
                }
                $lead = if ($Random.Next(12) -eq 0) { '_Alignas(32) ' } else { '' } # never below any alignment generated here (gcc refuses that)
                $attr = switch ($Random.Next(14)) {
                    0 { " __attribute__((aligned($(& $pick @(1, 2, 4, 8, 16)))))" }
                    1 { ' __attribute__((packed))' }
                    default { '' }
                }
                $member = "m$m"
                $line = switch ($type) {
                    'FNPTR' { "void (*$member)(int, char *)" }
                    'ANON' {
                        $inner = @(foreach ($k in 0..($Random.Next(1, 3))) { "$(& $pick $scalars) m${m}_$k;" }) -join ' '
                        "$(& $pick @('struct', 'union')) { $inner }"
                    }
                    default { "$lead$type $member$dims$attr" }
                }
                [void]$record.AppendLine("    $line; /* m$m */")
            }
            $typedef = $Random.Next(3) -eq 0
            if ($typedef) {
                [void]$out.Append('typedef ').Append($record.ToString()).AppendLine("}$after t$s;")
                $types.Add("t$s")
            } else {
                [void]$out.Append($record.ToString()).AppendLine("}$after;")
                $types.Add("$keyword s$s")
            }
            $names.Add("$keyword s$s")
        }
        @{ Text = $out.ToString(); Names = @($names) }
    }

    function ConvertTo-LayoutProgram {
        <# A C program that prints, for every record, "S name sizeof alignof" and "F name member offsetof". #>
        param([string] $Declarations, [string[]] $Names)
        $layouts = @{}
        $body = foreach ($n in $Names) {
            $layouts[$n] = New-SharedMemoryLayout -Definition $Declarations -Name $n
            "    printf(""S $n %zu %zu\n"", sizeof($n), _Alignof($n));"
            foreach ($f in $layouts[$n].Fields) { "    printf(""F $n $($f.Name) %zu\n"", offsetof($n, $($f.Name)));" }
        }
        $program = "#include <stdio.h>`n#include <stddef.h>`n#include <stdint.h>`n#include <stdbool.h>`n#include <sys/types.h>`n" +
            "$Declarations`nint main(void) {`n$($body -join "`n")`n    return 0;`n}`n"
        @{ Program = $program; Layouts = $layouts }
    }

    function Compare-Layout {
        <# The lines of the compiled program against ShmPS's layouts; returns the differences. #>
        param([string[]] $Lines, [hashtable] $Layouts)
        foreach ($line in $Lines) {
            $p = $line -split ' '
            $name = "$($p[1]) $($p[2])"
            $layout = $Layouts[$name]
            if ($p[0] -eq 'S') {
                if ($layout.Size -ne [long]$p[3] -or $layout.Alignment -ne [long]$p[4]) {
                    "$name`: gcc sizeof $($p[3]) align $($p[4]), ShmPS $($layout.Size) align $($layout.Alignment)"
                }
            } else {
                $field = $layout.Fields | Where-Object Name -CEQ $p[3]
                if ($field.Offset -ne [long]$p[4]) { "$name.$($p[3]): gcc offsetof $($p[4]), ShmPS $($field.Offset)" }
            }
        }
    }

    $seedText = $env:SHMPS_LAYOUT_SEED
    $script:Seed = if ($seedText) { [int]$seedText } else { [Random]::Shared.Next() }
    Write-Host "New-SharedMemoryLayout random declarations: seed $Seed (set SHMPS_LAYOUT_SEED=$Seed to repeat)"
    $script:Generated = New-RandomDeclaration -Random ([Random]::new($Seed)) -Count 60
    $script:Program = ConvertTo-LayoutProgram -Declarations $Generated.Text -Names $Generated.Names
    $script:WorkDir = New-TestDirectory
    Set-Content -LiteralPath (Join-Path $WorkDir 'layout.c') -Value $Program.Program
}

AfterAll { Remove-TestSharedMemory }

Describe 'New-SharedMemoryLayout against the C compiler' {
    It 'lays out random declarations as gcc does on x86_64 (every sizeof, _Alignof and offsetof)' {
        $exe = Join-Path $WorkDir 'layout-x86_64'
        $out = gcc -std=gnu11 -Wall -Wno-unused -o $exe (Join-Path $WorkDir 'layout.c') 2>&1
        if ($LASTEXITCODE) { throw "gcc failed (seed $Seed):`n$out" }
        $lines = @(& $exe)
        $lines.Count | Should -BeGreaterThan ($Generated.Names.Count * 2)
        $differences = @(Compare-Layout -Lines $lines -Layouts $Program.Layouts)
        $differences | Should -BeNullOrEmpty -Because "seed $Seed; declarations in $WorkDir/layout.c"
    }

    It 'lays out the same declarations as aarch64-linux-gnu-gcc does on aarch64 (run under qemu-aarch64-static)' {
        $exe = Join-Path $WorkDir 'layout-aarch64'
        $out = aarch64-linux-gnu-gcc -std=gnu11 -static -Wall -Wno-unused -o $exe (Join-Path $WorkDir 'layout.c') 2>&1
        if ($LASTEXITCODE) { throw "aarch64-linux-gnu-gcc failed (seed $Seed):`n$out" }
        $lines = @(qemu-aarch64-static $exe)
        $LASTEXITCODE | Should -Be 0
        $lines.Count | Should -BeGreaterThan ($Generated.Names.Count * 2)
        $differences = @(Compare-Layout -Lines $lines -Layouts $Program.Layouts)
        $differences | Should -BeNullOrEmpty -Because "seed $Seed; declarations in $WorkDir/layout.c"
    }

    It 'generates declarations that use packed, aligned, _Alignas, unions, nested records, arrays, enums and pointers' {
        foreach ($construct in '__attribute__((packed', '__attribute__((aligned(', '_Alignas(', 'union ', 'enum en', '][', '*', 'typedef struct') {
            $Generated.Text.Contains($construct) | Should -BeTrue -Because "seed $Seed should exercise $construct"
        }
    }
}

Describe 'New-SharedMemoryLayout' {
    It "lays out PostgreSQL's PGShmemHeader with its typedefs" {
        $layout = New-SharedMemoryLayout -Definition (Get-Content -Raw (Join-Path $PSScriptRoot 'fixtures/pg_shmem.h'))
        $layout | Should -BeOfType ShmPS.SharedMemoryLayout
        $layout.Size | Should -Be 56
        $layout.Alignment | Should -Be 8
        $layout.Fields.Name | Should -Be magic, creatorPID, totalsize, freeoffset, dsm_control, index, device, inode
        $layout.Fields.Offset | Should -Be 0, 4, 8, 16, 24, 32, 40, 48
        $layout.Fields.Type | Should -Be int32, pid_t, Size, Size, dsm_handle, 'void *', dev_t, ino_t
        $layout.Fields.Size | Should -Be 4, 4, 8, 8, 4, 8, 8, 8
    }

    It 'gives each field its name, offset, type, element count and size, and a nested struct its own layout' {
        $layout = New-SharedMemoryLayout 'struct point { int x, y; }; struct stats { int64_t counter; char name[32]; double value; struct point pts[2][3]; };'
        $layout.Name | Should -Be 'struct stats'
        $layout.Size | Should -Be 96
        $name = $layout.Fields[1]
        $name.Name, $name.Offset, $name.Type, $name.ElementCount, $name.Size | Should -Be name, 8, 'char[32]', 32, 32
        $pts = $layout.Fields[3]
        $pts.Type | Should -Be 'struct point[2][3]'
        $pts.ElementCount | Should -Be 6
        $pts.Dimensions | Should -Be 2, 3
        $pts.Layout.Name | Should -Be 'struct point'
        $pts.Layout.Fields.Offset | Should -Be 0, 4
    }

    It 'takes -Name by tag, by "struct tag" or by typedef name, and the last record without it' {
        $text = 'struct a { char c; }; typedef struct b { int i; } b_t; union u { char c; double d; };'
        (New-SharedMemoryLayout $text).Name | Should -Be 'union u'
        (New-SharedMemoryLayout $text -Name a).Size | Should -Be 1
        (New-SharedMemoryLayout $text -Name 'struct b').Size | Should -Be 4
        (New-SharedMemoryLayout $text -Name b_t).Size | Should -Be 4
        (New-SharedMemoryLayout $text -Name u).Size | Should -Be 8
        { New-SharedMemoryLayout $text -Name missing } | Should -Throw -ErrorId 'InvalidLayout,ShmPS.Commands.NewSharedMemoryLayoutCommand'
    }

    It 'joins lines piped from Get-Content into one text' {
        $path = New-TestPath -Extension '.h'
        Set-Content -LiteralPath $path -Value "#include <stdint.h>`n#define N 4`nstruct s {`n  uint16_t a[N];`n  uint64_t b;`n};"
        $layout = Get-Content -LiteralPath $path | New-SharedMemoryLayout
        $layout.Size | Should -Be 16
        $layout.Fields[1].Offset | Should -Be 8
    }

    It 'follows packed, aligned and _Alignas as gcc does' {
        (New-SharedMemoryLayout 'struct p { char c; int i; } __attribute__((packed));').Size | Should -Be 5
        (New-SharedMemoryLayout 'struct __attribute__((packed)) p { char c; int i; };').Size | Should -Be 5
        (New-SharedMemoryLayout 'struct a { char c; } __attribute__((aligned(16)));').Size | Should -Be 16
        $l = New-SharedMemoryLayout 'struct s { char c; _Alignas(16) int i; };'
        $l.Fields[1].Offset | Should -Be 16
        $l.Size | Should -Be 32
        (New-SharedMemoryLayout 'struct s { char c; int i __attribute__((aligned(8))); };').Fields[1].Offset | Should -Be 8
    }

    It 'lays out enums as gcc does: unsigned int, int with a negative value, 64 bits past 32' {
        $l = New-SharedMemoryLayout 'enum a { A1, A2 }; enum b { B1 = -1 }; enum c { C1 = 0x100000000 }; struct s { enum a a; enum b b; enum c c; };'
        $l.Fields.Offset | Should -Be 0, 4, 8
        $l.Size | Should -Be 16
    }

    It 'refuses <Label> with InvalidLayout naming the token and its line' -TestCases @(
        @{ Label = 'a bit-field'; Text = "struct s {`n  int a;`n  unsigned flag : 1;`n};"; Line = 3; Token = 'flag' }
        @{ Label = 'a flexible array'; Text = "struct s {`n  int n;`n  char data[];`n};"; Line = 3; Token = '[' }
        @{ Label = 'a zero-length array'; Text = "struct s {`n  int n;`n  char data[0];`n};"; Line = 3; Token = 'data' }
        @{ Label = 'a variable-length array'; Text = "struct s {`n  int n;`n  char data[n];`n};"; Line = 3; Token = 'n' }
        @{ Label = 'an unknown type'; Text = "struct s {`n  int n;`n  widget_t w;`n};"; Line = 3; Token = 'widget_t' }
        @{ Label = '#pragma pack'; Text = "#pragma pack(1)`nstruct s { int n; };"; Line = 1; Token = '#pragma' }
        @{ Label = 'an unknown attribute'; Text = "struct s {`n  int n __attribute__((mode(DI)));`n};"; Line = 2; Token = 'mode' }
        @{ Label = 'a struct used before its definition'; Text = "struct s {`n  struct later l;`n};"; Line = 2; Token = 'struct later' }
        @{ Label = 'an unclosed struct'; Text = "struct s {`n  int n;`n"; Line = 3; Token = '' }
        @{ Label = 'a variable'; Text = "struct s { int n; };`nstruct s instance;"; Line = 2; Token = 'instance' }
    ) {
        $err = { New-SharedMemoryLayout -Definition $Text } | Should -Throw -ErrorId 'InvalidLayout,ShmPS.Commands.NewSharedMemoryLayoutCommand' -PassThru
        $err.Exception.Message | Should -BeLike "*line $Line*"
        if ($Token) { $err.Exception.Message.Contains($Token) | Should -BeTrue -Because $err.Exception.Message }
        $err.CategoryInfo.Category | Should -Be InvalidArgument
    }

    It 'ignores C comments, // and /* */ across lines' {
        $l = New-SharedMemoryLayout "/* a struct`n with { braces } in a comment */ struct s { // int ignored;`n  char c; /* int also; */ long l; };"
        $l.Fields.Name | Should -Be c, l
    }
}
