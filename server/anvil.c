/*
 * anvil.c - per-client counters in memory shared by all workers.
 *
 * The table is one block of memory, mapped MAP_SHARED before the workers
 * fork, so every worker sees (and changes) the same bytes. It holds:
 *
 *   sessions[slot]   which address each worker serves now ("" = idle);
 *                    counting the slots with the same address answers
 *                    "how many sessions from this client?", and a worker
 *                    that crashes cannot leave a count behind: the parent
 *                    clears its slot when it reaps it (workers.c);
 *   records[]        per address: connections this minute, failed logins
 *                    this window; per user name: failed logins. When the
 *                    table is full the oldest record makes room.
 *
 * Several processes change it at once, so every look-and-change happens
 * under one mutex that lives in the shared memory itself
 * (PTHREAD_PROCESS_SHARED). It is "robust": if a worker dies while holding
 * it, the next one to lock it is told so (EOWNERDEAD) and carries on,
 * instead of every worker waiting for ever.
 */
#include "anvil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "networks.h"

/* How many addresses and user names the table remembers. 512 records of
 * about 300 bytes: 150 KiB, shared by all workers. */
#define ANVIL_RECORDS 512

/* "client 192.0.2.1" or "user alice"; a user name is at most 255 octets
 * (RFC 4616 §2). */
#define ANVIL_KEY_SIZE 272

/* Connection rates are counted per minute, as Postfix counts them. */
#define ANVIL_RATE_WINDOW_SECONDS 60

/* How long after a client was turned away the server counts as under
 * stress (while every worker is still busy). */
#define ANVIL_STRESS_SECONDS 60

struct anvil_record {
    char key[ANVIL_KEY_SIZE]; /* "" = free */
    time_t connections_since; /* start of the minute being counted */
    unsigned connections;     /* connections begun since then */
    time_t failures_since;    /* start of the --auth-failure-window */
    unsigned failures;        /* failed logins since then */
    time_t last_used;         /* for choosing which record to forget */
};

struct anvil_slot {
    char address[64]; /* the client this worker serves; "" = idle */
};

struct anvil_table {
    pthread_mutex_t lock;
    time_t turned_away; /* when the parent last refused a client: all busy */
    struct anvil_record records[ANVIL_RECORDS];
    size_t slot_count;
    struct anvil_slot slots[]; /* one per worker */
};

/* NULL until anvil_create(): then every check says "allowed". */
static struct anvil_table *table;
/* The limits, copied from the configuration before fork(). */
static const struct server_config *limits;

int anvil_create(const struct server_config *config, size_t slots)
{
    size_t size = sizeof *table + slots * sizeof table->slots[0];
    void *memory =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return -1;
    table = memory; /* mmap gives zeroed memory: every key and slot is "" */
    table->slot_count = slots;
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(&table->lock, &attributes);
    pthread_mutexattr_destroy(&attributes);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    limits = config;
    return 0;
}

static void lock_table(void)
{
    /* EOWNERDEAD: a worker died holding the lock. The table is counters
     * only, never half-written pointers, so at worst one count is off by
     * one; mark the lock usable again and go on. */
    if (pthread_mutex_lock(&table->lock) == EOWNERDEAD)
        pthread_mutex_consistent(&table->lock);
}

static void unlock_table(void)
{
    pthread_mutex_unlock(&table->lock);
}

/* The record for key, made (in a free or the oldest record) if missing. */
static struct anvil_record *find_record(const char *key, time_t now)
{
    struct anvil_record *oldest = &table->records[0];
    for (size_t i = 0; i < ANVIL_RECORDS; i++) {
        struct anvil_record *r = &table->records[i];
        if (strcmp(r->key, key) == 0) {
            r->last_used = now;
            return r;
        }
        if (r->key[0] == '\0' || r->last_used < oldest->last_used)
            oldest = r;
        if (r->key[0] == '\0')
            break; /* records fill from the front: no match after a free one */
    }
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->connections_since = oldest->failures_since = oldest->last_used = now;
    return oldest;
}

/* The failures of a record, counting from 0 again once its window ended. */
static unsigned current_failures(struct anvil_record *r, time_t now)
{
    if (now - r->failures_since >= limits->auth_failure_window) {
        r->failures_since = now;
        r->failures = 0;
    }
    return r->failures;
}

/* Is the client inside a --limit-exempt network (by default the machine
 * itself, 127.0.0.1 and ::1)? */
static bool is_exempt(const char *address)
{
    for (size_t i = 0; i < limits->limit_exempt_count; i++)
        if (network_contains(&limits->limit_exempt[i], address))
            return true;
    return false;
}

enum anvil_verdict anvil_session_begin(size_t slot, const char *address)
{
    if (table == NULL)
        return ANVIL_WELCOME;
    time_t now = time(NULL);
    enum anvil_verdict verdict = ANVIL_WELCOME;
    char key[ANVIL_KEY_SIZE];
    snprintf(key, sizeof key, "client %s", address);

    lock_table();
    if (!is_exempt(address)) {
        size_t sessions = 0;
        for (size_t i = 0; i < table->slot_count; i++)
            if (strcmp(table->slots[i].address, address) == 0)
                sessions++;
        /* A refused connection counts towards the rate too: a client that
         * hammers the door must slow down, not just wait for a turn. */
        struct anvil_record *r = find_record(key, now);
        if (now - r->connections_since >= ANVIL_RATE_WINDOW_SECONDS) {
            r->connections_since = now;
            r->connections = 0;
        }
        r->connections++;
        if (limits->max_per_client > 0 && sessions >= limits->max_per_client)
            verdict = ANVIL_TOO_MANY;
        else if (limits->max_rate_per_client > 0 &&
                 r->connections > limits->max_rate_per_client)
            verdict = ANVIL_TOO_MANY_A_MIN;
    }
    if (verdict == ANVIL_WELCOME && slot < table->slot_count)
        snprintf(table->slots[slot].address, sizeof table->slots[slot].address, "%s",
                 address);
    unlock_table();
    return verdict;
}

void anvil_session_end(size_t slot)
{
    if (table == NULL || slot >= table->slot_count)
        return;
    lock_table();
    table->slots[slot].address[0] = '\0';
    unlock_table();
}

void anvil_turned_away(void)
{
    if (table == NULL)
        return;
    lock_table();
    table->turned_away = time(NULL);
    unlock_table();
}

bool anvil_under_stress(void)
{
    if (table == NULL)
        return false;
    size_t busy = 0;
    lock_table();
    bool recently = table->turned_away != 0 &&
                    time(NULL) - table->turned_away < ANVIL_STRESS_SECONDS;
    for (size_t i = 0; recently && i < table->slot_count; i++)
        if (table->slots[i].address[0] != '\0')
            busy++;
    unlock_table();
    return recently && busy >= table->slot_count;
}

/* The records of the address and of the user name (NULL if no name). */
static void find_pair(const char *address, const char *user, time_t now,
                      struct anvil_record **client, struct anvil_record **name)
{
    char key[ANVIL_KEY_SIZE];
    snprintf(key, sizeof key, "client %s", address);
    *client = find_record(key, now);
    *name = NULL;
    if (user != NULL) {
        snprintf(key, sizeof key, "user %s", user);
        *name = find_record(key, now);
    }
}

bool anvil_auth_begin(const char *address, const char *user)
{
    if (table == NULL)
        return true;
    time_t now = time(NULL);
    struct anvil_record *client, *name;
    lock_table();
    find_pair(address, user, now, &client, &name);
    bool allowed =
        current_failures(client, now) < limits->max_auth_failures &&
        (name == NULL || current_failures(name, now) < limits->max_auth_failures);
    if (allowed) {
        client->failures++;
        if (name != NULL)
            name->failures++;
    }
    unlock_table();
    return allowed;
}

void anvil_auth_succeeded(const char *address, const char *user)
{
    if (table == NULL)
        return;
    time_t now = time(NULL);
    struct anvil_record *client, *name;
    lock_table();
    find_pair(address, user, now, &client, &name);
    if (client->failures > 0)
        client->failures--;
    if (name != NULL && name->failures > 0)
        name->failures--;
    unlock_table();
}

void anvil_auth_failed(const char *address, const char *user)
{
    if (table == NULL)
        return;
    time_t now = time(NULL);
    struct anvil_record *client, *name;
    lock_table();
    find_pair(address, user, now, &client, &name);
    current_failures(client, now);
    client->failures++;
    if (name != NULL) {
        current_failures(name, now);
        name->failures++;
    }
    unlock_table();
}
