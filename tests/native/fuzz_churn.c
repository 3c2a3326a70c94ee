/*
 * fuzz_churn: another process that keeps resizing, removing and recreating the shared memory objects
 * a fuzz test works on, for the ShmPS fuzz tests.
 *
 *   fuzz_churn SEED INTERVAL_US LIFETIME_S TARGET...
 *
 * TARGET is p:/name (POSIX object), f:/path (regular file) or k:KEY (System V key, decimal or 0x hex).
 * Every INTERVAL_US microseconds it picks a target and an action from a generator seeded with SEED:
 * shrink or grow it (ftruncate; a System V segment cannot change size, so it is removed and made again
 * with another size), remove it (shm_unlink, unlink, IPC_RMID) or make it again. It runs until it is
 * killed, until LIFETIME_S seconds have passed, or until its parent dies, so that it never outlives a
 * test that crashed. Failures of single actions (the object is gone, ...) are expected and ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long long state;

static unsigned next(void)
{
    /* xorshift64*: deterministic for a seed, the same on every libc */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (unsigned)((state * 2685821657736338717ULL) >> 32);
}

static off_t pick_size(void)
{
    static const off_t sizes[] = { 0, 1, 7, 4095, 4096, 4097, 65536, 100000, 1 << 20 };
    return sizes[next() % (sizeof sizes / sizeof sizes[0])];
}

static void churn_fd(int fd, int action)
{
    if (fd < 0) return;
    off_t size = pick_size();
    if (action == 0 && size > 0) size = 0;
    if (ftruncate(fd, size) != 0) { /* ignored: the object may be gone or at a limit */ }
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: fuzz_churn SEED INTERVAL_US LIFETIME_S TARGET...\n");
        return 2;
    }
    state = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
    useconds_t interval = (useconds_t)strtoul(argv[2], NULL, 0);
    time_t deadline = time(NULL) + strtol(argv[3], NULL, 0);
    pid_t parent = getppid();
    int ntargets = argc - 4;
    char **targets = argv + 4;

    while (time(NULL) < deadline && getppid() == parent) {
        const char *t = targets[next() % ntargets];
        int action = next() % 4; /* 0 shrink to 0, 1 resize, 2 remove, 3 make again */
        if (t[0] == 'p' && t[1] == ':') {
            const char *name = t + 2;
            if (action == 2) shm_unlink(name);
            else churn_fd(shm_open(name, O_RDWR | O_NOFOLLOW | (action == 3 ? O_CREAT : 0), 0600), action);
        } else if (t[0] == 'f' && t[1] == ':') {
            const char *path = t + 2;
            if (action == 2) unlink(path);
            else churn_fd(open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (action == 3 ? O_CREAT : 0), 0600), action);
        } else if (t[0] == 'k' && t[1] == ':') {
            key_t key = (key_t)strtoul(t + 2, NULL, 0);
            if (action != 3) {
                int id = shmget(key, 0, 0);
                if (id >= 0) shmctl(id, IPC_RMID, NULL);
            }
            if (action != 2) {
                size_t size = (size_t)pick_size();
                if (shmget(key, size ? size : 1, IPC_CREAT | 0600) < 0) { /* ignored */ }
            }
        }
        usleep(interval);
    }
    return 0;
}
