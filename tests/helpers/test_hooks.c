// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test builds' lib/clock.h: linked into test programs (and the test
 * build of mmpd, tests/helpers/mmpd-test) ahead of libconvene.a, so the
 * linker takes these definitions and never pulls lib/clock.c. Installed
 * programs link lib/clock.c, which reads no environment variable.
 *
 *   CONVENE_TEST_NOW=<epoch seconds>   pins cv_now() (golden transcripts)
 *   CONVENE_BACKOFF_SCALE=<factor>     in (0, 100]: cv_delay_scale()
 *
 * A malformed value is ignored (the real clock, factor 1) with a line on
 * stderr, so a typo in a test shows.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/clock.h"
#include "lib/parse.h"

time_t cv_now(void)
{
	const char *s = getenv("CONVENE_TEST_NOW");
	unsigned long v;

	if (!s)
		return time(NULL);
	if (cv_parse_ulong(s, 0, 0x7fffffffffUL, &v) == 0)
		return (time_t)v;
	fprintf(stderr, "test_hooks: ignoring CONVENE_TEST_NOW=\"%s\"\n", s);
	return time(NULL);
}

double cv_delay_scale(void)
{
	const char *e = getenv("CONVENE_BACKOFF_SCALE");
	char *end;
	double x;

	if (!e || !*e)
		return 1.0;
	errno = 0;
	x = strtod(e, &end);
	if (errno || *end || !isfinite(x) || x <= 0 || x > 100) {
		fprintf(stderr, "test_hooks: ignoring CONVENE_BACKOFF_SCALE=\"%s\"\n", e);
		return 1.0;
	}
	return x;
}
