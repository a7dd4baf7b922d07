/*
 * fuzz_queue.c - the queue's envelope reader (server/queue.c, queue_load).
 * Envelopes are files; the input is written as DIR/envelopes/fuzz-id.
 *
 * Input: an envelope, e.g.
 *   "id fuzz-id\nfrom <alice@alice.example>\narrival 1763900000\n
 *    rcpt waiting 0 0 - bob@bob.example\nstatus 4.4.1 127.0.0.2\nreply 451 busy\n"
 *
 * Checks, for any input:
 *  - queue_load() either fails with a reason and nothing allocated, or
 *    gives an entry for this id with at least one recipient, every string
 *    NUL-terminated within its field and every state a known one;
 *  - a round trip: the loaded entry, saved with queue_save() and loaded
 *    again, is the same entry (except that the reply text has its tabs
 *    and CRs turned into spaces, as queue_save() does on purpose: a hostile
 *    server's reply must not add lines to an envelope). The runner saves
 *    and loads every envelope this way at each attempt, so anything lost
 *    here would be lost from a real queue.
 */
#include "fuzz.h"
#include "queue.h"

#define FIELD_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check_entry(const struct queue_entry *e)
{
    FUZZ_CHECK(strcmp(e->id, "fuzz-id") == 0);
    FUZZ_CHECK(e->count >= 1 && e->recipients != NULL);
    FUZZ_CHECK(FIELD_OK(e->reverse_path));
    for (size_t i = 0; i < e->count; i++) {
        const struct queue_recipient *r = &e->recipients[i];
        FUZZ_CHECK(r->state == QUEUE_WAITING || r->state == QUEUE_SENT ||
                   r->state == QUEUE_BOUNCED);
        FUZZ_CHECK(r->address[0] != '\0' && FIELD_OK(r->address));
        FUZZ_CHECK(FIELD_OK(r->mailbox) && FIELD_OK(r->status));
        FUZZ_CHECK(FIELD_OK(r->remote_mta) && FIELD_OK(r->last_reply));
    }
}

/* What queue_save() writes for a reply: no line breaks, no tabs. */
static void flatten(char *text)
{
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

static void check_same(const struct queue_entry *a, const struct queue_entry *b)
{
    FUZZ_CHECK(strcmp(a->reverse_path, b->reverse_path) == 0);
    FUZZ_CHECK(a->arrival == b->arrival && a->body_8bit == b->body_8bit &&
               a->smtputf8 == b->smtputf8 && a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        const struct queue_recipient *x = &a->recipients[i], *y = &b->recipients[i];
        FUZZ_CHECK(strcmp(x->address, y->address) == 0);
        FUZZ_CHECK(strcmp(x->mailbox, y->mailbox) == 0);
        FUZZ_CHECK(x->state == y->state && x->attempts == y->attempts);
        FUZZ_CHECK(x->next_attempt == y->next_attempt);
        FUZZ_CHECK(strcmp(x->status, y->status) == 0);
        FUZZ_CHECK(strcmp(x->remote_mta, y->remote_mta) == 0);
        char reply[sizeof x->last_reply];
        memcpy(reply, x->last_reply, sizeof reply);
        flatten(reply);
        FUZZ_CHECK(strcmp(reply, y->last_reply) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[128];
    char why[512];
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "%s/queue", fuzz_temp_dir());
        if (queue_create(dir, why, sizeof why) != 0)
            abort();
    }
    char path[256], name[64];
    snprintf(name, sizeof name, "queue/envelopes/fuzz-id");
    fuzz_write_file(name, data, size, path, sizeof path);

    struct queue_entry first;
    why[0] = '\0';
    if (queue_load(dir, "fuzz-id", &first, why, sizeof why) != 0) {
        FUZZ_CHECK(why[0] != '\0' && first.recipients == NULL && first.count == 0);
        return 0;
    }
    check_entry(&first);

    FUZZ_CHECK(queue_save(dir, &first, why, sizeof why) == 0);
    struct queue_entry second;
    FUZZ_CHECK(queue_load(dir, "fuzz-id", &second, why, sizeof why) == 0);
    check_entry(&second);
    check_same(&first, &second);

    queue_entry_free(&first);
    queue_entry_free(&second);
    return 0;
}
