/*
 * A C program sharing a struct with ShmPS, for tests/Layout.Tests.ps1: the struct below, as gcc lays it
 * out, written or read through a mapping of a POSIX object, a System V segment or a file.
 *
 *   stats write posix|sysv|file NAME|ID|PATH OFFSET COUNT   fill COUNT records at OFFSET (record i from
 *                                                          seed i, see fill()); prints "ok"
 *   stats read posix|sysv|file NAME|ID|PATH OFFSET         print the record at OFFSET, one field a line
 *   stats layout                                          print "sizeof N" and "offsetof FIELD N" lines
 *
 * A failing call prints "CALL: ERRNO-NAME" and exits with 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

/* The declaration tests/Layout.Tests.ps1 gives New-SharedMemoryLayout, word for word. */
#define STATS_DECLARATION \
"struct point { int32_t x, y; };\n" \
"typedef enum { IDLE, BUSY = 5, DOWN = -1 } state_t;\n" \
"struct stats {\n" \
"    int64_t counter;\n" \
"    char name[32];\n" \
"    double value;\n" \
"    uint8_t flags[3];\n" \
"    bool ok;\n" \
"    int16_t temps[2][3];\n" \
"    struct point where;\n" \
"    state_t state;\n" \
"    float ratio;\n" \
"    uint64_t big;\n" \
"    char tags[2][8];\n" \
"};\n"

struct point { int32_t x, y; };
typedef enum { IDLE, BUSY = 5, DOWN = -1 } state_t;
struct stats {
    int64_t counter;
    char name[32];
    double value;
    uint8_t flags[3];
    bool ok;
    int16_t temps[2][3];
    struct point where;
    state_t state;
    float ratio;
    uint64_t big;
    char tags[2][8];
};

static int fail(const char *call)
{
    printf("%s: %s\n", call, strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
    return 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: stats write KIND IDENTITY OFFSET COUNT | read KIND IDENTITY OFFSET | layout\n");
    return 64;
}

static void fill(struct stats *s, int i)
{
    memset(s, 0, sizeof *s);
    s->counter = 1000000000000LL + i;
    snprintf(s->name, sizeof s->name, "sensor-%d", i);
    s->value = 2.5 * i - 1;
    s->flags[0] = (uint8_t)i; s->flags[1] = 0xff; s->flags[2] = 7;
    s->ok = i % 2 == 0;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++) s->temps[r][c] = (int16_t)(-100 * r + c + i);
    s->where.x = -i; s->where.y = i * 3;
    s->state = i % 2 ? BUSY : DOWN;
    s->ratio = 0.25f;
    s->big = 18000000000000000000ULL;
    strcpy(s->tags[0], "a"); strcpy(s->tags[1], "bc");
}

/* Maps SIZE bytes of the object; returns NULL (errno set) on failure. */
static void *map(const char *kind, const char *identity, size_t size)
{
    if (strcmp(kind, "sysv") == 0) {
        void *p = shmat(atoi(identity), NULL, 0);
        return p == (void *)-1 ? NULL : p;
    }
    int fd = strcmp(kind, "posix") == 0 ? shm_open(identity, O_RDWR, 0) : open(identity, O_RDWR | O_CLOEXEC);
    if (fd < 0) return NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "layout") == 0) {
        printf("sizeof %zu\n", sizeof(struct stats));
#define OFF(f) printf("offsetof %s %zu\n", #f, offsetof(struct stats, f))
        OFF(counter); OFF(name); OFF(value); OFF(flags); OFF(ok); OFF(temps); OFF(where); OFF(state); OFF(ratio); OFF(big); OFF(tags);
        printf("declaration %zu\n", strlen(STATS_DECLARATION));
        return 0;
    }
    if (argc < 5) return usage();
    long offset = atol(argv[4]);
    long count = argc > 5 ? atol(argv[5]) : 1;
    unsigned char *base = map(argv[2], argv[3], offset + count * sizeof(struct stats));
    if (!base) return fail("map");
    if (strcmp(argv[1], "write") == 0 && argc == 6) {
        for (long i = 0; i < count; i++) {
            struct stats s;
            fill(&s, (int)i);
            memcpy(base + offset + i * sizeof s, &s, sizeof s);
        }
        printf("ok\n");
        return 0;
    }
    if (strcmp(argv[1], "read") == 0 && argc == 5) {
        struct stats s;
        memcpy(&s, base + offset, sizeof s);
        printf("counter %lld\nname %s\nvalue %g\nflags %u %u %u\nok %d\n", (long long)s.counter, s.name, s.value,
               s.flags[0], s.flags[1], s.flags[2], s.ok);
        printf("temps %d %d %d %d %d %d\n", s.temps[0][0], s.temps[0][1], s.temps[0][2], s.temps[1][0], s.temps[1][1], s.temps[1][2]);
        printf("where %d %d\nstate %d\nratio %g\nbig %llu\ntags %s %s\n", s.where.x, s.where.y, (int)s.state, s.ratio,
               (unsigned long long)s.big, s.tags[0], s.tags[1]);
        return 0;
    }
    return usage();
}
