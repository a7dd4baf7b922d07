/*
 * fuzz_bounce.c - the bounce builder (server/bounce.c): a delivery status
 * notification (RFC 3464 in an RFC 6522 multipart/report) made of what
 * other people control - the sender's address, a remote server's reply,
 * and the header section of the message that failed.
 *
 * Input: lines, then the original message:
 *   line 1      the original sender (the bounce's To:)
 *   lines 2-5   recipient 1: address, status, remote MTA, diagnostic
 *   lines 6-9   recipient 2, the same (left out when its address is empty)
 *   the rest    the failed message, read for its header section
 * A remote MTA or diagnostic of "-" means none (NULL). Each field is cut to
 * the size the queue really keeps (queue.h), as bounce_write() only ever
 * gets those.
 *
 * Checks, for any input:
 *  - bounce_write() refuses <> and "" as the sender, and nothing else;
 *  - the boundary occurs only as the part delimiters: 3 of them and the
 *    closing one, or 2 and the closing one with no header part (RFC 2046
 *    §5.1.1: it "must not appear inside any of the encapsulated parts");
 *  - before the copied headers, every line is at most 998 octets
 *    (RFC 5322 §2.1.1) and holds no CR, NUL or other control character:
 *    a remote reply cannot add lines or header fields to the report;
 *  - the bounce stays small: the copy of the headers is capped.
 */
#include "bounce.h"
#include "fuzz.h"
#include "queue.h"

#define FIELDS 9

/* Split off the next line of data (at most cap - 1 octets kept). */
static void next_field(const uint8_t **data, size_t *size, char *out, size_t cap)
{
    const uint8_t *lf = memchr(*data, '\n', *size);
    size_t len = lf ? (size_t)(lf - *data) : *size;
    size_t kept = len < cap - 1 ? len : cap - 1;
    memcpy(out, *data, kept);
    out[kept] = '\0';
    size_t used = lf ? len + 1 : len;
    *data += used;
    *size -= used;
}

/* How often needle occurs in text[0..len). */
static int occurrences(const char *text, size_t len, const char *needle)
{
    int n = 0;
    size_t k = strlen(needle);
    for (size_t i = 0; k <= len && i <= len - k; i++)
        n += memcmp(text + i, needle, k) == 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The sizes the queue keeps (struct queue_recipient, queue_entry). */
    static const size_t caps[FIELDS] = {SMTP_MAX_PATH + 1,
                                        SMTP_MAX_PATH + 1,
                                        16,
                                        256,
                                        512,
                                        SMTP_MAX_PATH + 1,
                                        16,
                                        256,
                                        512};
    char fields[FIELDS][512];
    for (int i = 0; i < FIELDS; i++)
        next_field(&data, &size, fields[i], caps[i]);

    struct bounce_recipient recipients[2];
    for (int i = 0; i < 2; i++) {
        recipients[i].address = fields[1 + 4 * i];
        recipients[i].status = fields[2 + 4 * i];
        recipients[i].remote_mta =
            strcmp(fields[3 + 4 * i], "-") ? fields[3 + 4 * i] : NULL;
        recipients[i].diagnostic =
            strcmp(fields[4 + 4 * i], "-") ? fields[4 + 4 * i] : NULL;
    }
    struct bounce_report report = {
        .reporting_mta = "mail.alice.example",
        .from = "MAILER-DAEMON@mail.alice.example",
        .original_sender = fields[0],
        .queue_id = "1763900000.M42P7Q1.mail",
        .arrival = 1763900000,
        .now = 1764000000,
        .recipients = recipients,
        .count = fields[5][0] ? 2 : 1,
        .unique = "1764000000.M1P2Q3.mail",
    };

    static const char empty[1];
    FILE *original =
        fmemopen(size ? (void *)data : (void *)empty, size ? size : 1, "r");
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    FUZZ_CHECK(original != NULL && out != NULL);
    char why[512] = "";
    int result = bounce_write(out, &report, original, why, sizeof why);
    fclose(original);
    FUZZ_CHECK(fclose(out) == 0);

    bool no_sender = strcmp(fields[0], "") == 0 || strcmp(fields[0], "<>") == 0;
    FUZZ_CHECK((result == -1) == no_sender);
    if (result != 0) {
        FUZZ_CHECK(why[0] != '\0');
        free(text);
        return 0;
    }

    FUZZ_CHECK(text_len <= BOUNCE_MAX_HEADERS + 32 * 1024);
    /* The boundary from our own Content-Type (the fields may say
     * "boundary=" too). */
    static const char type[] = "\nContent-Type: multipart/report; "
                               "report-type=delivery-status;\n boundary=\"";
    const char *b = strstr(text, type);
    FUZZ_CHECK(b != NULL);
    b += strlen(type);
    char delimiter[128] = "\n--";
    size_t blen = strcspn(b, "\"");
    FUZZ_CHECK(blen > 0 && blen <= 70); /* RFC 2046 §5.1.1: at most 70 */
    strncat(delimiter, b, blen);
    int delimiters = occurrences(text, text_len, delimiter);

    /* Where the copied headers start, if there is a third part. */
    char part3_start[200];
    snprintf(part3_start, sizeof part3_start, "%s\nContent-Type: text/rfc822-headers\n",
             delimiter);
    const char *part3 = strstr(text, part3_start);
    FUZZ_CHECK(delimiters == (part3 ? 4 : 3));
    size_t checked = part3 ? (size_t)(part3 - text) : text_len;
    size_t line_len = 0;
    for (size_t i = 0; i < checked; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            line_len = 0;
            continue;
        }
        FUZZ_CHECK(c >= 0x20 || c == '\t');
        FUZZ_CHECK(c != 0x7f);
        FUZZ_CHECK(++line_len <= 998);
    }
    free(text);
    return 0;
}
