/* Prints ftok(PATH, PROJECT_ID) as ipcs shows keys: ftok PATH PROJECT_ID */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ftok PATH PROJECT_ID\n");
        return 2;
    }
    key_t key = ftok(argv[1], atoi(argv[2]));
    if (key == -1) {
        perror("ftok");
        return 1;
    }
    printf("0x%08x\n", (unsigned int)key);
    return 0;
}
