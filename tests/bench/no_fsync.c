/*
 * no_fsync.c - an LD_PRELOAD library whose fsync() and fdatasync() return
 * at once without doing anything. A MEASUREMENT TOOL ONLY.
 *
 * bench_server.py runs mailwalk-server a second time with this library
 * preloaded, to show what durable delivery costs on the machine at hand:
 * the difference between the two figures is the price of the promise
 * "after 250, the message survives a power cut" (RFC 5321 §6.1). A server
 * running with it keeps that promise no longer. Never use it for mail.
 *
 *     LD_PRELOAD=build/tests/bench/no_fsync.so build/server/mailwalk-server ...
 *
 * The dynamic linker looks in preloaded libraries first, so these two
 * definitions win over the C library's.
 */
#include <unistd.h>

int fsync(int fd)
{
    (void)fd;
    return 0;
}

int fdatasync(int fd)
{
    (void)fd;
    return 0;
}
