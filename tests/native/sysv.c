/*
 * Another process using a System V segment, for tests/SystemV.Tests.ps1. Every command names the
 * segment by id (shmid), as a program given an id by ipcs would.
 *
 *   sysv attach ID ro|rw            attach and detach; prints "attached"
 *   sysv read ID OFFSET COUNT       attach read-only, print COUNT bytes at OFFSET as hex
 *   sysv write ID OFFSET HEX        attach read-write, write the bytes given as hex at OFFSET
 *   sysv hold ID                    attach read-write, touch every page (keeping the data), print
 *                                   "ready PID" and sleep, attached, until killed
 *   sysv lock ID | unlock ID        shmctl SHM_LOCK / SHM_UNLOCK (needs CAP_IPC_LOCK)
 *
 * A failing call prints "CALL: ERRNO-NAME" (e.g. "shmat: EACCES") and exits with 2.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

static const char *errno_name(int e)
{
    switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EIDRM: return "EIDRM";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    default: return strerror(e);
    }
}

static int fail(const char *call)
{
    printf("%s: %s\n", call, errno_name(errno));
    return 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: sysv hugetlb-noreserve KEY SIZE | attach ID ro|rw | read ID OFFSET COUNT | write ID OFFSET HEX | hold ID | lock ID | unlock ID\n");
    return 64;
}

int main(int argc, char **argv)
{
    if (argc < 3) return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "hugetlb-noreserve") == 0 && argc == 4) {
        /* A segment in huge pages without a reservation: with no huge page free, touching it faults (SIGBUS). */
        int hid = shmget((key_t)strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), 0666 | IPC_CREAT | IPC_EXCL | SHM_HUGETLB | SHM_NORESERVE);
        if (hid == -1) return fail("shmget");
        printf("%d\n", hid);
        return 0;
    }
    int id = atoi(argv[2]);

    if (strcmp(cmd, "attach") == 0 && argc == 4) {
        void *p = shmat(id, NULL, strcmp(argv[3], "ro") == 0 ? SHM_RDONLY : 0);
        if (p == (void *)-1) return fail("shmat");
        shmdt(p);
        printf("attached\n");
        return 0;
    }
    if (strcmp(cmd, "read") == 0 && argc == 5) {
        long offset = atol(argv[3]), count = atol(argv[4]);
        unsigned char *p = shmat(id, NULL, SHM_RDONLY);
        if (p == (void *)-1) return fail("shmat");
        for (long i = 0; i < count; i++) printf("%02x", p[offset + i]);
        printf("\n");
        shmdt(p);
        return 0;
    }
    if (strcmp(cmd, "write") == 0 && argc == 5) {
        long offset = atol(argv[3]);
        const char *hex = argv[4];
        unsigned char *p = shmat(id, NULL, 0);
        if (p == (void *)-1) return fail("shmat");
        for (size_t i = 0; hex[2 * i] && hex[2 * i + 1]; i++) {
            unsigned int byte;
            sscanf(hex + 2 * i, "%2x", &byte);
            p[offset + i] = (unsigned char)byte;
        }
        shmdt(p);
        printf("written\n");
        return 0;
    }
    if (strcmp(cmd, "hold") == 0 && argc == 3) {
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) == -1) return fail("shmctl");
        volatile unsigned char *p = shmat(id, NULL, 0);
        if (p == (void *)-1) return fail("shmat");
        long page = sysconf(_SC_PAGESIZE);
        for (size_t i = 0; i < ds.shm_segsz; i += page) p[i] = p[i]; /* resident, data unchanged */
        printf("ready %d\n", (int)getpid());
        fflush(stdout);
        for (;;) pause();
    }
    if ((strcmp(cmd, "lock") == 0 || strcmp(cmd, "unlock") == 0) && argc == 3) {
        if (shmctl(id, strcmp(cmd, "lock") == 0 ? SHM_LOCK : SHM_UNLOCK, NULL) == -1) return fail("shmctl");
        printf("%sed\n", cmd);
        return 0;
    }
    return usage();
}
