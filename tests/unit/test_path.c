/*
 * test_path.c - path_parse(), the reader for the <address> of MAIL and RCPT.
 *
 * Each test names the RFC 5321 §4.1.2 rule it exercises. A path parser is
 * where servers go wrong quietly (accepting garbage, or refusing the odd
 * but legal), so both directions are tested: what must pass and what must
 * be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "path.h"

/* Parse text and expect `want`; on PATH_OK/PATH_NULL return the rest. */
static const char *parse_expect(const char *text, enum path_result want,
                                struct mailbox_address *out)
{
    const char *rest = NULL;
    enum path_result got = path_parse(text, out, &rest);
    if (got != want)
        fail_msg("path_parse(\"%s\") = %d, want %d", text, got, want);
    return rest;
}

/* A plain <local@domain>: split into its parts, *rest after the '>'. */
static void test_simple_mailbox(void **state)
{
    (void)state;
    struct mailbox_address a;
    const char *rest = parse_expect("<bob@bob.example>", PATH_OK, &a);
    assert_string_equal(a.local, "bob");
    assert_string_equal(a.domain, "bob.example");
    assert_false(a.utf8);
    assert_string_equal(rest, "");

    rest = parse_expect("<alice.smith+tag@mail.alice.example> SIZE=10", PATH_OK, &a);
    assert_string_equal(a.local, "alice.smith+tag");
    assert_string_equal(a.domain, "mail.alice.example");
    assert_string_equal(rest, " SIZE=10");

    char buf[300];
    path_format(&a, buf, sizeof buf);
    assert_string_equal(buf, "alice.smith+tag@mail.alice.example");
}

/* §4.1.2: the null reverse-path "<>", used by bounces. */
static void test_null_path(void **state)
{
    (void)state;
    struct mailbox_address a;
    const char *rest = parse_expect("<>", PATH_NULL, &a);
    assert_string_equal(rest, "");
    assert_string_equal(a.local, "");
    rest = parse_expect("<> BODY=8BITMIME", PATH_NULL, &a);
    assert_string_equal(rest, " BODY=8BITMIME");
}

/* §4.1.2 A-d-l and Appendix C: a source route is accepted, then ignored. */
static void test_source_route(void **state)
{
    (void)state;
    struct mailbox_address a;
    parse_expect("<@relay.example:bob@bob.example>", PATH_OK, &a);
    assert_string_equal(a.local, "bob");
    assert_string_equal(a.domain, "bob.example");
    parse_expect("<@one.example,@two.example:bob@bob.example>", PATH_OK, &a);
    assert_string_equal(a.domain, "bob.example");

    parse_expect("<@relay.example bob@bob.example>", PATH_SYNTAX, &a); /* no ':' */
    parse_expect("<@:bob@bob.example>", PATH_SYNTAX, &a);              /* no domain */
    parse_expect("<@a.example,:bob@bob.example>", PATH_SYNTAX, &a);
}

/* §4.1.2 Quoted-string: spaces and specials are legal inside quotes. */
static void test_quoted_local_part(void **state)
{
    (void)state;
    struct mailbox_address a;
    parse_expect("<\"john smith\"@bob.example>", PATH_OK, &a);
    assert_string_equal(a.local, "\"john smith\"");
    parse_expect("<\"a\\\"b\"@bob.example>", PATH_OK, &a); /* quoted-pairSMTP */
    assert_string_equal(a.local, "\"a\\\"b\"");
    parse_expect("<\"a@b\"@bob.example>", PATH_OK, &a);
    assert_string_equal(a.domain, "bob.example");

    parse_expect("<\"unterminated@bob.example>", PATH_SYNTAX, &a);
    parse_expect("<\"tab\there\"@bob.example>", PATH_SYNTAX, &a); /* control char */
    parse_expect("<\"x\\\x01\"@bob.example>", PATH_SYNTAX, &a);   /* bad quoted pair */
}

/* §4.1.3 address literals: IPv4, IPv6; anything else is refused here. */
static void test_address_literals(void **state)
{
    (void)state;
    struct mailbox_address a;
    parse_expect("<bob@[192.0.2.1]>", PATH_OK, &a);
    assert_string_equal(a.domain, "[192.0.2.1]");
    parse_expect("<bob@[IPv6:2001:db8::1]>", PATH_OK, &a);
    assert_string_equal(a.domain, "[IPv6:2001:db8::1]");

    parse_expect("<bob@[192.0.2.256]>", PATH_SYNTAX, &a);
    parse_expect("<bob@[2001:db8::1]>", PATH_SYNTAX, &a); /* no IPv6: tag */
    parse_expect("<bob@[IPv6:nonsense]>", PATH_SYNTAX, &a);
    parse_expect("<bob@[192.0.2.1>", PATH_SYNTAX, &a);
    parse_expect("<bob@[192.0.2.1]x>", PATH_SYNTAX, &a);
}

/* Things that are not paths at all: 501 material. */
static void test_bad_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                 /* nothing */
        "bob@bob.example",  /* no angle brackets */
        "<bob@bob.example", /* no closing '>' */
        "<bob>",            /* no domain */
        "<@bob.example>",   /* no local part */
        "<bob@>",           /* empty domain */
        "<bob@@bob.example>",
        "<.bob@bob.example>",      /* Dot-string cannot start with '.' */
        "<bob.@bob.example>",      /* ...or end with one */
        "<bo..b@bob.example>",     /* ...or have two in a row */
        "<bob smith@bob.example>", /* space outside quotes */
        "<bob@bob..example>",
        "<bob@bob.example.>",  /* trailing dot */
        "<bob@-bob.example>",  /* sub-domain starts with Let-dig */
        "<bob@bob-.example>",  /* ...and does not end with '-' */
        "<bob@bob_x.example>", /* '_' is not in Ldh-str */
        "<bob(comment)@bob.example>",
        "< bob@bob.example>",
        "<bob@bob.example >",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mailbox_address a;
        parse_expect(bad[i], PATH_SYNTAX, &a);
    }
}

/* Build "<" local "@" domain ">" with parts of the given lengths. */
static void make_path(char *buf, size_t local_len, size_t domain_labels)
{
    char *p = buf;
    *p++ = '<';
    memset(p, 'a', local_len);
    p += local_len;
    *p++ = '@';
    /* labels "bbbbbbbbb." (10 octets each), then "example" */
    for (size_t i = 0; i < domain_labels; i++) {
        memcpy(p, "bbbbbbbbb.", 10);
        p += 10;
    }
    memcpy(p, "example>", 9);
}

/* §4.5.3.1: local part 64, domain 255, whole path 256 octets at most. */
static void test_length_limits(void **state)
{
    (void)state;
    char buf[1024];
    struct mailbox_address a;

    make_path(buf, SMTP_MAX_LOCAL_PART, 1); /* exactly 64: fine */
    parse_expect(buf, PATH_OK, &a);
    assert_int_equal(strlen(a.local), SMTP_MAX_LOCAL_PART);

    make_path(buf, SMTP_MAX_LOCAL_PART + 1, 1);
    parse_expect(buf, PATH_TOO_LONG, &a);

    /* < + 64 + @ + 18*10 + "example" + > = 254 octets: fine */
    make_path(buf, 64, 18);
    assert_int_equal(strlen(buf), 254);
    parse_expect(buf, PATH_OK, &a);

    /* 10 more: 264 octets, over the 256 of a path */
    make_path(buf, 64, 19);
    parse_expect(buf, PATH_TOO_LONG, &a);

    /* A 267-octet domain: refused (the path is over 256 too, as any
     * path with a domain over 255 must be). */
    make_path(buf, 1, 26);
    parse_expect(buf, PATH_TOO_LONG, &a);
}

/* RFC 6531 §3.3: UTF-8 is flagged, so the caller can demand SMTPUTF8. */
static void test_utf8_flag(void **state)
{
    (void)state;
    struct mailbox_address a;
    parse_expect("<j\xc3\xb6rg@bob.example>", PATH_OK, &a);
    assert_true(a.utf8);
    assert_string_equal(a.local, "j\xc3\xb6rg");

    parse_expect("<bob@b\xc3\xbc"
                 "cher.example>",
                 PATH_OK, &a);
    assert_true(a.utf8);

    parse_expect("<\"j\xc3\xb6rg\"@bob.example>", PATH_OK, &a);
    assert_true(a.utf8);

    parse_expect("<bob@bob.example>", PATH_OK, &a);
    assert_false(a.utf8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_mailbox),
        cmocka_unit_test(test_null_path),
        cmocka_unit_test(test_source_route),
        cmocka_unit_test(test_quoted_local_part),
        cmocka_unit_test(test_address_literals),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_utf8_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
