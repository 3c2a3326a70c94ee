/*
 * Another process using a shared file mapping, for tests/File.Tests.ps1.
 *
 *   filemap read PATH OFFSET COUNT  map the file read-only and print COUNT bytes at OFFSET as hex
 *   filemap serve PATH              map the whole file MAP_SHARED read-write, print "ready SIZE", then
 *                                   answer commands on stdin, one line each, through the mapping:
 *                                     w OFFSET HEX     write the bytes; answers "ok"
 *                                     r OFFSET COUNT   answers the bytes as hex
 *                                   until end of input
 *   filemap churn PATH SIZE         print "ready", then shrink the file to 0 and grow it back to SIZE
 *                                   over and over until killed (at most 60 s)
 *
 * A failing call prints "CALL: ERRNO-NAME" and exits with 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *call)
{
    printf("%s: %s\n", call, strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
    return 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: filemap read PATH OFFSET COUNT | serve PATH | churn PATH SIZE\n");
    return 64;
}

static void print_hex(const unsigned char *p, long count)
{
    for (long i = 0; i < count; i++) printf("%02x", p[i]);
    printf("\n");
    fflush(stdout);
}

static void from_hex(unsigned char *p, const char *hex)
{
    for (size_t i = 0; hex[2 * i] && hex[2 * i + 1] && hex[2 * i] != '\n'; i++) {
        unsigned int byte;
        sscanf(hex + 2 * i, "%2x", &byte);
        p[i] = (unsigned char)byte;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) return usage();
    const char *cmd = argv[1], *path = argv[2];

    if (strcmp(cmd, "read") == 0 && argc == 5) {
        long offset = atol(argv[3]), count = atol(argv[4]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd == -1) return fail("open");
        struct stat st;
        if (fstat(fd, &st) == -1) return fail("fstat");
        if (offset + count > st.st_size) { printf("short: %lld bytes\n", (long long)st.st_size); return 3; }
        unsigned char *p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) return fail("mmap");
        print_hex(p + offset, count);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0 && argc == 3) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd == -1) return fail("open");
        struct stat st;
        if (fstat(fd, &st) == -1) return fail("fstat");
        unsigned char *p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) return fail("mmap");
        printf("ready %lld\n", (long long)st.st_size);
        fflush(stdout);
        char line[1 << 16];
        while (fgets(line, sizeof line, stdin)) {
            char op;
            long offset, count;
            char hex[sizeof line];
            if (sscanf(line, "w %ld %s", &offset, hex) == 2 && offset + (long)strlen(hex) / 2 <= st.st_size) {
                from_hex(p + offset, hex);
                printf("ok\n");
                fflush(stdout);
            }
            else if (sscanf(line, "r %ld %ld", &offset, &count) == 2 && offset + count <= st.st_size) {
                print_hex(p + offset, count);
            }
            else if (sscanf(line, "%c", &op) == 1) {
                printf("bad command\n");
                fflush(stdout);
            }
        }
        return 0;
    }
    if (strcmp(cmd, "churn") == 0 && argc == 4) {
        off_t size = atoll(argv[3]);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd == -1) return fail("open");
        printf("ready\n");
        fflush(stdout);
        time_t end = time(NULL) + 60;
        while (time(NULL) < end) {
            if (ftruncate(fd, 0) == -1) return fail("ftruncate");
            usleep(300);
            if (ftruncate(fd, size) == -1) return fail("ftruncate");
            usleep(300);
        }
        return 0;
    }
    return usage();
}
