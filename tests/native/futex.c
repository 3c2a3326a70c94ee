/*
 * Another process coordinating with ShmPS through futex(2) and atomics on a word of a shared mapping,
 * for tests/Wait-SharedMemory.Tests.ps1, tests/Atomics.Tests.ps1 and the Coordination bench.
 *
 *   futex file PATH CMD ...   maps the file (a POSIX object is /dev/shm/NAME) MAP_SHARED read-write
 *   futex sysv ID CMD ...     attaches the System V segment (shmat)
 *
 * CMD:
 *   wake OFFSET VALUE            stores the int32 VALUE at OFFSET (seq_cst), FUTEX_WAKEs every waiter on
 *                                that word, prints "woke N"
 *   store OFFSET VALUE           the same store without a wake (a writer that does not wake)
 *   wait OFFSET TIMEOUT_MS       prints "ready", sleeps in FUTEX_WAIT while the word holds what it held,
 *                                prints "changed VALUE" or "timeout"
 *   add OFFSET N                 N times __atomic_add_fetch(int64 at OFFSET, 1); prints "done"
 *   wakeloop OFFSET COUNT MS     COUNT times, every MS ms: the CLOCK_MONOTONIC time in ns to OFFSET+8
 *                                (int64), +1 to the int32 at OFFSET, FUTEX_WAKE; prints "done"
 *   waitloop OFFSET COUNT        prints "ready", then COUNT times waits (FUTEX_WAIT) for the word to
 *                                change and measures now - the time at OFFSET+8; prints the median in µs
 *
 * A failing call prints "CALL: ERRNO-NAME" and exits with 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *call)
{
    printf("%s: %s\n", call, strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
    return 2;
}

static long futex(int32_t *word, int op, int32_t value, const struct timespec *timeout)
{
    /* Shared: no FUTEX_PRIVATE_FLAG, so processes mapping the same page meet on the same futex. */
    return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 5) {
        fprintf(stderr, "usage: futex file PATH|sysv ID wake|store|wait|add|wakeloop|waitloop OFFSET ...\n");
        return 64;
    }
    unsigned char *base;
    if (strcmp(argv[1], "file") == 0) {
        int fd = open(argv[2], O_RDWR | O_CLOEXEC);
        if (fd < 0) return fail("open");
        struct stat st;
        if (fstat(fd, &st) != 0) return fail("fstat");
        base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) return fail("mmap");
    } else {
        base = shmat(atoi(argv[2]), NULL, 0);
        if (base == (void *)-1) return fail("shmat");
    }
    const char *cmd = argv[3];
    long offset = atol(argv[4]);
    int32_t *word = (int32_t *)(base + offset);
    if (strcmp(cmd, "wake") == 0 || strcmp(cmd, "store") == 0) {
        __atomic_store_n(word, (int32_t)atol(argv[5]), __ATOMIC_SEQ_CST);
        if (cmd[1] == 'a') {
            long n = futex(word, FUTEX_WAKE, INT32_MAX, NULL);
            if (n < 0) return fail("futex");
            printf("woke %ld\n", n);
        } else {
            printf("stored\n");
        }
    } else if (strcmp(cmd, "wait") == 0) {
        long ms = atol(argv[5]);
        int32_t seen = __atomic_load_n(word, __ATOMIC_SEQ_CST);
        printf("ready\n");
        int64_t end = now_ns() + ms * 1000000;
        while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == seen) {
            int64_t left = end - now_ns();
            if (left <= 0) { printf("timeout\n"); return 0; }
            struct timespec ts = { left / 1000000000, left % 1000000000 };
            if (futex(word, FUTEX_WAIT, seen, &ts) < 0) {
                if (errno == ETIMEDOUT) { printf("timeout\n"); return 0; }
                if (errno != EAGAIN && errno != EINTR) return fail("futex");
            }
        }
        printf("changed %d\n", __atomic_load_n(word, __ATOMIC_SEQ_CST));
    } else if (strcmp(cmd, "add") == 0) {
        long n = atol(argv[5]);
        for (long i = 0; i < n; i++)
            __atomic_add_fetch((int64_t *)word, 1, __ATOMIC_SEQ_CST);
        printf("done\n");
    } else if (strcmp(cmd, "wakeloop") == 0) {
        long count = atol(argv[5]), ms = atol(argv[6]);
        for (long i = 0; i < count; i++) {
            usleep(ms * 1000);
            __atomic_store_n((int64_t *)(base + offset + 8), now_ns(), __ATOMIC_SEQ_CST);
            __atomic_add_fetch(word, 1, __ATOMIC_SEQ_CST);
            if (futex(word, FUTEX_WAKE, INT32_MAX, NULL) < 0) return fail("futex");
        }
        printf("done\n");
    } else if (strcmp(cmd, "waitloop") == 0) {
        long count = atol(argv[5]);
        int64_t *latency = calloc(count, sizeof *latency);
        printf("ready\n");
        for (long i = 0; i < count; i++) {
            int32_t seen = __atomic_load_n(word, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == seen)
                futex(word, FUTEX_WAIT, seen, NULL);
            latency[i] = now_ns() - __atomic_load_n((int64_t *)(base + offset + 8), __ATOMIC_SEQ_CST);
        }
        qsort(latency, count, sizeof *latency, compare);
        printf("%.1f\n", latency[count / 2] / 1000.0);
    } else {
        fprintf(stderr, "unknown command %s\n", cmd);
        return 64;
    }
    return 0;
}
