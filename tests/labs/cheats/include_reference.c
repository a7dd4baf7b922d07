#include "smtp_reply.c"
