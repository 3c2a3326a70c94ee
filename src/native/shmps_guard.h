/* ShmPS fault-guarded copy: memcpy that turns a SIGBUS or SIGSEGV inside the copied ranges into an
 * error code instead of killing the process (a mapping whose object another process shrank). */
#ifndef SHMPS_GUARD_H
#define SHMPS_GUARD_H

#include <stddef.h>

#define SHMPS_API __attribute__((visibility("default")))

/* Installs the SIGBUS and SIGSEGV handlers once (thread-safe; later calls return the first result).
 * Returns 0 or the errno of sigaction. */
SHMPS_API int shmps_guard_init(void);

/* Copies n bytes from src to dst. Returns 0; SIGBUS (7) or SIGSEGV (11) if that signal hit an
 * address in either range during the copy (dst is then partly written); -1 without copying if
 * shmps_guard_init has not succeeded. */
SHMPS_API int shmps_guarded_copy(void *dst, const void *src, size_t n);

#endif
