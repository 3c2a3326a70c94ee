/*
 * Another process taking the same lock as Lock-SharedMemory, for the lock tests.
 *
 * POSIX and File objects: flock(2) on the object's file (LOCK_EX, or LOCK_SH for a shared lock).
 * System V segments: the semaphore set with the segment's key, as about_ShmPS documents it.
 * Semaphore 0 is a binary semaphore, 1 = free: exclusive = {#0 -1 SEM_UNDO, #0 wait-for-zero}
 * (the guard refuses a semaphore above 1), release = {#0 wait-for-zero, #0 +1 SEM_UNDO}.
 * In ShmPS's own two-semaphore sets readers hold #0 at 0 together and #1 is 1 + their number:
 * the first reader takes #0 and sets #1 to 2, others add 1 to #1 (SEM_UNDO); the last reader sets #1
 * to 0 and gives #0 back; #1 = 1 is a group whose last reader died, repaired by the next locker.
 * On a one-semaphore set a shared lock is the exclusive one.
 * "binsem" is a program that knows only the convention, as TLPI 47.5 and 47.9 write it: create the
 * one-semaphore set with IPC_EXCL and initialise it with semop(+1), or wait until sem_otime is set;
 * take = semop(#0 -1, SEM_UNDO), release = semop(#0 +1, SEM_UNDO).
 *
 *   lock inc  KIND ID SLOT COUNT lock|nolock  add 1 to the int64 at offset 0, COUNT times, each time
 *                                             read, yield, write (so that concurrent writers lose
 *                                             updates unless the lock is taken around it)
 *   lock hold KIND ID ex|sh                   take the lock, print "locked", sleep until killed (60 s at most)
 *   lock try  KIND ID ex|sh                   take the lock without waiting: exit 0 (released again), 1 if busy
 *   lock values KEY                           print the values of the set with KEY, then its sem_otime
 *   lock semset KEY NSEMS [VALUE]             create a set of another program with KEY and no semop
 *                                             (sem_otime stays 0); VALUE: SETVAL every semaphore to it
 *   lock semop KEY NUM OP                     one semop without SEM_UNDO (initialises a set from semset)
 *   lock binsem hold|try KEY                  the convention only: create (one semaphore) or open the
 *                                             set, take #0 (hold: print "locked", sleep; try: IPC_NOWAIT)
 *
 * KIND is posix (ID = /name), file (ID = path) or sysv (ID = key, such as 0x5a5a0001; the set must
 * exist, made by ShmPS or another program, with 1 or 2 semaphores).
 * Layout used by inc: counter @0, start flag @8, ready flag of participant SLOT @16 + 8 * SLOT.
 * A participant sets its ready flag and waits for the start flag, so that all of them run at once.
 * Exit codes: 0 done, 1 busy (try), 2 usage, 3 system call failed, 4 never started or initialised.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

union semun_arg {
    int val;
    struct semid_ds *buf;
};

static int is_sysv;
static int fd = -1;
static key_t key;
static int semid = -1;
static int nsems;
static int held_shared;

static void die(const char *what)
{
    perror(what);
    exit(3);
}

static void usage(void)
{
    fprintf(stderr, "usage: lock inc|hold|try KIND ID ... | values KEY | semset KEY NSEMS [VALUE] | semop KEY NUM OP | binsem hold|try KEY\n");
    exit(2);
}

static key_t parse_key(const char *text)
{
    return (key_t)(uint32_t)strtoul(text, NULL, 0);
}

/* flock needs only a descriptor: read-only unless the data is written (inc). */
static void open_object(const char *kind, const char *id, int writable)
{
    int flags = writable ? O_RDWR : O_RDONLY;
    if (strcmp(kind, "posix") == 0) {
        fd = shm_open(id, flags, 0);
        if (fd < 0) die("shm_open");
    } else if (strcmp(kind, "file") == 0) {
        fd = open(id, flags);
        if (fd < 0) die("open");
    } else if (strcmp(kind, "sysv") == 0) {
        is_sysv = 1;
        key = parse_key(id);
        /* The set exists once ShmPS has locked the segment; it is never created here. */
        semid = semget(key, 0, 0);
        if (semid < 0) die("semget");
        nsems = semctl(semid, 1, GETVAL) < 0 ? 1 : 2;
    } else {
        usage();
    }
}

/* Returns 1 when the lock is taken, 0 when busy (only without waiting). */
static int acquire(int shared, int wait)
{
    if (!is_sysv) {
        int rc;
        do rc = flock(fd, (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB));
        while (rc < 0 && errno == EINTR);
        if (rc == 0) return 1;
        if (errno == EWOULDBLOCK) return 0;
        die("flock");
    }
    short nw = wait ? 0 : IPC_NOWAIT;
    struct sembuf exclusive[2] = { { 0, -1, SEM_UNDO | nw }, { 0, 0, nw } };
    struct sembuf repair[4] = { { 1, -1, IPC_NOWAIT }, { 1, 0, IPC_NOWAIT }, { 0, 0, IPC_NOWAIT }, { 0, 1, IPC_NOWAIT } };
    struct sembuf join[4] = { { 0, 0, IPC_NOWAIT }, { 1, -1, IPC_NOWAIT }, { 1, 1, IPC_NOWAIT }, { 1, 1, SEM_UNDO | IPC_NOWAIT } };
    struct sembuf first[5] = { { 1, 0, IPC_NOWAIT }, { 0, -1, IPC_NOWAIT }, { 0, 0, IPC_NOWAIT }, { 1, 1, IPC_NOWAIT }, { 1, 1, SEM_UNDO | IPC_NOWAIT } };
    held_shared = shared && nsems == 2;
    for (;;) {
        int rc;
        if (held_shared) {
            rc = semop(semid, join, 4);
            if (rc < 0 && errno == EAGAIN) rc = semop(semid, first, 5);
        } else {
            if (nsems == 2) semop(semid, repair, 4);
            rc = semop(semid, exclusive, 2);
        }
        if (rc == 0) return 1;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) die("semop");
        if (!wait) return 0;
        usleep(1000); /* a reader waits by polling: neither join nor first was possible */
    }
}

static void release(void)
{
    if (!is_sysv) {
        if (flock(fd, LOCK_UN) < 0) die("flock");
        return;
    }
    struct sembuf exclusive[2] = { { 0, 0, IPC_NOWAIT }, { 0, 1, SEM_UNDO | IPC_NOWAIT } };
    struct sembuf leave[3] = { { 1, -3, IPC_NOWAIT }, { 1, 3, IPC_NOWAIT }, { 1, -1, SEM_UNDO | IPC_NOWAIT } };
    struct sembuf last[5] = { { 1, -1, SEM_UNDO | IPC_NOWAIT }, { 1, -1, IPC_NOWAIT }, { 1, 0, IPC_NOWAIT }, { 0, 0, IPC_NOWAIT }, { 0, 1, IPC_NOWAIT } };
    if (!held_shared) {
        if (semop(semid, exclusive, 2) < 0) die("semop");
        return;
    }
    for (;;) {
        if (semop(semid, leave, 3) == 0 || semop(semid, last, 5) == 0) return;
        if (errno != EAGAIN) die("semop");
    }
}

static void hold_forever(void)
{
    printf("locked\n");
    fflush(stdout);
    alarm(60);  /* never outlive a test that forgot this process: SIGALRM ends it */
    for (;;) pause();
}

/* TLPI 47.5: the creator initialises with a semop so that sem_otime shows it; the others wait for that. */
static int binsem(const char *verb, key_t k)
{
    int id = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (id >= 0) {
        struct sembuf init = { 0, 1, 0 };
        if (semop(id, &init, 1) < 0) die("semop");
    } else {
        if (errno != EEXIST) die("semget");
        id = semget(k, 1, 0);
        if (id < 0) die("semget");
        for (int tries = 0;; tries++) {
            struct semid_ds ds;
            union semun_arg arg = { .buf = &ds };
            if (semctl(id, 0, IPC_STAT, arg) < 0) die("semctl");
            if (ds.sem_otime != 0) break;
            if (tries > 1000) {
                fprintf(stderr, "never initialised\n");
                return 4;
            }
            usleep(10000);
        }
    }
    int hold = strcmp(verb, "hold") == 0;
    struct sembuf take = { 0, -1, SEM_UNDO | (hold ? 0 : IPC_NOWAIT) };
    int rc;
    do rc = semop(id, &take, 1);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        if (errno == EAGAIN) return 1;
        die("semop");
    }
    if (hold) hold_forever();
    struct sembuf give = { 0, 1, SEM_UNDO };
    if (semop(id, &give, 1) < 0) die("semop");
    return 0;
}

static volatile int64_t *map_object(const char *id)
{
    if (is_sysv) {
        int shmid = shmget(key, 0, 0);
        if (shmid < 0) die("shmget");
        void *p = shmat(shmid, NULL, 0);
        if (p == (void *)-1) die("shmat");
        return p;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat");
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    return p;
}

static void spin(int n)
{
    for (volatile int i = 0; i < n; i++) {
    }
}

static int increment(const char *id, int slot, long count, int use_lock)
{
    volatile int64_t *counter = map_object(id);
    volatile int64_t *start = counter + 1;
    counter[2 + slot] = 1;
    for (int waited = 0; !*start; waited++) {
        if (waited > 60000) {
            fprintf(stderr, "never started\n");
            return 4;
        }
        usleep(1000);
    }
    for (long n = 0; n < count; n++) {
        if (use_lock) acquire(0, 1);
        int64_t value = *counter;
        sched_yield();  /* the window in which another writer's update is lost */
        spin(500);
        *counter = value + 1;
        if (use_lock) release();
        usleep(50);     /* time outside the lock, so that waiters (PowerShell polls) get their turn */
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "values") == 0) {
        int id = semget(parse_key(argv[2]), 0, 0);
        if (id < 0) die("semget");
        struct semid_ds ds;
        union semun_arg arg = { .buf = &ds };
        if (semctl(id, 0, IPC_STAT, arg) < 0) die("semctl");
        for (unsigned long n = 0; n < ds.sem_nsems; n++) {
            int v = semctl(id, (int)n, GETVAL);
            if (v < 0) die("semctl");
            printf("%d ", v);
        }
        printf("%lld\n", (long long)ds.sem_otime);
        return 0;
    }
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "semset") == 0) {
        int count = atoi(argv[3]);
        int id = semget(parse_key(argv[2]), count, IPC_CREAT | IPC_EXCL | 0600);
        if (id < 0) die("semget");
        for (int n = 0; argc == 5 && n < count; n++) {
            union semun_arg arg = { .val = atoi(argv[4]) };
            if (semctl(id, n, SETVAL, arg) < 0) die("semctl");
        }
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "semop") == 0) {
        int id = semget(parse_key(argv[2]), 0, 0);
        if (id < 0) die("semget");
        struct sembuf op = { (unsigned short)atoi(argv[3]), (short)atoi(argv[4]), 0 };
        if (semop(id, &op, 1) < 0) die("semop");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "binsem") == 0) {
        return binsem(argv[2], parse_key(argv[3]));
    }
    if (argc < 5) usage();
    const char *verb = argv[1];
    open_object(argv[2], argv[3], strcmp(verb, "inc") == 0);
    if (strcmp(verb, "inc") == 0 && argc == 7) {
        return increment(argv[3], atoi(argv[4]), atol(argv[5]), strcmp(argv[6], "lock") == 0);
    }
    int shared = strcmp(argv[4], "sh") == 0;
    if (strcmp(verb, "hold") == 0) {
        acquire(shared, 1);
        hold_forever();
    }
    if (strcmp(verb, "try") == 0) {
        if (!acquire(shared, 0)) return 1;
        release();
        return 0;
    }
    usage();
    return 2;
}
