/*
 * Another process taking the same lock as Lock-SharedMemory, for the lock tests.
 *
 * POSIX and File objects: flock(2) on the object's file (LOCK_EX, or LOCK_SH for a shared lock).
 * System V segments: the semaphore set with the segment's key and 2 semaphores, #0 counting exclusive
 * holders and #1 shared holders. Exclusive = one semop {#0 wait-for-zero, #1 wait-for-zero, #0 +1},
 * shared = {#0 wait-for-zero, #1 +1}, release = -1 on the same semaphore; SEM_UNDO on every change,
 * so the kernel releases the lock if this process dies.
 *
 *   lock inc  KIND ID SLOT COUNT lock|nolock  add 1 to the int64 at offset 0, COUNT times, each time
 *                                             read, yield, write (so that concurrent writers lose
 *                                             updates unless the lock is taken around it)
 *   lock hold KIND ID ex|sh                   take the lock, print "locked", sleep until killed (60 s at most)
 *   lock try  KIND ID ex|sh                   take the lock without waiting: exit 0 (released again), 1 if busy
 *   lock values KEY                           print the two semaphore values of the set with KEY
 *   lock semset KEY NSEMS                     create a semaphore set of another program with KEY
 *
 * KIND is posix (ID = /name), file (ID = path) or sysv (ID = key, such as 0x5a5a0001).
 * Layout used by inc: counter @0, start flag @8, ready flag of participant SLOT @16 + 8 * SLOT.
 * A participant sets its ready flag and waits for the start flag, so that all of them run at once.
 * Exit codes: 0 done, 1 busy (try), 2 usage, 3 system call failed, 4 never started.
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

static int is_sysv;
static int fd = -1;
static key_t key;
static int semid = -1;

static void die(const char *what)
{
    perror(what);
    exit(3);
}

static void usage(void)
{
    fprintf(stderr, "usage: lock inc|hold|try KIND ID ... | lock values KEY\n");
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
        semid = semget(key, 2, 0);
        if (semid < 0) die("semget");
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
    short nowait = wait ? 0 : IPC_NOWAIT;
    struct sembuf exclusive[3] = { { 0, 0, nowait }, { 1, 0, nowait }, { 0, 1, SEM_UNDO | nowait } };
    struct sembuf shared_ops[2] = { { 0, 0, nowait }, { 1, 1, SEM_UNDO | nowait } };
    int rc;
    do rc = shared ? semop(semid, shared_ops, 2) : semop(semid, exclusive, 3);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) return 1;
    if (errno == EAGAIN) return 0;
    die("semop");
    return 0;
}

static void release(int shared)
{
    if (!is_sysv) {
        if (flock(fd, LOCK_UN) < 0) die("flock");
        return;
    }
    struct sembuf op = { shared ? 1 : 0, -1, SEM_UNDO };
    if (semop(semid, &op, 1) < 0) die("semop");
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
        if (use_lock) release(0);
        usleep(50);     /* time outside the lock, so that waiters (PowerShell polls) get their turn */
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "values") == 0) {
        int id = semget(parse_key(argv[2]), 2, 0);
        if (id < 0) die("semget");
        int v0 = semctl(id, 0, GETVAL), v1 = semctl(id, 1, GETVAL);
        if (v0 < 0 || v1 < 0) die("semctl");
        printf("%d %d\n", v0, v1);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "semset") == 0) {
        if (semget(parse_key(argv[2]), atoi(argv[3]), IPC_CREAT | IPC_EXCL | 0600) < 0) die("semget");
        return 0;
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
        printf("locked\n");
        fflush(stdout);
        alarm(60);  /* never outlive a test that forgot this process: SIGALRM ends it */
        for (;;) pause();
    }
    if (strcmp(verb, "try") == 0) {
        if (!acquire(shared, 0)) return 1;
        release(shared);
        return 0;
    }
    usage();
    return 2;
}
