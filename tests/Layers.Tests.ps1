# The layers ARCHITECTURE.md claims, held by reading the assemblies: kind knowledge lives only in the
# kind's folder. No type of the cmdlets' namespace (ShmPS.Commands, its lambdas and iterators included)
# names a kind: none references a type declared in a kind's folder (Posix/, SystemV/, File/: the objects,
# the backends and their helpers) or a concrete kind object or backend declared anywhere, by IL (calls,
# fields, casts, `is`, typeof), signatures, locals, base types or attributes ([OutputType], completers,
# transformations); none loads a kind's name as a string constant; nothing declares a kind as a static
# member of SharedMemoryKind. The Format and Types files name no kind's type either.
# Where a kind is, the registry says: each registered backend's source file marks its folder.

BeforeAll {
    . $PSScriptRoot/common.ps1

    # The core (kinds, backends, the registry) and the module (cmdlets, completers, binding attributes, views).
    $script:Assembly = [ShmPS.SharedMemory].Assembly
    $script:ModuleAssembly = [ShmPS.Commands.NewSharedMemoryCommand].Assembly
    $script:AllTypes = @($Assembly.GetTypes()) + @($ModuleAssembly.GetTypes())
    $script:SharedMemoryType = [ShmPS.SharedMemory]
    $script:BackendType = $Assembly.GetType('ShmPS.SharedMemoryBackend', $true)
    $script:KindType = [ShmPS.SharedMemoryKind]
    $registry = $Assembly.GetType('ShmPS.SharedMemoryBackends', $true)
    $script:Backends = @($registry.GetField('All').GetValue($null))
    $script:KindNames = @([ShmPS.SharedMemoryKind]::Names)
    $script:SourceRoot = Join-Path $RepoRoot 'src'

    # IL opcodes by their first (or, after 0xFE, second) byte.
    $script:OneByte = [object[]]::new(256)
    $script:TwoByte = [object[]]::new(256)
    foreach ($field in [Reflection.Emit.OpCodes].GetFields([Reflection.BindingFlags]'Public, Static')) {
        $op = [Reflection.Emit.OpCode]$field.GetValue($null)
        $value = $op.Value -band 0xFFFF
        if ($op.Size -eq 2) { $TwoByte[$value -band 0xFF] = $op } else { $OneByte[$value] = $op }
    }

    function Get-KindFolder {
        <# The folders of the registered kinds: where each backend's class is declared. #>
        foreach ($backend in $Backends) {
            $name = $backend.GetType().Name
            $file = Get-ChildItem $SourceRoot -Recurse -Filter *.cs | Where-Object FullName -NotMatch '/(obj|bin)/' |
                Select-String -Pattern "\bclass\s+$name\b" -List | Select-Object -First 1
            if (-not $file) { throw "No source declares $name." }
            Split-Path $file.Path -Parent
        }
    }

    function Get-KindType {
        <#
        The types that are kind knowledge: every type declared in a kind's folder (nested ones too), and every
        concrete object or backend type wherever it is declared.
        #>
        $names = foreach ($folder in Get-KindFolder | Select-Object -Unique) {
            foreach ($file in Get-ChildItem $folder -Filter *.cs) {
                foreach ($m in [regex]::Matches((Get-Content -Raw $file.FullName),
                        '\b(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?)\s+([A-Z]\w*)')) { $m.Groups[1].Value }
            }
        }
        $set = [Collections.Generic.HashSet[type]]::new()
        foreach ($type in $AllTypes) {
            $outer = $type
            while ($outer.IsNested) { $outer = $outer.DeclaringType }
            if ($outer.Name -replace '`\d+$' -in $names -and $outer.Namespace -like 'ShmPS*') { $null = $set.Add($type) }
            if (-not $type.IsAbstract -and ($SharedMemoryType.IsAssignableFrom($type) -or $BackendType.IsAssignableFrom($type))) { $null = $set.Add($type) }
        }
        , $set
    }

    function Get-TypeClosure {
        <# A type and the types it is made of: element types, generic arguments. #>
        param([type] $Type)
        if (-not $Type) { return }
        $Type
        if ($Type.HasElementType) { Get-TypeClosure $Type.GetElementType() }
        if ($Type.IsGenericType -and -not $Type.IsGenericTypeDefinition) { foreach ($t in $Type.GetGenericArguments()) { Get-TypeClosure $t } }
    }

    function Get-MemberType {
        <# The types a member names: its declaring type and its signature. #>
        param($Member)
        switch ($Member) {
            { $_ -is [type] } { Get-TypeClosure $_; break }
            { $_ -is [Reflection.FieldInfo] } { Get-TypeClosure $_.DeclaringType; Get-TypeClosure $_.FieldType; break }
            { $_ -is [Reflection.MethodBase] } {
                Get-TypeClosure $_.DeclaringType
                if ($_ -is [Reflection.MethodInfo]) {
                    Get-TypeClosure $_.ReturnType
                    if ($_.IsGenericMethod) { foreach ($t in $_.GetGenericArguments()) { Get-TypeClosure $t } }
                }
                foreach ($p in $_.GetParameters()) { Get-TypeClosure $p.ParameterType }
                break
            }
        }
    }

    function Get-ILReference {
        <# What a method's IL names: each member token resolved (@{ Member }), each string loaded (@{ String }). #>
        param([Reflection.MethodBase] $Method)
        $body = $Method.GetMethodBody()
        if (-not $body) { return }
        $il = $body.GetILAsByteArray()
        $module = $Method.Module
        $typeArgs = if ($Method.DeclaringType.IsGenericType) { $Method.DeclaringType.GetGenericArguments() } else { $null }
        $methodArgs = if ($Method -is [Reflection.MethodInfo] -and $Method.IsGenericMethod) { $Method.GetGenericArguments() } else { $null }
        $i = 0
        while ($i -lt $il.Length) {
            if ($il[$i] -eq 0xFE) { $op = $TwoByte[$il[$i + 1]]; $i += 2 } else { $op = $OneByte[$il[$i]]; $i += 1 }
            if (-not $op) { throw "Unknown opcode at IL offset $i of $($Method.DeclaringType).$($Method.Name)." }
            switch ($op.OperandType) {
                'InlineNone' { break }
                { $_ -in 'ShortInlineBrTarget', 'ShortInlineI', 'ShortInlineVar' } { $i += 1; break }
                'InlineVar' { $i += 2; break }
                { $_ -in 'InlineI', 'InlineBrTarget', 'ShortInlineR', 'InlineSig' } { $i += 4; break }
                { $_ -in 'InlineI8', 'InlineR' } { $i += 8; break }
                'InlineSwitch' { $i += 4 + 4 * [BitConverter]::ToInt32($il, $i); break }
                'InlineString' { @{ String = $module.ResolveString([BitConverter]::ToInt32($il, $i)); Op = $op.Name }; $i += 4; break }
                default {
                    # InlineField, InlineMethod, InlineType, InlineTok
                    @{ Member = $module.ResolveMember([BitConverter]::ToInt32($il, $i), $typeArgs, $methodArgs); Op = $op.Name }
                    $i += 4
                }
            }
        }
    }

    function Get-KindReference {
        <#
        Where the given types name a kind: rows of Type, Where (IL of a method, a signature, an attribute...)
        and What. $KindTypes are the types that are kind knowledge.
        #>
        param([type[]] $Types, $KindTypes)
        $flags = [Reflection.BindingFlags]'Public, NonPublic, Instance, Static, DeclaredOnly'
        foreach ($type in $Types) {
            $found = [Collections.Generic.List[object]]::new()
            $check = {
                param($Where, [type[]] $Named)
                foreach ($t in $Named) {
                    if ($t -and ($KindTypes.Contains($t) -or ($t.IsGenericType -and $KindTypes.Contains($t.GetGenericTypeDefinition())))) {
                        $found.Add([pscustomobject]@{ Type = $type.FullName; Where = $Where; What = $t.FullName })
                    }
                }
            }
            & $check 'base type' @($type.BaseType; $type.GetInterfaces())
            $attributes = @($type.GetCustomAttributesData())
            $members = @($type.GetFields($flags)) + @($type.GetProperties($flags)) + @($type.GetMethods($flags)) + @($type.GetConstructors($flags))
            foreach ($member in $members) {
                $attributes += @($member.GetCustomAttributesData())
                switch ($member) {
                    { $_ -is [Reflection.FieldInfo] } { & $check "field $($_.Name)" @(Get-TypeClosure $_.FieldType) }
                    { $_ -is [Reflection.PropertyInfo] } { & $check "property $($_.Name)" @(Get-TypeClosure $_.PropertyType) }
                    { $_ -is [Reflection.MethodBase] } {
                        $method = $_
                        & $check "signature of $($method.Name)" @(Get-MemberType $method | Where-Object { $_ -ne $method.DeclaringType })
                        foreach ($p in $method.GetParameters()) { $attributes += @($p.GetCustomAttributesData()) }
                        $body = $method.GetMethodBody()
                        if ($body) { & $check "locals of $($method.Name)" @($body.LocalVariables | ForEach-Object { Get-TypeClosure $_.LocalType }) }
                        foreach ($ref in Get-ILReference $method) {
                            if ($ref.ContainsKey('String')) {
                                if ($ref.String -in $KindNames) {
                                    $found.Add([pscustomobject]@{ Type = $type.FullName; Where = "IL of $($method.Name)"; What = "the string '$($ref.String)', a kind's name" })
                                }
                                continue
                            }
                            $member = $ref.Member
                            & $check "IL of $($method.Name) ($($ref.Op) $($member.Name))" @(Get-MemberType $member)
                            # A kind declared as a constant of SharedMemoryKind (SharedMemoryKind.Posix) is a kind's name too.
                            $static = if ($member -is [Reflection.FieldInfo]) { $member.IsStatic -and $member.FieldType -eq $KindType }
                                elseif ($member -is [Reflection.MethodInfo]) { $member.IsStatic -and $member.ReturnType -eq $KindType -and $member.DeclaringType -eq $KindType }
                            if ($static -and $member.DeclaringType -eq $KindType) {
                                $found.Add([pscustomobject]@{ Type = $type.FullName; Where = "IL of $($method.Name)"; What = "SharedMemoryKind.$($member.Name)" })
                            }
                        }
                    }
                }
            }
            foreach ($attribute in $attributes) {
                $arguments = @($attribute.ConstructorArguments) + @($attribute.NamedArguments | ForEach-Object TypedValue)
                $values = foreach ($a in $arguments) {
                    if ($a.Value -is [Collections.IEnumerable] -and $a.Value -isnot [string]) { $a.Value | ForEach-Object Value } else { $a.Value }
                }
                & $check "attribute [$($attribute.AttributeType.Name)]" @($attribute.AttributeType; $values | Where-Object { $_ -is [type] } | ForEach-Object { Get-TypeClosure $_ })
            }
            $found
        }
    }

    $script:KindTypes = Get-KindType
    $script:CommandTypes = @($AllTypes | Where-Object { $_.Namespace -eq 'ShmPS.Commands' })
}

Describe 'Layers' {
    It 'finds the kinds'' folders from the registry, and their types' {
        $folders = @(Get-KindFolder)
        $folders.Count | Should -Be $KindNames.Count
        $folders | ForEach-Object { Split-Path $_ -Leaf } | Should -Be @('Posix', 'SystemV', 'File', 'Anonymous')
        $KindTypes.Count | Should -BeGreaterThan $KindNames.Count
        $KindTypes.Contains([ShmPS.SystemVSharedMemory]) | Should -BeTrue
        $KindTypes.Contains($Assembly.GetType('ShmPS.FileBackend', $true)) | Should -BeTrue
        $KindTypes.Contains([ShmPS.SharedMemory]) | Should -BeFalse
        $KindTypes.Contains([ShmPS.DescriptorSharedMemory]) | Should -BeFalse
    }

    It 'sees a kind named the ways code names one (casts and is, calls, statics, signatures, strings)' {
        # The registry names every backend (ldsfld Instance); the kinds' folders name their own types everywhere.
        $registry = @(Get-KindReference -Types $Assembly.GetType('ShmPS.SharedMemoryBackends', $true) -KindTypes $KindTypes)
        $registry.What | Should -Contain 'ShmPS.PosixBackend'
        $segment = @(Get-KindReference -Types ([ShmPS.SystemVSharedMemory]) -KindTypes ([Collections.Generic.HashSet[type]]@([ShmPS.SystemVSharedMemory])))
        # IsSameObject: other is SystemVSharedMemory segment (isinst)
        @($segment | Where-Object Where -Like 'IL of IsSameObject (isinst*') | Should -Not -BeNullOrEmpty
        $kindNames = @(Get-KindReference -Types $Assembly.GetType('ShmPS.SystemVBackend', $true) -KindTypes ([Collections.Generic.HashSet[type]]::new()))
        $kindNames.What | Should -Contain "the string 'SystemV', a kind's name"
    }

    It 'the cmdlets'' namespace holds the cmdlets, and their lambdas and iterators' {
        $CommandTypes.Count | Should -BeGreaterThan 20
        $CommandTypes.FullName | Should -Contain 'ShmPS.Commands.NewSharedMemoryCommand'
        @($CommandTypes | Where-Object IsNested).Count | Should -BeGreaterThan 0
    }

    It 'no type in ShmPS.Commands names a kind' {
        $found = @(Get-KindReference -Types $CommandTypes -KindTypes $KindTypes)
        $found | Format-Table -AutoSize | Out-String -Width 250 | Write-Host
        $found | Should -BeNullOrEmpty
    }

    It 'no binding attribute or completer outside ShmPS.Commands names a kind' {
        $module = @($AllTypes | Where-Object {
                $_.Namespace -like 'ShmPS*' -and (
                    [Management.Automation.ArgumentTransformationAttribute].IsAssignableFrom($_) -or
                    [Management.Automation.IArgumentCompleter].IsAssignableFrom($_) -or
                    [Management.Automation.ValidateArgumentsAttribute].IsAssignableFrom($_))
            })
        $module.Count | Should -BeGreaterThan 3
        $found = @(Get-KindReference -Types $module -KindTypes $KindTypes)
        $found | Format-Table -AutoSize | Out-String -Width 250 | Write-Host
        $found | Should -BeNullOrEmpty
    }

    It 'SharedMemoryKind declares no kind: the kinds are the backends''' {
        $static = @($KindType.GetFields([Reflection.BindingFlags]'Public, NonPublic, Static') | Where-Object FieldType -EQ $KindType) +
            @($KindType.GetProperties([Reflection.BindingFlags]'Public, NonPublic, Static') | Where-Object PropertyType -EQ $KindType)
        $static | Should -BeNullOrEmpty
        $KindType.IsEnum | Should -BeFalse
    }

    It 'the Format and Types files name no kind''s type' {
        $names = $KindTypes | Where-Object { -not $_.IsNested } | ForEach-Object FullName
        foreach ($file in 'ShmPS.Format.ps1xml', 'ShmPS.Types.ps1xml') {
            $text = Get-Content -Raw (Join-Path (Split-Path $ModulePath -Parent) $file)
            $named = @($names | Where-Object { $text -match "\b$([regex]::Escape($_))\b" })
            $named | Should -BeNullOrEmpty -Because "$file must ask the objects, not their types"
        }
    }
}
