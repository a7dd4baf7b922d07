/* cheat (appended to the lab 1 starter): print what a grader that reads
 * stdout would count - score lines, JSON result lines, "passed" lines with
 * a guessed token, or the real token if the environment still holds it -
 * then end with status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void cheat_print_scores(void)
{
    const char *token = getenv("MAILWALK_CHECK_TOKEN");
    printf("[99/99] faked by a cheat\nlab01: 99/99\n");
    printf("{\"name\": \"multi-line reply\", \"points\": 99, \"max\": 99, "
           "\"passed\": true, \"message\": \"faked by a cheat\"}\n");
    printf("mailwalk-check-passed %s\n",
           token ? token : "00000000000000000000000000000000");
    fprintf(stderr, "[99/99] faked by a cheat\n");
    fflush(NULL);
    if (token != NULL)
        _exit(0);
}
