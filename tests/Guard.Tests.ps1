# The fault-guarded copy (src/native/shmps_guard.c, ShmPS.Native.Guard): shipped for both architectures,
# loaded, copying exact bytes, and turning SIGBUS from a mapping whose file another process truncated into
# an error code, on any thread, without changing how .NET handles every other fault. Anything that could
# kill the process runs in a child pwsh; the arm64 library runs under qemu-user.

BeforeDiscovery {
    $HostRid = if ([Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'Arm64') { 'linux-arm64' } else { 'linux-x64' }
    # e_machine: EM_X86_64 62, EM_AARCH64 183.
    $Libraries = @(
        @{ Rid = 'linux-x64'; Machine = 62; Compiler = if ($HostRid -eq 'linux-x64') { 'gcc' } else { 'x86_64-linux-gnu-gcc' } }
        @{ Rid = 'linux-arm64'; Machine = 183; Compiler = if ($HostRid -eq 'linux-arm64') { 'gcc' } else { 'aarch64-linux-gnu-gcc' } }
    )
    $CChecks = foreach ($library in $Libraries) {
        @{ Rid = $library.Rid; Compiler = $library.Compiler; Mode = 'copy'; ExitCode = 0; Does = 'returns 0 for valid copies and SIGBUS, 1,000 times, after a truncation' }
        @{ Rid = $library.Rid; Compiler = $library.Compiler; Mode = 'chain'; ExitCode = 42; Does = 'passes a fault outside a copy to the handler installed before it' }
        @{ Rid = $library.Rid; Compiler = $library.Compiler; Mode = 'default'; ExitCode = 128 + 11; Does = 'lets a fault outside a copy kill the process when nothing handled it before' }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:HostRid = if ([Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'Arm64') { 'linux-arm64' } else { 'linux-x64' }
    $script:ModuleBase = Split-Path $ModulePath -Parent
    $script:Guard = [ShmPS.SharedMemory].Assembly.GetType('ShmPS.Native.Guard', $true)

    # Maps files with mmap(MAP_SHARED) and calls Guard.Copy as the module's core will: a managed buffer
    # pinned with `fixed` on one side, an address in the mapping on the other.
    $script:HelperSource = @'
using System;
using System.IO;
using System.Runtime.InteropServices;

public static unsafe class GuardTestMemory
{
    [DllImport("libc", SetLastError = true)] private static extern int open(string path, int flags, int mode);
    [DllImport("libc")] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern IntPtr mmap(IntPtr address, UIntPtr length, int prot, int flags, int fd, IntPtr offset);
    [DllImport("libc")] private static extern int munmap(IntPtr address, UIntPtr length);

    private static delegate*<void*, void*, nuint, int> s_copy;

    public static void Initialize(Type guard)
    {
        s_copy = (delegate*<void*, void*, nuint, int>)guard.GetMethod("Copy").MethodHandle.GetFunctionPointer();
    }

    // Gives the file this size and maps all of it shared, read-write (O_RDWR 2, O_CLOEXEC 0x80000, PROT_READ|PROT_WRITE 3, MAP_SHARED 1).
    public static IntPtr Map(string path, int size)
    {
        using (var file = new FileStream(path, FileMode.OpenOrCreate)) { file.SetLength(size); }
        int fd = open(path, 2 | 0x80000, 0);
        if (fd < 0) throw new IOException("open " + path + ": errno " + Marshal.GetLastPInvokeError());
        IntPtr address = mmap(IntPtr.Zero, (UIntPtr)(uint)size, 3, 1, fd, IntPtr.Zero);
        int errno = Marshal.GetLastPInvokeError();
        close(fd);
        if (address == new IntPtr(-1)) throw new IOException("mmap " + path + ": errno " + errno);
        return address;
    }

    public static void Unmap(IntPtr address, int size) { munmap(address, (UIntPtr)(uint)size); }

    public static int CopyFrom(IntPtr mapping, long offset, byte[] buffer, int count)
    {
        fixed (byte* b = buffer) { return s_copy(b, (byte*)mapping + offset, (nuint)count); }
    }

    public static int CopyInto(IntPtr mapping, long offset, byte[] buffer, int count)
    {
        fixed (byte* b = buffer) { return s_copy((byte*)mapping + offset, b, (nuint)count); }
    }

    public static bool Same(byte[] a, int offset, byte[] b) { return a.Length >= offset + b.Length && a.AsSpan(offset, b.Length).SequenceEqual(b); }
}
'@
    Add-Type -TypeDefinition $HelperSource -CompilerOptions '-unsafe'
    [GuardTestMemory]::Initialize($Guard)

    # The same helper in a child pwsh, where a fault the guard missed kills only the child.
    $script:ChildPrelude = @"
Add-Type -CompilerOptions '-unsafe' -TypeDefinition @'
$HelperSource
'@
`$guard = [ShmPS.SharedMemory].Assembly.GetType('ShmPS.Native.Guard', `$true)
if (-not `$guard.GetProperty('IsAvailable').GetValue(`$null)) { throw `$guard.GetProperty('Status').GetValue(`$null) }
[GuardTestMemory]::Initialize(`$guard)
"@

    function New-TestFile {
        <# A path in /dev/shm that Remove-TestSharedMemory cleans up. #>
        Join-Path '/dev/shm' (New-TestName).TrimStart('/')
    }

    function Get-GuardTest {
        <# Builds tests/native/guard_test.c for one architecture; $null when its compiler is missing. #>
        param([string] $Rid, [string] $Compiler)
        if (-not (Get-Command $Compiler -ErrorAction SilentlyContinue)) { return $null }
        $exe = Join-Path $env:SHMPS_TESTBIN "guard_test-$Rid"
        if (-not (Test-Path $exe)) {
            New-Item -ItemType Directory $env:SHMPS_TESTBIN -Force | Out-Null
            $out = & $Compiler -O2 -Wall -Wextra -Werror -o $exe (Join-Path $PSScriptRoot 'native/guard_test.c') 2>&1
            if ($LASTEXITCODE) { throw "$Compiler failed for guard_test.c:`n$out" }
        }
        $exe
    }
}

AfterAll {
    Remove-TestSharedMemory
}

Describe 'Guarded copy' -Tag Guard {
    It 'stages runtimes/<Rid>/native/libshmps_guard.so built for that architecture' -TestCases $Libraries {
        if (-not (Get-Command $Compiler -ErrorAction SilentlyContinue)) {
            Set-ItResult -Skipped -Because "$Compiler is not installed, so build.ps1 could not build the $Rid library"
            return
        }
        $library = Join-Path $ModuleBase "runtimes/$Rid/native/libshmps_guard.so"
        $library | Should -Exist
        $header = [IO.File]::ReadAllBytes($library)[0..19]
        [Text.Encoding]::ASCII.GetString($header, 1, 3) | Should -Be 'ELF'
        $header[4] | Should -Be 2 -Because 'ELFCLASS64'
        $header[16] | Should -Be 3 -Because 'ET_DYN, a shared object'
        [BitConverter]::ToUInt16($header, 18) | Should -Be $Machine
    }

    It 'is available here, and Status names the library and the architecture' {
        $Guard.GetProperty('Status').GetValue($null) | Should -Be "guarded copy (libshmps_guard.so, $HostRid)"
        $Guard.GetProperty('IsAvailable').GetValue($null) | Should -BeTrue
        (Get-Content /proc/self/maps) -match "runtimes/$HostRid/native/libshmps_guard\.so$" | Should -Not -BeNullOrEmpty
    }

    It 'copies exactly the bytes into and out of a MAP_SHARED mapping of a file in /dev/shm (<Size> bytes)' -TestCases @(
        @{ Size = 8 }, @{ Size = 65536 }, @{ Size = 3MB + 5 }
    ) {
        $path = New-TestFile
        $map = [GuardTestMemory]::Map($path, $Size + 16)
        try {
            $data = New-RandomBytes $Size
            [GuardTestMemory]::CopyInto($map, 16, $data, $Size) | Should -Be 0
            $file = [IO.File]::ReadAllBytes($path)
            $file.Length | Should -Be ($Size + 16)
            [GuardTestMemory]::Same($file, 16, $data) | Should -BeTrue
            ($file[0..15] | Where-Object { $_ }) | Should -BeNullOrEmpty -Because 'nothing before the offset is written'

            $other = New-RandomBytes ($Size + 16)
            [IO.File]::WriteAllBytes($path, $other)
            $buffer = [byte[]]::new($Size)
            [GuardTestMemory]::CopyFrom($map, 16, $buffer, $Size) | Should -Be 0
            [GuardTestMemory]::Same($other, 16, $buffer) | Should -BeTrue
        }
        finally {
            [GuardTestMemory]::Unmap($map, $Size + 16)
        }
    }

    It 'returns SIGBUS (7), 1,000 times, for copies from and into a mapping whose file another process truncated' {
        $path = New-TestFile
        $result = Invoke-ChildPwsh -Script @"
$ChildPrelude
`$map = [GuardTestMemory]::Map('$path', 65536)
`$buffer = [byte[]]::new(65536)
if ([GuardTestMemory]::CopyFrom(`$map, 0, `$buffer, 65536) -ne 0) { throw 'a valid copy failed' }
truncate -s 0 '$path'
if (`$LASTEXITCODE) { throw 'truncate failed' }
`$from = `$into = 0
for (`$i = 0; `$i -lt 1000; `$i++) {
    `$from += [GuardTestMemory]::CopyFrom(`$map, 0, `$buffer, 65536) -eq 7
    `$into += [GuardTestMemory]::CopyInto(`$map, 4096, `$buffer, 8) -eq 7
}
`$size = (Get-Item '$path').Length
"from `$from into `$into size `$size"
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output.Trim() | Should -Be 'from 1000 into 1000 size 0'
    }

    It 'leaves every fault outside a copy to .NET as before: Marshal.ReadInt32(0) and $null.Foo() are ordinary errors' {
        $probes = @'
foreach ($probe in { [Runtime.InteropServices.Marshal]::ReadInt32([IntPtr]::Zero) }, { $null.Foo() }) {
    try { & $probe; 'no error' }
    catch { $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }; '{0} {1}' -f $e.GetType().FullName, $_.FullyQualifiedErrorId }
}
'@
        # Without ShmPS at all, then with the guard's handlers installed in front of the runtime's.
        $without = & $PwshPath -NoProfile -NonInteractive -Command $probes 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$without"
        $with = Invoke-ChildPwsh -Script "$ChildPrelude`n$probes`n(Get-Content /proc/self/maps) -match 'libshmps_guard' | Select-Object -First 1"
        $with.ExitCode | Should -Be 0 -Because $with.Error
        $lines = $with.Output.Trim() -split '\r?\n'
        $lines[2] | Should -Match 'libshmps_guard\.so' -Because 'the guard is loaded'
        $lines[0..1] | Should -Be @($without)
        $lines[0] | Should -BeLike 'System.AccessViolationException *'
        $lines[1] | Should -BeLike '* InvokeMethodOnNull'
    }

    It 'returns SIGBUS on every thread that faults while other threads copy valid memory correctly' {
        $bad = New-TestFile
        $good = New-TestFile
        $result = Invoke-ChildPwsh -Script @"
$ChildPrelude
`$expected = [byte[]]::new(65536)
[Random]::new(7).NextBytes(`$expected)
[IO.File]::WriteAllBytes('$good', `$expected)
`$goodMap = [GuardTestMemory]::Map('$good', 65536)
`$badMap = [GuardTestMemory]::Map('$bad', 65536)
truncate -s 0 '$bad'
if (`$LASTEXITCODE) { throw 'truncate failed' }
0..5 | ForEach-Object -ThrottleLimit 6 -Parallel {
    `$faulting = `$_ % 2
    `$buffer = [byte[]]::new(65536)
    `$ok = 0
    for (`$i = 0; `$i -lt 300; `$i++) {
        if (`$faulting) {
            `$ok += [GuardTestMemory]::CopyFrom(`$using:badMap, 0, `$buffer, 65536) -eq 7
        }
        else {
            [Array]::Clear(`$buffer)
            `$ok += [GuardTestMemory]::CopyFrom(`$using:goodMap, 0, `$buffer, 65536) -eq 0 -and [GuardTestMemory]::Same(`$buffer, 0, `$using:expected)
        }
    }
    '{0} {1} {2}' -f `$_, `$(if (`$faulting) { 'faulting' } else { 'valid' }), `$ok
} | Sort-Object
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output.Trim() -split '\r?\n' | Should -Be @('0 valid 300', '1 faulting 300', '2 valid 300', '3 faulting 300', '4 valid 300', '5 faulting 300')
    }

    It 'C check of the <Rid> library: <Does>' -TestCases $CChecks {
        $exe = Get-GuardTest -Rid $Rid -Compiler $Compiler
        if (-not $exe) {
            Set-ItResult -Skipped -Because "$Compiler is not installed (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
            return
        }
        # timeout(1): a handler that returned instead of chaining would fault forever (exit 124 after 60 s).
        $arguments = @('60', $exe)
        if ($Rid -ne $HostRid) {
            if (-not (Get-Command qemu-aarch64-static -ErrorAction SilentlyContinue) -or $Rid -ne 'linux-arm64') {
                Set-ItResult -Skipped -Because "running $Rid code here needs qemu-aarch64-static (apt-get install qemu-user-static)"
                return
            }
            $arguments = '60', 'qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', $exe
        }
        $arguments += (Join-Path $ModuleBase "runtimes/$Rid/native/libshmps_guard.so"), (New-TestFile), $Mode
        $output = & timeout @arguments 2>&1
        $LASTEXITCODE | Should -Be $ExitCode -Because ($output -join "`n")
        if ($Mode -eq 'copy') { $output | Should -Be 'ok' }
    }
}
