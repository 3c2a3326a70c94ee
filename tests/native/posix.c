/*
 * posix: another process using POSIX shared memory, for the ShmPS tests.
 *
 *   posix read NAME OFFSET COUNT        print COUNT bytes at OFFSET as hex (read through mmap)
 *   posix write NAME OFFSET HEX         write the bytes given as hex at OFFSET (through mmap)
 *   posix create NAME SIZE MODE         create exclusively with SIZE bytes and exactly MODE (octal)
 *   posix open NAME ro|rw               open and close; exit 0, or with the errno (13 = EACCES)
 *   posix shrink-loop NAME ITERATIONS SIZE
 *                                       ftruncate to 0 then back to SIZE, ITERATIONS times (0: until killed)
 *   posix hold NAME OFFSET COUNT        open and map; print "ready"; wait for a line (or EOF) on stdin;
 *                                       then print COUNT bytes at OFFSET as hex through the mapping
 *
 * On failure the errno is printed on stderr and is the exit code; bad usage exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr,
            "usage: posix read NAME OFFSET COUNT | write NAME OFFSET HEX | create NAME SIZE MODE\n"
            "       | open NAME ro|rw | shrink-loop NAME ITERATIONS SIZE | hold NAME OFFSET COUNT\n");
    return 2;
}

static int fail(const char *what)
{
    int e = errno;
    fprintf(stderr, "%s: %s\n", what, strerror(e));
    return e ? e : 1;
}

static void print_hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

/* Maps the whole object after checking that OFFSET+COUNT fits, so a short object is an error, not SIGBUS. */
static unsigned char *map_range(int fd, int prot, long offset, long count, size_t *length)
{
    struct stat st;
    if (fstat(fd, &st) == -1)
        return NULL;
    if (offset < 0 || count < 0 || offset + count > st.st_size) {
        errno = ERANGE;
        return NULL;
    }
    *length = st.st_size > 0 ? (size_t)st.st_size : 1;
    void *p = mmap(NULL, *length, prot, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int cmd_read(const char *name, long offset, long count)
{
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd == -1)
        return fail("shm_open");
    size_t length;
    unsigned char *p = map_range(fd, PROT_READ, offset, count, &length);
    if (!p)
        return fail("map");
    print_hex(p + offset, (size_t)count);
    munmap(p, length);
    close(fd);
    return 0;
}

static int cmd_write(const char *name, long offset, const char *hex)
{
    size_t count = strlen(hex) / 2;
    int fd = shm_open(name, O_RDWR, 0);
    if (fd == -1)
        return fail("shm_open");
    size_t length;
    unsigned char *p = map_range(fd, PROT_READ | PROT_WRITE, offset, (long)count, &length);
    if (!p)
        return fail("map");
    for (size_t i = 0; i < count; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
            return usage();
        p[offset + i] = (unsigned char)byte;
    }
    munmap(p, length);
    close(fd);
    return 0;
}

static int cmd_create(const char *name, long size, mode_t mode)
{
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode);
    if (fd == -1)
        return fail("shm_open");
    if (fchmod(fd, mode) == -1) /* the umask applied at creation */
        return fail("fchmod");
    if (ftruncate(fd, size) == -1)
        return fail("ftruncate");
    close(fd);
    return 0;
}

static int cmd_open(const char *name, const char *access)
{
    int fd = shm_open(name, strcmp(access, "rw") == 0 ? O_RDWR : O_RDONLY, 0);
    if (fd == -1)
        return fail("shm_open");
    close(fd);
    return 0;
}

static int cmd_shrink_loop(const char *name, long iterations, long size)
{
    int fd = shm_open(name, O_RDWR, 0);
    if (fd == -1)
        return fail("shm_open");
    for (long i = 0; iterations == 0 || i < iterations; i++) {
        if (ftruncate(fd, 0) == -1 || ftruncate(fd, size) == -1)
            return fail("ftruncate");
    }
    close(fd);
    return 0;
}

static int cmd_hold(const char *name, long offset, long count)
{
    int fd = shm_open(name, O_RDWR, 0);
    if (fd == -1)
        return fail("shm_open");
    size_t length;
    unsigned char *p = map_range(fd, PROT_READ | PROT_WRITE, offset, count, &length);
    if (!p)
        return fail("map");
    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin) && ferror(stdin))
        return fail("fgets");
    print_hex(p + offset, (size_t)count);
    munmap(p, length);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *cmd = argv[1], *name = argv[2];
    if (strcmp(cmd, "read") == 0 && argc == 5)
        return cmd_read(name, atol(argv[3]), atol(argv[4]));
    if (strcmp(cmd, "write") == 0 && argc == 5)
        return cmd_write(name, atol(argv[3]), argv[4]);
    if (strcmp(cmd, "create") == 0 && argc == 5)
        return cmd_create(name, atol(argv[3]), (mode_t)strtol(argv[4], NULL, 8));
    if (strcmp(cmd, "open") == 0 && argc == 4)
        return cmd_open(name, argv[3]);
    if (strcmp(cmd, "shrink-loop") == 0 && argc == 5)
        return cmd_shrink_loop(name, atol(argv[3]), atol(argv[4]));
    if (strcmp(cmd, "hold") == 0 && argc == 5)
        return cmd_hold(name, atol(argv[3]), atol(argv[4]));
    return usage();
}
