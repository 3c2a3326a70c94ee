/* The C side of the bench's one-shot rows: one write and one read of a whole object, each made every
 * way the kernel offers for one transfer, timed inside the process (its start is not counted).
 *   oneshot posix NAME SIZE | oneshot file PATH SIZE | oneshot sysv KEY SIZE
 * Prints "way wall-ms cpu-ms" lines (CPU: this thread's, user and system, page faults included):
 * write.pwrite, write.populate (mmap MAP_POPULATE + memcpy + munmap), read.pread, read.populate; for
 * System V, which has no pwrite, write.populate-write and write.populate-read (shmat + madvise
 * MADV_POPULATE_WRITE or _READ + memcpy + shmdt), read.populate-read and read.fault (shmat read-only +
 * memcpy, populated first or faulting page by page). Reads go into a fresh buffer (malloc: a new
 * anonymous mapping at this size), as Read-SharedMemory returns a new array: faulted in by the copy,
 * or given its pages in one call first (read.populate-buffer-*, MADV_POPULATE_WRITE); and then into a
 * buffer already touched (read.touched-*), as a managed heap may hand out memory it has used before.
 * The object must exist and be SIZE bytes long. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of this thread, user and system (page faults and the kernel's copy included): less
 * sensitive than wall time to other processes on a busy machine. */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_start;

/* Starts timing one way; report() prints its wall and CPU milliseconds. */
static double start(void)
{
    cpu_start = cpu_ms();
    return now_ms();
}

static void report(const char *way, double wall_start, double wall_end)
{
    printf("%s %.3f %.3f\n", way, wall_end - wall_start, cpu_ms() - cpu_start);
}

/* The same, for a read into a fresh buffer: timed up to the copy's end, before the buffer is freed. */
struct lap { double wall, cpu; };

static struct lap stop(double wall_start)
{
    struct lap l = { now_ms() - wall_start, cpu_ms() - cpu_start };
    return l;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static volatile unsigned char sink; /* keeps the reads from being optimised away */

static void use(const unsigned char *buffer, size_t size)
{
    sink ^= buffer[0] ^ buffer[size / 2] ^ buffer[size - 1];
}

static void descriptor(int fd, size_t size, const unsigned char *source)
{
    double t = start();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fd, source + done, size - done, (off_t)done);
        if (n <= 0) die("pwrite");
        done += (size_t)n;
    }
    report("write.pwrite", t, now_ms());

    t = start();
    unsigned char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) die("mmap");
    memcpy(map, source, size);
    munmap(map, size);
    report("write.populate", t, now_ms());

    t = start();
    unsigned char *fresh = malloc(size);
    if (!fresh) die("malloc");
    for (size_t done = 0; done < size;) {
        ssize_t n = pread(fd, fresh + done, size - done, (off_t)done);
        if (n <= 0) die("pread");
        done += (size_t)n;
    }
    struct lap lap = stop(t);
    use(fresh, size);
    free(fresh);
    printf("read.pread %.3f %.3f\n", lap.wall, lap.cpu);

    t = start();
    fresh = malloc(size);
    if (!fresh) die("malloc");
    map = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) die("mmap");
    memcpy(fresh, map, size);
    munmap(map, size);
    lap = stop(t);
    use(fresh, size);
    free(fresh);
    printf("read.populate %.3f %.3f\n", lap.wall, lap.cpu);

    /* A fresh buffer given its pages in one call first (MADV_POPULATE_WRITE), then filled. */
    for (int way = 0; way < 2; way++) {
        t = start();
        fresh = malloc(size);
        if (!fresh) die("malloc");
        madvise(fresh, size, MADV_POPULATE_WRITE); /* malloc's own mapping at this size: page-aligned but for a header page */
        if (way == 0) {
            for (size_t done = 0; done < size;) {
                ssize_t n = pread(fd, fresh + done, size - done, (off_t)done);
                if (n <= 0) die("pread");
                done += (size_t)n;
            }
        } else {
            map = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
            if (map == MAP_FAILED) die("mmap");
            memcpy(fresh, map, size);
            munmap(map, size);
        }
        lap = stop(t);
        use(fresh, size);
        free(fresh);
        printf("read.%s %.3f %.3f\n", way == 0 ? "populate-buffer-pread" : "populate-buffer-populate", lap.wall, lap.cpu);
    }

    /* The same reads into a buffer whose pages are there already (as a managed heap may have them). */
    unsigned char *touched = malloc(size);
    if (!touched) die("malloc");
    memset(touched, 1, size);
    t = start();
    for (size_t done = 0; done < size;) {
        ssize_t n = pread(fd, touched + done, size - done, (off_t)done);
        if (n <= 0) die("pread");
        done += (size_t)n;
    }
    report("read.touched-pread", t, now_ms());
    t = start();
    map = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) die("mmap");
    memcpy(touched, map, size);
    munmap(map, size);
    report("read.touched-populate", t, now_ms());
    use(touched, size);
    free(touched);
}

static void segment(int id, size_t size, const unsigned char *source)
{
    static const struct { const char *name; int advice; } ways[] = {
        { "populate-write", MADV_POPULATE_WRITE }, { "populate-read", MADV_POPULATE_READ } };
    for (int i = 0; i < 2; i++) {
        double t = start();
        unsigned char *at = shmat(id, NULL, 0);
        if (at == (void *)-1) die("shmat");
        madvise(at, size, ways[i].advice); /* a hint: EINVAL before Linux 5.14 */
        memcpy(at, source, size);
        shmdt(at);
        char way[64];
        snprintf(way, sizeof way, "write.%s", ways[i].name);
        report(way, t, now_ms());
    }
    for (int i = 0; i < 3; i++) {
        double t = start();
        unsigned char *fresh = malloc(size);
        if (!fresh) die("malloc");
        if (i == 2)
            madvise(fresh, size, MADV_POPULATE_WRITE); /* the buffer's pages in one call too */
        unsigned char *at = shmat(id, NULL, SHM_RDONLY);
        if (at == (void *)-1) die("shmat");
        if (i != 1)
            madvise(at, size, MADV_POPULATE_READ); /* the only populate a read-only attachment allows */
        memcpy(fresh, at, size);
        shmdt(at);
        struct lap lap = stop(t);
        use(fresh, size);
        free(fresh);
        printf("read.%s %.3f %.3f\n", i == 0 ? "populate-read" : i == 1 ? "fault" : "populate-buffer-populate-read", lap.wall, lap.cpu);
    }
    unsigned char *touched = malloc(size);
    if (!touched) die("malloc");
    memset(touched, 1, size);
    double t = start();
    unsigned char *at = shmat(id, NULL, SHM_RDONLY);
    if (at == (void *)-1) die("shmat");
    madvise(at, size, MADV_POPULATE_READ);
    memcpy(touched, at, size);
    shmdt(at);
    report("read.touched-populate-read", t, now_ms());
    use(touched, size);
    free(touched);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: oneshot posix|file|sysv NAME|PATH|KEY SIZE\n");
        return 2;
    }
    size_t size = strtoull(argv[3], NULL, 0);
    unsigned char *source = malloc(size);
    if (!source) die("malloc");
    for (size_t i = 0; i < size; i++) source[i] = (unsigned char)(i * 131 + 7); /* touched before timing */

    if (strcmp(argv[1], "sysv") == 0) {
        int id = shmget((key_t)strtol(argv[2], NULL, 0), 0, 0);
        if (id < 0) die("shmget");
        segment(id, size, source);
    } else {
        int fd = strcmp(argv[1], "posix") == 0 ? shm_open(argv[2], O_RDWR, 0) : open(argv[2], O_RDWR);
        if (fd < 0) die("open");
        descriptor(fd, size, source);
        close(fd);
    }
    return 0;
}
