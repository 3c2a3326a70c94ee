# Struct layouts and constants of src/ShmPS.Core/Native, checked against the C compiler rather than trusted
# (as Tmds.LibC's StructTests do): tests/native/layout.c prints sizeof/offsetof and the values of the
# constants, and every managed declaration must agree with it.

BeforeDiscovery {
    # Managed field => C member, for every struct that ShmPS passes to or reads from the kernel.
    $Layouts = @(
        @{ Type = 'ShmPS.Native.IpcPerm'; CStruct = 'ipc_perm'; Members = [ordered]@{
                Key = '__key'; Uid = 'uid'; Gid = 'gid'; CreatorUid = 'cuid'; CreatorGid = 'cgid'; Mode = 'mode'; Sequence = '__seq' } }
        @{ Type = 'ShmPS.Native.ShmidDs'; CStruct = 'shmid_ds'; Members = [ordered]@{
                Perm = 'shm_perm'; SegmentSize = 'shm_segsz'; AttachTime = 'shm_atime'; DetachTime = 'shm_dtime'
                ChangeTime = 'shm_ctime'; CreatorPid = 'shm_cpid'; LastPid = 'shm_lpid'; AttachCount = 'shm_nattch' } }
        @{ Type = 'ShmPS.Native.ShmLimitInfo'; CStruct = 'shminfo'; Members = [ordered]@{
                MaxSegmentSize = 'shmmax'; MinSegmentSize = 'shmmin'; MaxSegments = 'shmmni'; MaxTotalPages = 'shmall' } }
        @{ Type = 'ShmPS.Native.ShmUsageInfo'; CStruct = 'shm_info'; Members = [ordered]@{
                Segments = 'used_ids'; TotalPages = 'shm_tot'; ResidentPages = 'shm_rss'; SwappedPages = 'shm_swp' } }
        @{ Type = 'ShmPS.Native.Statvfs'; CStruct = 'statvfs'; Members = [ordered]@{
                BlockSize = 'f_bsize'; FragmentSize = 'f_frsize'; Blocks = 'f_blocks'; FreeBlocks = 'f_bfree'
                AvailableBlocks = 'f_bavail'; Files = 'f_files'; FreeFiles = 'f_ffree' } }
        @{ Type = 'ShmPS.Native.Statx'; CStruct = 'statx'; Members = [ordered]@{
                Mask = 'stx_mask'; BlockSize = 'stx_blksize'; LinkCount = 'stx_nlink'; Uid = 'stx_uid'; Gid = 'stx_gid'
                Mode = 'stx_mode'; Inode = 'stx_ino'; Size = 'stx_size'; Blocks = 'stx_blocks'; AccessTime = 'stx_atime'
                ChangeTime = 'stx_ctime'; ModifyTime = 'stx_mtime'; DevMajor = 'stx_dev_major'; DevMinor = 'stx_dev_minor' } }
        @{ Type = 'ShmPS.Native.StatxTimestamp'; CStruct = 'statx_timestamp'; Members = [ordered]@{
                Seconds = 'tv_sec'; Nanoseconds = 'tv_nsec'; _reserved = '__reserved' } }
        @{ Type = 'ShmPS.Native.Libc+SemBuf'; CStruct = 'sembuf'; Members = [ordered]@{
                Number = 'sem_num'; Operation = 'sem_op'; Flags = 'sem_flg' } }
        @{ Type = 'ShmPS.Native.Libc+PollFd'; CStruct = 'pollfd'; Members = [ordered]@{
                Fd = 'fd'; Events = 'events'; ReturnedEvents = 'revents' } }
        @{ Type = 'ShmPS.Native.Libc+IoVec'; CStruct = 'iovec'; Members = [ordered]@{
                Base = 'iov_base'; Length = 'iov_len' } }
        @{ Type = 'ShmPS.Native.Libc+Timespec'; CStruct = 'timespec'; Members = [ordered]@{
                Seconds = 'tv_sec'; Nanoseconds = 'tv_nsec' } }
    )
    $CheckedCases = @(@{ Checked = @($Layouts.Type) })
    $StructCases = $Layouts | ForEach-Object { @{ Type = $_.Type; CStruct = $_.CStruct; Fields = @($_.Members.Keys) } }
    $FieldCases = foreach ($layout in $Layouts) {
        foreach ($field in $layout.Members.Keys) {
            @{ Type = $layout.Type; CStruct = $layout.CStruct; Field = $field; Member = $layout.Members[$field] }
        }
    }

    # Every integer constant of the native layer, by the class that declares it.
    $Constants = [ordered]@{
        'ShmPS.Native.Libc'  = @(
            'O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_EXCL', 'O_NONBLOCK', 'O_CLOEXEC', 'O_NOFOLLOW', 'O_DIRECTORY', 'O_TMPFILE', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE',
            'AT_SYMLINK_FOLLOW', 'POLLIN', 'PROT_READ', 'PROT_WRITE', 'MAP_SHARED',
            'AT_FDCWD', 'AT_SYMLINK_NOFOLLOW', 'AT_EMPTY_PATH', 'STATX_BASIC_STATS',
            'LOCK_SH', 'LOCK_EX', 'LOCK_NB', 'LOCK_UN', 'RLIMIT_FSIZE',
            'IPC_PRIVATE', 'IPC_CREAT', 'IPC_EXCL', 'SHM_HUGETLB', 'SHM_RDONLY', 'IPC_RMID', 'IPC_SET', 'IPC_STAT', 'IPC_INFO', 'SHM_INFO',
            'SHM_DEST', 'SHM_LOCKED', 'SEM_UNDO', 'IPC_NOWAIT', 'MADV_POPULATE_READ', 'MADV_POPULATE_WRITE',
            'PROT_NONE', 'MADV_NORMAL', 'MADV_RANDOM', 'MADV_SEQUENTIAL', 'MADV_WILLNEED', 'MADV_DONTNEED', 'MADV_REMOVE',
            'SHM_LOCK', 'SHM_UNLOCK', 'FALLOC_FL_KEEP_SIZE', 'FALLOC_FL_PUNCH_HOLE', 'RLIMIT_MEMLOCK', 'CLONE_NEWIPC', 'PasswdSize', 'GroupSize', 'IdOffset', 'DirentNameOffset',
            'FUTEX_WAIT', 'FUTEX_WAKE', 'ETIMEDOUT', 'IN_ATTRIB', 'IN_MOVED_FROM', 'IN_MOVED_TO', 'IN_CREATE', 'IN_DELETE', 'IN_DELETE_SELF',
            'IN_MOVE_SELF', 'IN_ONLYDIR', 'IN_DONT_FOLLOW', 'SYS_futex',
            'MFD_CLOEXEC', 'MFD_ALLOW_SEALING', 'MFD_HUGETLB', 'F_ADD_SEALS', 'F_GET_SEALS',
            'F_SEAL_SEAL', 'F_SEAL_SHRINK', 'F_SEAL_GROW', 'F_SEAL_WRITE', 'F_SEAL_FUTURE_WRITE')
        'ShmPS.Native.Statx' = @('S_IFMT', 'S_IFREG', 'S_IFDIR', 'S_IFLNK')
        'ShmPS.Native.Errno' = @(
            'EPERM', 'ENOENT', 'EINTR', 'EBADF', 'EAGAIN', 'EWOULDBLOCK', 'ENOMEM', 'EACCES', 'EEXIST', 'ENOTDIR',
            'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'EFBIG', 'ENOSPC', 'EROFS', 'ERANGE', 'ENAMETOOLONG', 'ELOOP',
            'EIDRM', 'EOVERFLOW', 'EOPNOTSUPP', 'EDQUOT', 'ESRCH', 'ENXIO', 'ENODEV', 'ETXTBSY', 'EFAULT', 'ENOSYS')
    }
    $ConstantCases = foreach ($class in $Constants.Keys) {
        foreach ($name in $Constants[$class]) { @{ Class = $class; Name = $name } }
    }
    $ClassCases = foreach ($class in $Constants.Keys) { @{ Class = $class; Names = $Constants[$class] } }
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    $assembly = [ShmPS.SharedMemory].Assembly
    function script:Get-NativeType([string] $Name) {
        $type = $assembly.GetType($Name)
        if (-not $type) { throw "$Name is not in $($assembly.Location)." }
        $type
    }
    # Integer constants (const or static readonly) of a native class, public or not, by name.
    function script:Get-ManagedConstant([string] $Class) {
        $values = @{}
        foreach ($f in (Get-NativeType $Class).GetFields([Reflection.BindingFlags]'Public,NonPublic,Static')) {
            if (($f.IsLiteral -or $f.IsInitOnly) -and $f.FieldType.IsPrimitive) { $values[$f.Name] = [long]$f.GetValue($null) }
        }
        $values
    }

    $layout = & (Get-NativeTool layout)
    if ($LASTEXITCODE) { throw "layout exited with $LASTEXITCODE" }
    $CSize = @{}
    $CField = @{}
    $CConst = @{}
    foreach ($line in $layout) {
        $f = -split $line
        switch ($f[0]) {
            'size' { $CSize[$f[1]] = [long]$f[2] }
            'field' { $CField["$($f[1]).$($f[2])"] = @{ Offset = [long]$f[3]; Size = [long]$f[4] } }
            'const' { $CConst[$f[1]] = [long]$f[2] }
        }
    }
}

Describe 'Native struct layouts agree with the C compiler' -Tag Native {
    It 'struct <CStruct> has the size of <Type>' -TestCases $StructCases {
        param($Type, $CStruct)
        $CSize.ContainsKey($CStruct) | Should -BeTrue -Because 'layout.c prints every struct'
        [Runtime.InteropServices.Marshal]::SizeOf([type](Get-NativeType $Type)) | Should -Be $CSize[$CStruct]
    }

    It 'declares no field of <Type> that is not checked here' -TestCases $StructCases {
        param($Type, $Fields)
        $declared = (Get-NativeType $Type).GetFields([Reflection.BindingFlags]'Public,NonPublic,Instance').Name
        $declared | Where-Object { $_ -notin $Fields } | Should -BeNullOrEmpty -Because 'a new field needs its C member in this test and in layout.c'
    }

    It 'declares no struct in ShmPS.Native that is not checked here' -TestCases $CheckedCases {
        param($Checked)
        $structs = [ShmPS.SharedMemory].Assembly.GetTypes() |
            Where-Object { $_.IsValueType -and -not $_.IsEnum -and $_.Namespace -eq 'ShmPS.Native' }
        $structs.FullName | Where-Object { $_ -notin $Checked } |
            Should -BeNullOrEmpty -Because 'every struct passed to libc needs its layout checked against layout.c'
    }

    It 'reads struct semid_ds into a buffer large enough, with its ipc_perm first' {
        # Libc.SemSetPermission: stackalloc byte[256], cast to IpcPerm* at offset 0.
        $CSize['semid_ds'] | Should -BeLessOrEqual 256
        $CField['semid_ds.sem_perm'].Offset | Should -Be 0
        $CField['semid_ds.sem_perm'].Size | Should -Be $CSize['ipc_perm']
    }

    It '<Type>.<Field> has the offset and width of <CStruct>.<Member>' -TestCases $FieldCases {
        param($Type, $CStruct, $Field, $Member)
        $c = $CField["$CStruct.$Member"]
        $c | Should -Not -BeNullOrEmpty -Because 'layout.c prints every member the module uses'
        # [type] picks the Marshal overloads that take a Type; an untyped argument binds to SizeOf(object).
        $type = [type](Get-NativeType $Type)
        [long][Runtime.InteropServices.Marshal]::OffsetOf($type, $Field) | Should -Be $c.Offset
        $managed = [Runtime.InteropServices.Marshal]::SizeOf([type]$type.GetField($Field, [Reflection.BindingFlags]'Public,NonPublic,Instance').FieldType)
        if ($CStruct -eq 'ipc_perm' -and $Member -eq 'mode') {
            # Documented in ShmidDs.cs: glibc's mode_t is 32 bits, ShmPS reads and writes its low 16 bits
            # (permission bits, SHM_DEST, SHM_LOCKED), which start at the member's offset on little-endian targets.
            [BitConverter]::IsLittleEndian | Should -BeTrue
            $managed | Should -BeLessOrEqual $c.Size
            $managed | Should -BeGreaterOrEqual 2
        }
        else {
            $managed | Should -Be $c.Size
        }
    }
}

Describe 'Native constants agree with the C headers' -Tag Native {
    It '<Class>.<Name> has the value of the C constant' -TestCases $ConstantCases {
        param($Class, $Name)
        $managed = Get-ManagedConstant $Class
        $managed.ContainsKey($Name) | Should -BeTrue -Because "$Class declares $Name"
        $CConst.ContainsKey($Name) | Should -BeTrue -Because 'layout.c prints it'
        $managed[$Name] | Should -Be $CConst[$Name]
    }

    It 'SharedMemorySeals.<Seal> is F_SEAL_<CName>: the seals are cast to and from fcntl''s bits' -TestCases @(
        @{ Seal = 'Seal'; CName = 'SEAL' }, @{ Seal = 'Shrink'; CName = 'SHRINK' }, @{ Seal = 'Grow'; CName = 'GROW' }
        @{ Seal = 'Write'; CName = 'WRITE' }, @{ Seal = 'FutureWrite'; CName = 'FUTURE_WRITE' }) {
        param($Seal, $CName)
        [long][ShmPS.SharedMemorySeals]::$Seal | Should -Be $CConst["F_SEAL_$CName"]
    }

    It 'Libc.IdOffset is also offsetof(struct group, gr_gid)' {
        (Get-ManagedConstant 'ShmPS.Native.Libc')['IdOffset'] | Should -Be $CConst['IdOffset.group']
    }

    It 'declares no integer constant in <Class> that is not checked here' -TestCases $ClassCases {
        param($Class, $Names)
        (Get-ManagedConstant $Class).Keys | Where-Object { $_ -notin $Names } |
            Should -BeNullOrEmpty -Because 'every constant that mirrors a C value must be checked against layout.c'
    }
}
