/*
 * Prints the semctl commands and the struct semid_ds layout that ShmPS.Native.Libc.Sem declares by
 * hand, as the C compiler sees them, for tests/LockInterop.Tests.ps1. One "NAME VALUE" per line.
 */
#include <stddef.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>

int main(void)
{
    printf("GETPID %d\n", GETPID);
    printf("GETVAL %d\n", GETVAL);
    printf("GETALL %d\n", GETALL);
    printf("OperationTimeOffset %zu\n", offsetof(struct semid_ds, sem_otime));
    printf("OperationTimeSize %zu\n", sizeof(((struct semid_ds *)0)->sem_otime));
    printf("SemidDsSize %zu\n", sizeof(struct semid_ds));
    return 0;
}
