/*
 * test_bounce.c - the bounce (a DSN, RFC 3464 in an RFC 6522
 * multipart/report), written to a real file and read back.
 *
 * The tests take the output apart the way a mail reader would: the message
 * header, the boundary from its Content-Type, the three parts and their
 * types, then the fields of the delivery-status part block by block. A
 * bounce that looks right but does not parse is useless to the programs
 * (mailing list managers, the sender's user agent) that read part 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"

/* 14 Nov 2023 22:13:20 UTC and five days later. */
#define ARRIVAL      ((time_t)1700000000)
#define ARRIVAL_TEXT "Tue, 14 Nov 2023 22:13:20 +0000"
#define NOW          ((time_t)1700432000)
#define NOW_TEXT     "Sun, 19 Nov 2023 22:13:20 +0000"

/* The original message: its header section, then a body that must never
 * come back in the bounce. */
static const char original_headers[] =
    "Received: from alice-laptop (localhost [127.0.0.1])\n"
    "\tby mail.alice.example with ESMTPSA; Tue, 14 Nov 2023 22:13:19 +0000\n"
    "From: Alice <alice@alice.example>\n"
    "To: Carol <carol@bob.example>, Dave <dave@dave.example>\n"
    "Subject: Lunch on Friday?\n"
    "Message-ID: <lunch.1@alice.example>\n";
static const char original_body[] = "Shall we meet at noon? SECRET-BODY-TEXT\n";

/* Two failed recipients: one refused by Bob's server, one we gave up on. */
static const struct bounce_recipient two_recipients[] = {
    {"carol@bob.example", "5.1.1", "127.0.0.2", "550 5.1.1 No such user here"},
    {"dave@dave.example", "4.4.1", NULL, "gave up after 5 days: connection refused"},
};

/* A report about them, as the queue would fill it in. */
static struct bounce_report make_report(void)
{
    struct bounce_report r = {
        .reporting_mta = "mail.alice.example",
        .from = "MAILER-DAEMON@mail.alice.example",
        .original_sender = "alice@alice.example",
        .queue_id = "Q1700000000.42",
        .arrival = ARRIVAL,
        .now = NOW,
        .recipients = two_recipients,
        .count = 2,
        .unique = "1700432000.42",
    };
    return r;
}

/* A real temp file holding text, positioned at its start. */
static FILE *file_with(const char *text, size_t len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    rewind(f);
    return f;
}

/* ------------------------------------------------------------------------
 * Reading a bounce back
 * ---------------------------------------------------------------------- */

/* One MIME part: its header section and its body (both NUL-terminated). */
struct part {
    char *headers;
    char *body;
};

/* A bounce taken apart. */
struct parsed {
    char *text; /* the whole output, malloc'd; the strings below point into copies */
    char *top_headers;  /* the message header section */
    char boundary[128]; /* from Content-Type */
    struct part parts[8];
    int count;
};

/* A malloc'd copy of [start, start+len). */
static char *copy_of(const char *start, size_t len)
{
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, start, len);
    s[len] = '\0';
    return s;
}

/* Split a header section + body at the first empty line. */
static void split_entity(const char *start, size_t len, char **headers, char **body)
{
    char *all = copy_of(start, len);
    char *gap = strstr(all, "\n\n");
    assert_non_null(gap);
    *headers = copy_of(all, (size_t)(gap - all) + 1);
    *body = copy_of(gap + 2, strlen(gap + 2));
    free(all);
}

/* Run bounce_write into a real file and parse what it wrote. */
static void write_and_parse(const struct bounce_report *report, FILE *original,
                            struct parsed *p)
{
    memset(p, 0, sizeof *p);
    FILE *out = tmpfile();
    assert_non_null(out);
    char why[256] = "";
    if (bounce_write(out, report, original, why, sizeof why) != 0)
        fail_msg("bounce_write: %s", why);
    long size = ftell(out);
    assert_true(size > 0);
    rewind(out);
    p->text = malloc((size_t)size + 1);
    assert_non_null(p->text);
    assert_int_equal(fread(p->text, 1, (size_t)size, out), (size_t)size);
    p->text[size] = '\0';
    fclose(out);

    /* LF line ends only, as the queue stores them. */
    assert_null(strchr(p->text, '\r'));
    assert_int_equal(p->text[size - 1], '\n');

    char *gap = strstr(p->text, "\n\n");
    assert_non_null(gap);
    p->top_headers = copy_of(p->text, (size_t)(gap - p->text) + 1);
    const char *b = strstr(p->top_headers, "boundary=\"");
    assert_non_null(b);
    b += strlen("boundary=\"");
    const char *end = strchr(b, '"');
    assert_non_null(end);
    assert_true(end - b > 0 && end - b <= 70); /* RFC 2046 §5.1.1 */
    memcpy(p->boundary, b, (size_t)(end - b));

    /* Each part runs from after "--boundary\n" to before "\n--boundary";
     * the last one is followed by "--boundary--\n" and the end. */
    char delimiter[160], close[160];
    snprintf(delimiter, sizeof delimiter, "\n--%s\n", p->boundary);
    snprintf(close, sizeof close, "\n--%s--\n", p->boundary);
    char *at = strstr(gap, delimiter);
    assert_non_null(at);
    for (;;) {
        char *start = at + strlen(delimiter);
        char *next = strstr(start, delimiter);
        char *last = strstr(start, close);
        assert_non_null(last);
        char *stop = next != NULL && next < last ? next : last;
        assert_true(p->count < 8);
        split_entity(start, (size_t)(stop - start), &p->parts[p->count].headers,
                     &p->parts[p->count].body);
        p->count++;
        if (stop == last) {
            assert_string_equal(last, close); /* nothing after the end */
            break;
        }
        at = next;
    }
}

/* Free what write_and_parse allocated. */
static void free_parsed(struct parsed *p)
{
    for (int i = 0; i < p->count; i++) {
        free(p->parts[i].headers);
        free(p->parts[i].body);
    }
    free(p->top_headers);
    free(p->text);
}

/* Does the header section hold this exact line? */
static void expect_line(const char *section, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = section; (p = strstr(p, line)) != NULL; p++)
        if ((p == section || p[-1] == '\n') && p[n] == '\n')
            return;
    fail_msg("no line \"%s\" in:\n%s", line, section);
}

/* The delivery-status body cut into its blocks at empty lines. */
static int status_blocks(const char *body, char blocks[][1024], int max)
{
    int n = 0;
    const char *p = body;
    while (*p && n < max) {
        const char *gap = strstr(p, "\n\n");
        size_t len = gap ? (size_t)(gap - p) + 1 : strlen(p);
        assert_true(len < 1024);
        memcpy(blocks[n], p, len);
        blocks[n][len] = '\0';
        n++;
        p += len + (gap ? 1 : 0);
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------- */

/* The whole bounce: header, three parts of the right types, every field. */
static void test_whole_report(void **state)
{
    (void)state;
    char message[1024];
    snprintf(message, sizeof message, "%s\n%s", original_headers, original_body);
    FILE *original = file_with(message, strlen(message));
    struct bounce_report report = make_report();
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);

    /* The message header (RFC 5322, RFC 6522, RFC 3834 §5). */
    expect_line(p.top_headers,
                "From: Mail Delivery System <MAILER-DAEMON@mail.alice.example>");
    expect_line(p.top_headers, "To: alice@alice.example");
    expect_line(p.top_headers, "Subject: Undelivered Mail Returned to Sender");
    expect_line(p.top_headers, "Date: " NOW_TEXT);
    expect_line(p.top_headers, "Message-ID: <bounce.1700432000_42@mail.alice.example>");
    expect_line(p.top_headers, "MIME-Version: 1.0");
    expect_line(p.top_headers,
                "Content-Type: multipart/report; report-type=delivery-status;");
    expect_line(p.top_headers, "Auto-Submitted: auto-replied");
    assert_null(strstr(p.top_headers, "Content-Transfer-Encoding")); /* all 7-bit */
    assert_non_null(strstr(p.boundary, "1700432000.42"));

    /* Three parts, in the order RFC 6522 requires. */
    assert_int_equal(p.count, 3);
    expect_line(p.parts[0].headers, "Content-Type: text/plain; charset=us-ascii");
    expect_line(p.parts[1].headers, "Content-Type: message/delivery-status");
    expect_line(p.parts[2].headers, "Content-Type: text/rfc822-headers");

    /* Part 1 names each recipient and why, for a person. */
    const char *human = p.parts[0].body;
    assert_non_null(strstr(human, "<carol@bob.example>"));
    assert_non_null(strstr(human, "127.0.0.2"));
    assert_non_null(strstr(human, "550 5.1.1 No such user here"));
    assert_non_null(strstr(human, "<dave@dave.example>"));
    assert_non_null(strstr(human, "gave up after 5 days: connection refused"));
    assert_non_null(strstr(human, "Q1700000000.42"));
    assert_non_null(strstr(human, ARRIVAL_TEXT));

    /* Part 2: one block for the message, one per recipient (RFC 3464 §2). */
    char blocks[4][1024];
    assert_int_equal(status_blocks(p.parts[1].body, blocks, 4), 3);
    assert_string_equal(blocks[0], "Reporting-MTA: dns; mail.alice.example\n"
                                   "Arrival-Date: " ARRIVAL_TEXT "\n"
                                   "X-Mailwalk-Queue-ID: Q1700000000.42\n");
    assert_string_equal(blocks[1],
                        "Final-Recipient: rfc822; carol@bob.example\n"
                        "Action: failed\n"
                        "Status: 5.1.1\n"
                        "Remote-MTA: dns; [127.0.0.2]\n"
                        "Diagnostic-Code: smtp; 550 5.1.1 No such user here\n"
                        "Last-Attempt-Date: " NOW_TEXT "\n");
    /* We gave up ourselves: no Remote-MTA, and our reason is no SMTP reply. */
    assert_string_equal(blocks[2], "Final-Recipient: rfc822; dave@dave.example\n"
                                   "Action: failed\n"
                                   "Status: 4.4.1\n"
                                   "Diagnostic-Code: X-Mailwalk; gave up after 5 days: "
                                   "connection refused\n"
                                   "Last-Attempt-Date: " NOW_TEXT "\n");

    /* Part 3: the header section exactly, and not one byte of the body. */
    assert_string_equal(p.parts[2].body, original_headers);
    assert_null(strstr(p.text, "SECRET-BODY-TEXT"));
    free_parsed(&p);
}

/* A message stored with CR LF: the copied headers have LF only. */
static void test_crlf_input(void **state)
{
    (void)state;
    char message[2048];
    size_t n = 0;
    for (const char *s = original_headers; *s; s++) {
        if (*s == '\n')
            message[n++] = '\r';
        message[n++] = *s;
    }
    n += (size_t)sprintf(message + n, "\r\n%s\r\n", "SECRET-BODY-TEXT");
    FILE *original = file_with(message, n);
    struct bounce_report report = make_report();
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);
    assert_int_equal(p.count, 3);
    assert_string_equal(p.parts[2].body, original_headers);
    assert_null(strstr(p.text, "SECRET-BODY-TEXT"));
    free_parsed(&p);
}

/* 200 KB of header lines: cut at 64 KB, at a line end, and the MIME
 * structure after it is whole. */
static void test_huge_headers_cut(void **state)
{
    (void)state;
    enum { LINE = 100, LINES = 2048 }; /* 204800 octets */
    char *message = malloc(LINE * LINES + 64);
    assert_non_null(message);
    size_t n = 0;
    for (int i = 0; i < LINES; i++) {
        n += (size_t)sprintf(message + n, "X-Filler-%05d: ", i);
        memset(message + n, 'a', LINE - 17);
        n += LINE - 17;
        message[n++] = '\n';
    }
    n += (size_t)sprintf(message + n, "\nSECRET-BODY-TEXT\n");
    FILE *original = file_with(message, n);
    free(message);

    struct bounce_report report = make_report();
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);
    assert_int_equal(p.count, 3);
    const char *copied = p.parts[2].body;
    size_t len = strlen(copied);
    assert_true(len <= BOUNCE_MAX_HEADERS);
    assert_true(len > BOUNCE_MAX_HEADERS - LINE);
    assert_int_equal(len % LINE, 0); /* whole lines only */
    for (size_t i = 0; i < len; i += LINE) {
        char want[32];
        snprintf(want, sizeof want, "X-Filler-%05zu: a", i / LINE);
        assert_memory_equal(copied + i, want, strlen(want));
        assert_int_equal(copied[i + LINE - 1], '\n');
    }
    assert_non_null(strstr(p.parts[0].body, "cut at 64 KB"));
    assert_null(strstr(p.text, "SECRET-BODY-TEXT"));
    free_parsed(&p);
}

/* A header section that fits exactly is not cut; one with no final line
 * end and no body is ended with one. */
static void test_headers_only_message(void **state)
{
    (void)state;
    FILE *original = file_with("Subject: hi\nFrom: a@b.example", 29);
    struct bounce_report report = make_report();
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);
    assert_string_equal(p.parts[2].body, "Subject: hi\nFrom: a@b.example\n");
    assert_null(strstr(p.parts[0].body, "cut at"));
    free_parsed(&p);
}

/* Status codes, Remote-MTA names and replies that need care. */
static void test_field_details(void **state)
{
    (void)state;
    const struct bounce_recipient odd[] = {
        /* no status: RFC 3461 §6.3 (g) says 5.0.0 */
        {"a@x.example", NULL, "mx.x.example", "550 no"},
        /* not an RFC 3463 code (leading zero; success class) */
        {"b@x.example", "5.1.01", "::1", "550-first line\r\n550 second line"},
        {"c@x.example", "2.0.0", NULL, "554 ok\nX-Injected: yes"},
    };
    struct bounce_report report = make_report();
    report.recipients = odd;
    report.count = 3;
    FILE *original = file_with("Subject: x\n\nbody\n", 17);
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);

    char blocks[5][1024];
    assert_int_equal(status_blocks(p.parts[1].body, blocks, 5), 4);
    expect_line(blocks[1], "Status: 5.0.0");
    expect_line(blocks[1], "Remote-MTA: dns; mx.x.example");
    expect_line(blocks[2], "Status: 5.0.0");
    expect_line(blocks[2], "Remote-MTA: dns; [IPv6:::1]");
    /* A multi-line reply continues on lines that start with a space
     * (RFC 3461 §9.2). */
    assert_non_null(strstr(
        blocks[2], "\nDiagnostic-Code: smtp; 550-first line\n 550 second line\n"));
    expect_line(blocks[3], "Status: 5.0.0");
    /* A line break in a reply cannot start a field of its own. */
    assert_non_null(
        strstr(blocks[3], "Diagnostic-Code: smtp; 554 ok\n X-Injected: yes\n"));
    assert_null(strstr(p.text, "\nX-Injected"));
    free_parsed(&p);
}

/* Headers that contain our boundary: another boundary is chosen. */
static void test_boundary_not_in_headers(void **state)
{
    (void)state;
    const char *message = "Subject: tricky\n"
                          "--=_mailwalk_1700432000.42\n"
                          "X-Also: =_mailwalk_1700432000.42_1\n"
                          "\n"
                          "body\n";
    FILE *original = file_with(message, strlen(message));
    struct bounce_report report = make_report();
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);
    assert_string_equal(p.boundary, "=_mailwalk_1700432000.42_2");
    assert_int_equal(p.count, 3);
    assert_string_equal(p.parts[2].body, "Subject: tricky\n"
                                         "--=_mailwalk_1700432000.42\n"
                                         "X-Also: =_mailwalk_1700432000.42_1\n");
    free_parsed(&p);
}

/* Non-ASCII (SMTPUTF8) addresses and headers are labelled 8bit. */
static void test_8bit_labelled(void **state)
{
    (void)state;
    const struct bounce_recipient utf8[] = {
        {"j\xc3\xb6rg@bob.example", "5.1.1", "127.0.0.2", "550 5.1.1 unknown"},
    };
    struct bounce_report report = make_report();
    report.recipients = utf8;
    report.count = 1;
    FILE *original = file_with("Subject: caf\xc3\xa9\n\nbody\n", 20);
    struct parsed p;
    write_and_parse(&report, original, &p);
    fclose(original);
    expect_line(p.top_headers, "Content-Transfer-Encoding: 8bit");
    expect_line(p.parts[0].headers, "Content-Type: text/plain; charset=utf-8");
    expect_line(p.parts[2].headers, "Content-Transfer-Encoding: 8bit");
    assert_string_equal(p.parts[2].body, "Subject: caf\xc3\xa9\n");
    expect_line(p.parts[1].body, "Final-Recipient: rfc822; j\xc3\xb6rg@bob.example");
    free_parsed(&p);
}

/* No original at hand: a two-part report (part 3 is optional). */
static void test_without_original(void **state)
{
    (void)state;
    struct bounce_report report = make_report();
    struct parsed p;
    write_and_parse(&report, NULL, &p);
    assert_int_equal(p.count, 2);
    expect_line(p.parts[1].headers, "Content-Type: message/delivery-status");
    free_parsed(&p);
}

/* RFC 5321 §6.1: a message from <> never gets a bounce. */
static void test_no_bounce_for_null_sender(void **state)
{
    (void)state;
    static const char *const nulls[] = {"", "<>"};
    for (size_t i = 0; i < 2; i++) {
        struct bounce_report report = make_report();
        report.original_sender = nulls[i];
        FILE *out = tmpfile();
        assert_non_null(out);
        char why[256] = "";
        assert_int_equal(bounce_write(out, &report, NULL, why, sizeof why), -1);
        assert_non_null(strstr(why, "null reverse-path <>"));
        assert_int_equal(ftell(out), 0); /* nothing written */
        fclose(out);
    }
}

/* A full disk: -1, and why says so. */
static void test_write_error(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/full", "w");
    assert_non_null(out);
    FILE *original = file_with(original_headers, strlen(original_headers));
    struct bounce_report report = make_report();
    char why[256] = "";
    assert_int_equal(bounce_write(out, &report, original, why, sizeof why), -1);
    assert_string_equal(why, "writing the bounce: No space left on device");
    fclose(original);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_report),
        cmocka_unit_test(test_crlf_input),
        cmocka_unit_test(test_huge_headers_cut),
        cmocka_unit_test(test_headers_only_message),
        cmocka_unit_test(test_field_details),
        cmocka_unit_test(test_boundary_not_in_headers),
        cmocka_unit_test(test_8bit_labelled),
        cmocka_unit_test(test_without_original),
        cmocka_unit_test(test_no_bounce_for_null_sender),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
