/*
 * leak_check_at_exit.c - LeakSanitizer for processes that end with _exit().
 *
 * Every lab program is built with AddressSanitizer, UndefinedBehavior-
 * Sanitizer and LeakSanitizer, so that a buffer overrun or a leak in a
 * student's file costs the check it happened in. LeakSanitizer looks for
 * leaks when a process ends through exit(), after main() returns. But a
 * server's forked workers end with _exit() - they must not flush stdio
 * buffers they share with the parent or run its atexit handlers again - so
 * a leak in a command handler, which only a worker runs, would never be
 * seen.
 *
 * The lab programs are therefore linked with -Wl,--wrap=_exit: each call
 * to _exit() in their code comes here first, and we ask LeakSanitizer to
 * look now. Its report goes where the grader told it to (log_path), and
 * the grader fails the check during which it appeared.
 */
#include <sanitizer/lsan_interface.h>

/* The linker turns calls to _exit into calls to __wrap__exit, and the name
 * __real__exit into the real _exit. */
_Noreturn void __real__exit(int status);
_Noreturn void __wrap__exit(int status);

_Noreturn void __wrap__exit(int status)
{
    /* 23 is LeakSanitizer's own exit status after exit() found leaks. */
    if (__lsan_do_recoverable_leak_check() != 0 && status == 0)
        status = 23;
    __real__exit(status);
}
