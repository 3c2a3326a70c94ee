/*
 * watch PATH: waits (up to 10 s) for PATH to appear and prints, from the very first stat that finds
 * it, its size and permission bits ("SIZE MODE", mode in octal). Used to check that a new object
 * never shows itself half-made (size 0, or the mode before fchmod).
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: watch PATH\n");
        return 2;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct stat st;
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (stat(argv[1], &st) == 0) {
            printf("%lld %o\n", (long long)st.st_size, st.st_mode & 07777);
            return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 10) {
            printf("timeout\n");
            return 1;
        }
    }
}
