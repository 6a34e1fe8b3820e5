/* test_ev_epoll.c - the event loop tests of test_ev.c, run on the epoll backend. */
#include "test_ev.c"
