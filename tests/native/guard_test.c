/* Checks libshmps_guard.so from C, for any architecture (the arm64 build runs under qemu-user):
 *   guard_test LIB FILE copy     valid copies return 0 and move the bytes; after the file is
 *                                truncated, copies from and into the mapping return SIGBUS, 1,000 times
 *   guard_test LIB FILE chain    a fault outside a copy reaches the handler installed before (exit 42)
 *   guard_test LIB FILE default  a fault outside a copy with no handler before still kills (SIGSEGV)
 * Prints "ok" and exits 0 when a check passes; otherwise says what failed and exits 1. */
#include "../../src/native/shmps_guard.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define SIZE 65536

static void fail(const char *what)
{
    printf("failed: %s\n", what);
    exit(1);
}

static void previous_handler(int sig, siginfo_t *info, void *context)
{
    (void)sig, (void)info, (void)context;
    _exit(42);
}

int main(int argc, char **argv)
{
    if (argc != 4) fail("usage: guard_test LIB FILE copy|chain|default");
    if (strcmp(argv[3], "chain") == 0) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = previous_handler;
        action.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &action, NULL);
    }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (lib == NULL) fail(dlerror());
    typeof(shmps_guard_init) *init = (typeof(init))dlsym(lib, "shmps_guard_init");
    typeof(shmps_guarded_copy) *copy = (typeof(copy))dlsym(lib, "shmps_guarded_copy");
    if (init == NULL || copy == NULL) fail("missing export");
    if (copy(NULL, NULL, 0) != -1) fail("copy before init did not return -1");
    if (init() != 0 || init() != 0) fail("shmps_guard_init");

    if (strcmp(argv[3], "copy") != 0) {
        struct rlimit no_core = { 0, 0 }; /* the default action must not leave a core file behind */
        setrlimit(RLIMIT_CORE, &no_core);
        volatile uintptr_t nowhere = 16; /* volatile: the compiler cannot prove it invalid */
        return *(volatile int *)nowhere;  /* must not return */
    }

    int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, SIZE) != 0) fail("create the file");
    unsigned char *map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) fail("mmap");
    static unsigned char in[SIZE], out[SIZE];
    for (int i = 0; i < SIZE; i++) in[i] = (unsigned char)(i * 7 + 1);
    if (copy(map, in, SIZE) != 0) fail("valid copy into the mapping");
    if (pread(fd, out, SIZE, 0) != SIZE || memcmp(in, out, SIZE) != 0) fail("the file holds other bytes");
    memset(out, 0, SIZE);
    if (copy(out, map + 8, 8) != 0 || memcmp(out, in + 8, 8) != 0) fail("valid 8-byte copy from the mapping");

    if (ftruncate(fd, 0) != 0) fail("truncate");
    for (int i = 0; i < 1000; i++) {
        if (copy(out, map, SIZE) != SIGBUS) fail("copy from the truncated mapping did not return SIGBUS");
        if (copy(map + 4096, in, 8) != SIGBUS) fail("copy into the truncated mapping did not return SIGBUS");
    }
    /* The guard resets: valid memory still copies. */
    if (copy(out, in, SIZE) != 0 || memcmp(in, out, SIZE) != 0) fail("valid copy after the faults");
    munmap(map, SIZE);
    close(fd);
    unlink(argv[2]);
    puts("ok");
    return 0;
}
