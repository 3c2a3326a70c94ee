/*
 * Prints the layouts and constants that src/ShmPS/Native declares by hand, as the C compiler sees
 * them, for tests/Native.Tests.ps1 to compare with Marshal.SizeOf/OffsetOf and the managed values.
 * Output, one item per line:
 *   size STRUCT BYTES
 *   field STRUCT MEMBER OFFSET BYTES
 *   const NAME VALUE      (constants of ShmPS.Native.Libc, Statx and Errno, named as in C#)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SIZE(s) printf("size %s %zu\n", #s, sizeof(struct s))
#define FIELD(s, m) printf("field %s %s %zu %zu\n", #s, #m, offsetof(struct s, m), sizeof(((struct s *)0)->m))
#define CONST(name) printf("const %s %lld\n", #name, (long long)(name))
#define CONST_AS(name, value) printf("const %s %lld\n", name, (long long)(value))

int main(void)
{
    SIZE(ipc_perm);
    FIELD(ipc_perm, __key);
    FIELD(ipc_perm, uid);
    FIELD(ipc_perm, gid);
    FIELD(ipc_perm, cuid);
    FIELD(ipc_perm, cgid);
    FIELD(ipc_perm, mode);
    FIELD(ipc_perm, __seq);

    SIZE(shmid_ds);
    FIELD(shmid_ds, shm_perm);
    FIELD(shmid_ds, shm_segsz);
    FIELD(shmid_ds, shm_atime);
    FIELD(shmid_ds, shm_dtime);
    FIELD(shmid_ds, shm_ctime);
    FIELD(shmid_ds, shm_cpid);
    FIELD(shmid_ds, shm_lpid);
    FIELD(shmid_ds, shm_nattch);

    SIZE(shminfo);
    FIELD(shminfo, shmmax);
    FIELD(shminfo, shmmin);
    FIELD(shminfo, shmmni);
    FIELD(shminfo, shmall);

    SIZE(shm_info);
    FIELD(shm_info, used_ids);
    FIELD(shm_info, shm_tot);
    FIELD(shm_info, shm_rss);
    FIELD(shm_info, shm_swp);

    SIZE(statvfs);
    FIELD(statvfs, f_bsize);
    FIELD(statvfs, f_frsize);
    FIELD(statvfs, f_blocks);
    FIELD(statvfs, f_bfree);
    FIELD(statvfs, f_bavail);
    FIELD(statvfs, f_files);
    FIELD(statvfs, f_ffree);

    SIZE(statx);
    FIELD(statx, stx_mask);
    FIELD(statx, stx_blksize);
    FIELD(statx, stx_nlink);
    FIELD(statx, stx_uid);
    FIELD(statx, stx_gid);
    FIELD(statx, stx_mode);
    FIELD(statx, stx_ino);
    FIELD(statx, stx_size);
    FIELD(statx, stx_blocks);
    FIELD(statx, stx_atime);
    FIELD(statx, stx_ctime);
    FIELD(statx, stx_mtime);
    FIELD(statx, stx_dev_major);
    FIELD(statx, stx_dev_minor);

    SIZE(statx_timestamp);
    FIELD(statx_timestamp, tv_sec);
    FIELD(statx_timestamp, tv_nsec);
    FIELD(statx_timestamp, __reserved);

    SIZE(sembuf);
    FIELD(sembuf, sem_num);
    FIELD(sembuf, sem_op);
    FIELD(sembuf, sem_flg);

    SIZE(pollfd);
    FIELD(pollfd, fd);
    FIELD(pollfd, events);
    FIELD(pollfd, revents);

    SIZE(iovec);
    FIELD(iovec, iov_base);
    FIELD(iovec, iov_len);

    SIZE(timespec);
    FIELD(timespec, tv_sec);
    FIELD(timespec, tv_nsec);

    /* Libc.SemSetPermission reads struct semid_ds into a 256-byte buffer and its ipc_perm at offset 0. */
    SIZE(semid_ds);
    FIELD(semid_ds, sem_perm);

    /* ShmPS.Native.Libc */
    CONST(O_RDONLY);
    CONST(O_DIRECTORY);
    CONST(PROT_READ);
    CONST(PROT_WRITE);
    CONST(MAP_SHARED);
    CONST(O_TMPFILE);
    CONST(AT_SYMLINK_FOLLOW);
    CONST(POLLIN);
    CONST(O_RDWR);
    CONST(O_WRONLY);
    CONST(O_CREAT);
    CONST(O_EXCL);
    CONST(O_NONBLOCK);
    CONST(O_CLOEXEC);
    CONST(O_NOFOLLOW);
    CONST(SEEK_END);
    CONST(SEEK_DATA);
    CONST(SEEK_HOLE);
    CONST(AT_FDCWD);
    CONST(AT_SYMLINK_NOFOLLOW);
    CONST(AT_EMPTY_PATH);
    CONST(STATX_BASIC_STATS);
    CONST(LOCK_SH);
    CONST(LOCK_EX);
    CONST(LOCK_NB);
    CONST(LOCK_UN);
    CONST(FUTEX_WAIT);
    CONST(FUTEX_WAKE);
    CONST(ETIMEDOUT);
    CONST(IN_ATTRIB);
    CONST(IN_MOVED_FROM);
    CONST(IN_MOVED_TO);
    CONST(IN_CREATE);
    CONST(IN_DELETE);
    CONST(IN_DELETE_SELF);
    CONST(IN_MOVE_SELF);
    CONST(IN_ONLYDIR);
    CONST(IN_DONT_FOLLOW);
    CONST(SYS_futex);
    CONST(MFD_CLOEXEC);
    CONST(MFD_ALLOW_SEALING);
    CONST(MFD_HUGETLB);
    CONST(F_ADD_SEALS);
    CONST(F_GET_SEALS);
    CONST(F_SEAL_SEAL);
    CONST(F_SEAL_SHRINK);
    CONST(F_SEAL_GROW);
    CONST(F_SEAL_WRITE);
    CONST(F_SEAL_FUTURE_WRITE);
    CONST(RLIMIT_FSIZE);
    CONST(IPC_PRIVATE);
    CONST(IPC_CREAT);
    CONST(IPC_EXCL);
    CONST(SHM_HUGETLB);
    CONST(SHM_RDONLY);
    CONST(IPC_RMID);
    CONST(IPC_SET);
    CONST(IPC_STAT);
    CONST(IPC_INFO);
    CONST(SHM_INFO);
    CONST(SHM_DEST);
    CONST(SHM_LOCKED);
    CONST(SEM_UNDO);
    CONST(IPC_NOWAIT);
    CONST(MADV_POPULATE_READ);
    CONST(MADV_POPULATE_WRITE);
    CONST(PROT_NONE);
    CONST(MADV_NORMAL);
    CONST(MADV_RANDOM);
    CONST(MADV_SEQUENTIAL);
    CONST(MADV_WILLNEED);
    CONST(MADV_DONTNEED);
    CONST(MADV_REMOVE);
    CONST(SHM_LOCK);
    CONST(SHM_UNLOCK);
    CONST(FALLOC_FL_KEEP_SIZE);
    CONST(FALLOC_FL_PUNCH_HOLE);
    CONST(RLIMIT_MEMLOCK);
    CONST(CLONE_NEWIPC);
    /* Libc reads struct passwd and struct group through their sizes and the id offset. */
    CONST_AS("PasswdSize", sizeof(struct passwd));
    CONST_AS("GroupSize", sizeof(struct group));
    CONST_AS("IdOffset", offsetof(struct passwd, pw_uid));
    CONST_AS("IdOffset.group", offsetof(struct group, gr_gid));
    /* Libc.ReadDirectory reads d_name of struct dirent at this offset. */
    CONST_AS("DirentNameOffset", offsetof(struct dirent, d_name));

    /* ShmPS.Native.Statx */
    CONST(S_IFMT);
    CONST(S_IFREG);
    CONST(S_IFDIR);
    CONST(S_IFLNK);

    /* ShmPS.Native.Errno */
    CONST(EPERM);
    CONST(ENOENT);
    CONST(EINTR);
    CONST(EBADF);
    CONST(EAGAIN);
    CONST(EWOULDBLOCK);
    CONST(ENOMEM);
    CONST(EACCES);
    CONST(EEXIST);
    CONST(ENOTDIR);
    CONST(EISDIR);
    CONST(EINVAL);
    CONST(ENFILE);
    CONST(EMFILE);
    CONST(EFBIG);
    CONST(ENOSPC);
    CONST(EROFS);
    CONST(ERANGE);
    CONST(ENAMETOOLONG);
    CONST(ELOOP);
    CONST(EIDRM);
    CONST(EOVERFLOW);
    CONST(EOPNOTSUPP);
    CONST(EDQUOT);
    CONST(ESRCH);
    CONST(ENXIO);
    CONST(ENODEV);
    CONST(ETXTBSY);
    CONST(EFAULT);
    CONST(ENOSYS);
    return 0;
}
