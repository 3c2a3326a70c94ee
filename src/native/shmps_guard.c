/* The fault-guarded copy behind ShmPS's mappings, as the JVM recovers faults in Unsafe.copyMemory:
 * the handler jumps back out of a copy that faulted in its own ranges and chains every other fault
 * to the handler that was there before (the .NET runtime's, which turns managed null dereferences
 * into exceptions), so nothing changes for faults that ShmPS did not arm. */
#include "shmps_guard.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

struct guard {
    uintptr_t dst, src;
    size_t n;
    sigjmp_buf env;
};

/* Only a pointer to the copying frame's guard lives in TLS: a dlopen'ed library's initial-exec TLS
 * comes from glibc's small static-TLS surplus, and a sigjmp_buf (200 bytes on x86_64, 312 on
 * aarch64) would spend much of it. initial-exec, so the handler's access never allocates. */
static __thread struct guard *volatile armed __attribute__((tls_model("initial-exec")));

static struct sigaction previous_bus, previous_segv;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_result = -1;

static int in_range(uintptr_t address, uintptr_t start, size_t n)
{
    return address - start < n; /* unsigned: false below start too */
}

/* Hands a fault on to the action that was installed before ours, as the kernel would have. */
static void chain(int sig, siginfo_t *info, void *context)
{
    const struct sigaction *prev = sig == SIGBUS ? &previous_bus : &previous_segv;
    if (prev->sa_handler == SIG_IGN && info->si_code <= 0)
        return; /* a signal sent with kill(2) that the process ignored */
    if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
        /* The default action; a real fault cannot be ignored (the kernel kills the process).
         * The re-raised signal is blocked until we return, then terminates the process. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, NULL);
        raise(sig);
        return;
    }
    if (prev->sa_flags & SA_SIGINFO)
        prev->sa_sigaction(sig, info, context);
    else
        prev->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
    struct guard *g = armed;
    uintptr_t address = (uintptr_t)info->si_addr;
    if (g != NULL && info->si_code > 0 && (in_range(address, g->src, g->n) || in_range(address, g->dst, g->n))) {
        armed = NULL;
        /* sigsetjmp saved no mask (a syscall per copy): unblock the signal the kernel blocked. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        siglongjmp(g->env, sig);
    }
    chain(sig, info, context);
}

static void install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    /* SA_ONSTACK: a fault from stack exhaustion must still find a stack (the runtime's alternate one).
     * No SA_NODEFER: a fault inside a chained handler then kills the process instead of recursing. */
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous_bus) != 0) {
        init_result = errno;
        return;
    }
    if (sigaction(SIGSEGV, &action, &previous_segv) != 0) {
        init_result = errno;
        sigaction(SIGBUS, &previous_bus, NULL);
        return;
    }
    init_result = 0;
}

int shmps_guard_init(void)
{
    int rc = pthread_once(&once, install);
    return rc != 0 ? rc : init_result;
}

int shmps_guarded_copy(void *dst, const void *src, size_t n)
{
    if (init_result != 0)
        return -1;
    struct guard g;
    g.dst = (uintptr_t)dst;
    g.src = (uintptr_t)src;
    g.n = n;
    int sig = sigsetjmp(g.env, 0);
    if (sig != 0)
        return sig; /* the handler disarmed the guard */
    armed = &g;
    atomic_signal_fence(memory_order_seq_cst); /* armed before the first byte is touched */
    memcpy(dst, src, n);
    atomic_signal_fence(memory_order_seq_cst);
    armed = NULL;
    return 0;
}

/* Sequentially consistent atomic operations on a word of a mapping, guarded like the copy: a SIGBUS on
 * the word (the object shrank beneath it) returns the signal instead of killing the process. They are
 * the __atomic builtins, so C programs using __atomic_* or C11 atomics on the same word agree with them.
 * A full fence before each one lets a seqlock reader order its preceding copy before the load. */
int shmps_guarded_atomic(int op, void *address, int64_t operand, int64_t comparand, int64_t *result)
{
    if (init_result != 0)
        return -1;
    size_t width = (op & 1) ? 8 : 4;
    struct guard g;
    g.dst = (uintptr_t)address;
    g.src = (uintptr_t)address;
    g.n = width;
    int sig = sigsetjmp(g.env, 0);
    if (sig != 0)
        return sig;
    armed = &g;
    atomic_signal_fence(memory_order_seq_cst);
    int32_t *w32 = address;
    int64_t *w64 = address;
    int64_t value = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    switch (op) {
    case SHMPS_ATOMIC_LOAD32: value = __atomic_load_n(w32, __ATOMIC_SEQ_CST); break;
    case SHMPS_ATOMIC_LOAD64: value = __atomic_load_n(w64, __ATOMIC_SEQ_CST); break;
    case SHMPS_ATOMIC_ADD32: value = __atomic_add_fetch(w32, (int32_t)operand, __ATOMIC_SEQ_CST); break;
    case SHMPS_ATOMIC_ADD64: value = __atomic_add_fetch(w64, operand, __ATOMIC_SEQ_CST); break;
    case SHMPS_ATOMIC_EXCHANGE32: value = __atomic_exchange_n(w32, (int32_t)operand, __ATOMIC_SEQ_CST); break;
    case SHMPS_ATOMIC_EXCHANGE64: value = __atomic_exchange_n(w64, operand, __ATOMIC_SEQ_CST); break;
    case SHMPS_ATOMIC_CAS32: {
        int32_t expected = (int32_t)comparand;
        __atomic_compare_exchange_n(w32, &expected, (int32_t)operand, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        value = expected; /* the value found: equal to comparand when the exchange happened */
        break;
    }
    case SHMPS_ATOMIC_CAS64: {
        int64_t expected = comparand;
        __atomic_compare_exchange_n(w64, &expected, operand, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        value = expected;
        break;
    }
    default:
        armed = NULL;
        return -2;
    }
    atomic_signal_fence(memory_order_seq_cst);
    armed = NULL;
    *result = value;
    return 0;
}
