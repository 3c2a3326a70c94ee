/* ShmPS fault-guarded copy: memcpy that turns a SIGBUS or SIGSEGV inside the copied ranges into an
 * error code instead of killing the process (a mapping whose object another process shrank). */
#ifndef SHMPS_GUARD_H
#define SHMPS_GUARD_H

#include <stddef.h>
#include <stdint.h>

#define SHMPS_API __attribute__((visibility("default")))

/* Installs the SIGBUS and SIGSEGV handlers once (thread-safe; later calls return the first result).
 * Returns 0 or the errno of sigaction. */
SHMPS_API int shmps_guard_init(void);

/* Copies n bytes from src to dst. Returns 0; SIGBUS (7) or SIGSEGV (11) if that signal hit an
 * address in either range during the copy (dst is then partly written); -1 without copying if
 * shmps_guard_init has not succeeded. */
SHMPS_API int shmps_guarded_copy(void *dst, const void *src, size_t n);

/* The operations of shmps_guarded_atomic: odd numbers work on 64-bit words, even ones on 32-bit words. */
#define SHMPS_ATOMIC_LOAD32 0
#define SHMPS_ATOMIC_LOAD64 1
#define SHMPS_ATOMIC_ADD32 2
#define SHMPS_ATOMIC_ADD64 3
#define SHMPS_ATOMIC_EXCHANGE32 4
#define SHMPS_ATOMIC_EXCHANGE64 5
#define SHMPS_ATOMIC_CAS32 6
#define SHMPS_ATOMIC_CAS64 7

/* One sequentially consistent atomic operation on the naturally aligned word at address: a load, an
 * add (result: the new value), an exchange (result: the old value) or a compare-exchange that stores
 * operand if the word equals comparand (result: the value found). Returns 0; the signal (7, 11) if
 * one hit the word (nothing was changed); -1 if shmps_guard_init has not succeeded; -2 for an unknown op. */
SHMPS_API int shmps_guarded_atomic(int op, void *address, int64_t operand, int64_t comparand, int64_t *result);

#endif
