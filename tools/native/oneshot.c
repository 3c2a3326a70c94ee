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

/* A buffer to read into, as a read by name gets one: FRESH (malloc at this size: a new anonymous
 * mapping whose pages the copy faults in), POPULATED (the same, its pages given in one call first), or
 * TOUCHED (pages there already; made before the clock starts). */
enum buffer { FRESH, POPULATED, TOUCHED };

static unsigned char *touched_buffer(enum buffer kind, size_t size)
{
    if (kind != TOUCHED)
        return NULL;
    unsigned char *buffer = malloc(size);
    if (!buffer) die("malloc");
    memset(buffer, 1, size);
    return buffer;
}

static unsigned char *buffer_for(enum buffer kind, unsigned char *touched, size_t size)
{
    if (touched)
        return touched;
    unsigned char *buffer = malloc(size);
    if (!buffer) die("malloc");
    if (kind == POPULATED)
        madvise(buffer, size, MADV_POPULATE_WRITE); /* a hint: malloc's mapping is page-aligned but for its header */
    return buffer;
}

static void finish_read(const char *way, double t, unsigned char *buffer, size_t size)
{
    struct lap lap = stop(t); /* before free(): a managed array is not unmapped by its read either */
    use(buffer, size);
    free(buffer);
    printf("%s %.3f %.3f\n", way, lap.wall, lap.cpu);
}

static void pwrite_all(int fd, const unsigned char *source, size_t size)
{
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fd, source + done, size - done, (off_t)done);
        if (n <= 0) die("pwrite");
        done += (size_t)n;
    }
}

static void pread_all(int fd, unsigned char *buffer, size_t size)
{
    for (size_t done = 0; done < size;) {
        ssize_t n = pread(fd, buffer + done, size - done, (off_t)done);
        if (n <= 0) die("pread");
        done += (size_t)n;
    }
}

/* mmap MAP_POPULATE + memcpy + munmap, one way or the other. */
static unsigned char *map_populated(int fd, size_t size, int writable)
{
    unsigned char *map = mmap(NULL, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) die("mmap");
    return map;
}

static void write_mapped(int fd, const unsigned char *source, size_t size)
{
    unsigned char *map = map_populated(fd, size, 1);
    memcpy(map, source, size);
    munmap(map, size);
}

static void read_mapped(int fd, unsigned char *buffer, size_t size)
{
    unsigned char *map = map_populated(fd, size, 0);
    memcpy(buffer, map, size);
    munmap(map, size);
}

static void descriptor(int fd, size_t size, const unsigned char *source)
{
    double t = start();
    pwrite_all(fd, source, size);
    report("write.pwrite", t, now_ms());

    t = start();
    write_mapped(fd, source, size);
    report("write.populate", t, now_ms());

    static const struct { const char *way; enum buffer kind; int mapped; } reads[] = {
        { "read.pread", FRESH, 0 }, { "read.populate", FRESH, 1 },
        { "read.populate-buffer-pread", POPULATED, 0 }, { "read.populate-buffer-populate", POPULATED, 1 },
        { "read.touched-pread", TOUCHED, 0 }, { "read.touched-populate", TOUCHED, 1 } };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        unsigned char *touched = touched_buffer(reads[i].kind, size);
        t = start();
        unsigned char *buffer = buffer_for(reads[i].kind, touched, size);
        if (reads[i].mapped)
            read_mapped(fd, buffer, size);
        else
            pread_all(fd, buffer, size);
        finish_read(reads[i].way, t, buffer, size);
    }
}

static void segment(int id, size_t size, const unsigned char *source)
{
    static const struct { const char *way; int advice; } writes[] = {
        { "write.populate-write", MADV_POPULATE_WRITE }, { "write.populate-read", MADV_POPULATE_READ } };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        double t = start();
        unsigned char *at = shmat(id, NULL, 0);
        if (at == (void *)-1) die("shmat");
        madvise(at, size, writes[i].advice); /* a hint: EINVAL before Linux 5.14 */
        memcpy(at, source, size);
        shmdt(at);
        report(writes[i].way, t, now_ms());
    }
    /* MADV_POPULATE_READ is the only populate a read-only attachment allows. */
    static const struct { const char *way; enum buffer kind; int populate; } reads[] = {
        { "read.populate-read", FRESH, 1 }, { "read.fault", FRESH, 0 },
        { "read.populate-buffer-populate-read", POPULATED, 1 }, { "read.touched-populate-read", TOUCHED, 1 } };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        unsigned char *touched = touched_buffer(reads[i].kind, size);
        double t = start();
        unsigned char *buffer = buffer_for(reads[i].kind, touched, size);
        unsigned char *at = shmat(id, NULL, SHM_RDONLY);
        if (at == (void *)-1) die("shmat");
        if (reads[i].populate)
            madvise(at, size, MADV_POPULATE_READ);
        memcpy(buffer, at, size);
        shmdt(at);
        finish_read(reads[i].way, t, buffer, size);
    }
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
