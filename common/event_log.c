/*
 * event_log.c - JSON lines for the visualizer and the tests.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Each event is built in a fixed buffer and leaves in ONE write() to a file
 * opened with O_APPEND. The server runs one process per connection, all
 * appending to the same file: O_APPEND makes each write land whole at the
 * end, so lines from different sessions never interleave mid-line.
 */
#include "event_log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"

/* The longest event we write; a longer value is cut and marked. */
#define EVENT_MAX 8192

void event_log_init(struct event_log *log)
{
    log->fd = -1;
}

int event_log_open(struct event_log *log, const char *path)
{
    log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return log->fd < 0 ? -1 : 0;
}

void event_log_close(struct event_log *log)
{
    if (log->fd >= 0)
        close(log->fd);
    log->fd = -1;
}

/* A growing JSON text in a fixed buffer; `full` is set when it ran out. */
struct json {
    char buf[EVENT_MAX];
    size_t len;
    bool full;
};

static void put_raw(struct json *j, const char *s, size_t n)
{
    /* Keep 16 bytes for the closing "...}\n" however full we get. Once
     * something did not fit, nothing more goes in (a short "," after a
     * long escape that failed would break the JSON). */
    if (j->full || j->len + n > sizeof j->buf - 16) {
        j->full = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

/* Append s[0..n) as a JSON string, quotes included. */
static void put_string(struct json *j, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    put_raw(j, "\"", 1);
    if (j->full)
        return; /* not even the opening quote fitted: no string begun */
    for (size_t i = 0; i < n && !j->full;) {
        char esc[8];
        size_t seq = utf8_char_length(p + i, n - i);
        if (p[i] == '"' || p[i] == '\\') {
            esc[0] = '\\';
            esc[1] = (char)p[i];
            put_raw(j, esc, 2);
        } else if (p[i] < 0x20 || p[i] == 0x7F || seq == 0) {
            /* Control characters and bytes that are not UTF-8 (binary junk)
             * are shown as \u00XX, so the log stays valid JSON. */
            snprintf(esc, sizeof esc, "\\u%04x", p[i]);
            put_raw(j, esc, 6);
            seq = 1;
        } else {
            put_raw(j, s + i, seq);
        }
        i += seq ? seq : 1;
    }
    /* The closing quote always goes in, cut or not: put_raw() kept room
     * for it, and an unclosed string would make the whole line invalid. */
    j->buf[j->len++] = '"';
}

static void put_key(struct json *j, const char *key)
{
    size_t before = j->len;
    put_raw(j, ",", 1);
    put_string(j, key, strlen(key));
    put_raw(j, ":", 1);
    if (j->full)
        j->len = before; /* a key without its value: drop the pair whole */
}

/* {"time":"...","pid":N,"session":"...","event":"..." */
static void put_header(struct json *j, const char *session, const char *event)
{
    struct timeval now;
    struct tm utc;
    char stamp[64];
    gettimeofday(&now, NULL);
    gmtime_r(&now.tv_sec, &utc);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", (long)(now.tv_usec / 1000));

    j->len = 0;
    j->full = false;
    put_raw(j, "{\"time\":", 8);
    put_string(j, stamp, strlen(stamp));
    char pid[32];
    int pn = snprintf(pid, sizeof pid, ",\"pid\":%ld", (long)getpid());
    put_raw(j, pid, (size_t)pn);
    put_key(j, "session");
    put_string(j, session, strlen(session));
    put_key(j, "event");
    put_string(j, event, strlen(event));
}

static void finish_and_write(const struct event_log *log, struct json *j)
{
    if (j->full) {
        /* Room was kept for this: the event is cut, and says so. */
        memcpy(j->buf + j->len, ",\"cut\":true", 11);
        j->len += 11;
    }
    memcpy(j->buf + j->len, "}\n", 2);
    j->len += 2;
    /* One write: with O_APPEND it lands whole, even from many processes.
     * SIMPLIFICATION: a logging failure is ignored; mail matters more. */
    ssize_t ignored = write(log->fd, j->buf, j->len);
    (void)ignored;
}

void event_log_write(const struct event_log *log, const char *session,
                     const char *event, ...)
{
    if (log == NULL || log->fd < 0)
        return;
    struct json j;
    put_header(&j, session, event);
    va_list ap;
    va_start(ap, event);
    for (const char *key = va_arg(ap, const char *); key != NULL;
         key = va_arg(ap, const char *)) {
        const char *value = va_arg(ap, const char *);
        put_key(&j, key);
        put_string(&j, value ? value : "", value ? strlen(value) : 0);
    }
    va_end(ap);
    finish_and_write(log, &j);
}

void event_log_line(const struct event_log *log, const char *session, const char *event,
                    const char *text, size_t len)
{
    if (log == NULL || log->fd < 0)
        return;
    struct json j;
    put_header(&j, session, event);
    put_key(&j, "text");
    put_string(&j, text, len);
    finish_and_write(log, &j);
}
