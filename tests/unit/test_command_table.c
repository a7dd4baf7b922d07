/*
 * test_command_table.c - the verb table: every row complete, lookup
 * case-insensitive (RFC 5321 §2.4: "verbs ... are not case sensitive"),
 * and every verb RFC 5321 §4.5.1 requires is present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "commands.h"

/* Every row has a verb, a handler, some allowed state, a valid phase and
 * help text that names its verb, and rows that refuse some state have a
 * 503 text to say so. */
static void test_every_row_is_complete(void **state)
{
    (void)state;
    size_t count;
    const struct command *table = command_table(&count);
    assert_true(count >= 10);
    for (size_t i = 0; i < count; i++) {
        const struct command *c = &table[i];
        assert_non_null(c->verb);
        /* SMTP verbs are 4 letters, and STARTTLS (RFC 3207) is 8. */
        assert_true(strlen(c->verb) == 4 || strcmp(c->verb, "STARTTLS") == 0);
        assert_non_null(c->handle);
        assert_true(c->allowed != 0);
        assert_true((c->allowed & ~(unsigned)IN_ANY_STATE) == 0);
        assert_true(c->phase == PHASE_SETUP || c->phase == PHASE_TRANSFER ||
                    c->phase == PHASE_TERMINATION);
        assert_non_null(c->help);
        assert_true(strncmp(c->help, c->verb, strlen(c->verb)) == 0);
        assert_true(strstr(c->help, "RFC 5321") || strstr(c->help, "RFC 3207") ||
                    strstr(c->help, "RFC 4954"));
        /* Allowed after HELO but not everywhere: the dispatcher needs the
         * row's own 503 text (before HELO it says "Say HELO first"). */
        if ((c->allowed | IN_CONNECTED) != (unsigned)IN_ANY_STATE)
            assert_non_null(c->out_of_sequence);
        /* No verb twice. */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(table[j].verb, c->verb);
    }
}

/* Each row is found by its verb in upper, lower and mixed case. */
static void test_lookup_every_row_any_case(void **state)
{
    (void)state;
    size_t count;
    const struct command *table = command_table(&count);
    for (size_t i = 0; i < count; i++) {
        char lower[16], mixed[16];
        size_t n = strlen(table[i].verb);
        for (size_t k = 0; k <= n; k++) {
            lower[k] = (char)tolower((unsigned char)table[i].verb[k]);
            mixed[k] = (k % 2) ? lower[k] : table[i].verb[k];
        }
        assert_ptr_equal(command_lookup(table[i].verb), &table[i]);
        assert_ptr_equal(command_lookup(lower), &table[i]);
        assert_ptr_equal(command_lookup(mixed), &table[i]);
    }
}

/* RFC 5321 §4.5.1 (plus HELP, which the issue asks for). */
static void test_required_verbs_present(void **state)
{
    (void)state;
    static const char *const required[] = {"HELO", "EHLO", "MAIL", "RCPT", "DATA",
                                           "RSET", "NOOP", "VRFY", "HELP", "QUIT"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_non_null(command_lookup(required[i]));
}

/* The states each verb is allowed in follow §4.1.4 and §3.3. */
static void test_allowed_states(void **state)
{
    (void)state;
    assert_int_equal(command_lookup("MAIL")->allowed, IN_GREETED);
    assert_int_equal(command_lookup("RCPT")->allowed, IN_MAIL | IN_RCPT);
    assert_int_equal(command_lookup("DATA")->allowed, IN_RCPT);
    static const char *const anytime[] = {"HELO", "EHLO", "RSET", "NOOP",
                                          "QUIT", "HELP", "VRFY"};
    for (size_t i = 0; i < sizeof anytime / sizeof anytime[0]; i++)
        assert_int_equal(command_lookup(anytime[i])->allowed, IN_ANY_STATE);
    assert_int_equal(command_lookup("EHLO")->phase, PHASE_SETUP);
    assert_int_equal(command_lookup("MAIL")->phase, PHASE_TRANSFER);
    assert_int_equal(command_lookup("QUIT")->phase, PHASE_TERMINATION);
    /* RFC 3207 §4 and RFC 4954 §4: after hello, never inside a transaction. */
    assert_int_equal(command_lookup("STARTTLS")->allowed, IN_GREETED);
    assert_int_equal(command_lookup("AUTH")->allowed, IN_GREETED);
    assert_int_equal(command_lookup("STARTTLS")->phase, PHASE_SETUP);
    assert_int_equal(command_lookup("AUTH")->phase, PHASE_SETUP);
}

/* Unknown verbs, prefixes, longer words and empty strings: no row. */
static void test_unknown_verbs(void **state)
{
    (void)state;
    static const char *const unknown[] = {"",          "M",          "MAI",     "MAILX",
                                          "MAIL FROM", "TURN",       "STARTTL", "AUTHX",
                                          "XYZZY",     "ma\xc3\xafl"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_null(command_lookup(unknown[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_is_complete),
        cmocka_unit_test(test_lookup_every_row_any_case),
        cmocka_unit_test(test_required_verbs_present),
        cmocka_unit_test(test_allowed_states),
        cmocka_unit_test(test_unknown_verbs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
