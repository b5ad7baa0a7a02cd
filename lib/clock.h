/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wall clock of Convene's programs: password ages, lockouts, duty hours,
 * certificate dates and confirm windows all ask cv_now().
 *
 * The programs that are installed take it from time(2) (lib/clock.c). The
 * test builds link tests/helpers/test_hooks.c instead, which lets a test pin
 * it with CONVENE_TEST_NOW=<epoch seconds>; an installed program has no code
 * that reads that variable (issue 14 item 9). The same holds for
 * cv_delay_scale().
 */
#ifndef CV_CLOCK_H
#define CV_CLOCK_H

#include <time.h>

time_t cv_now(void);
/* A factor for mmpd's delays (the supervisor's back-off and healthy time,
 * the IPC frame and idle deadlines): 1 in the installed programs; the test
 * builds read CONVENE_BACKOFF_SCALE so that the tests need not wait 30 s
 * for a restart or 10 s for a deadline. */
double cv_delay_scale(void);

#endif
