/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small TAP harness for the unit tests: automake's tap-driver.sh reads
 * the "ok N - ..." lines and the closing plan "1..N". Each check prints one
 * line; a failed check adds "# " diagnostic lines with what was expected.
 * Header-only, so every test program has its own counters.
 */
#ifndef CV_TAP_H
#define CV_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
	do {                                                                                       \
		int ok_c_ = !!(cond);                                                              \
		tap_n++;                                                                           \
		if (!ok_c_)                                                                        \
			tap_failed++;                                                              \
		printf("%sok %d - ", ok_c_ ? "" : "not ", tap_n);                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!ok_c_)                                                                        \
			printf("# failed at %s:%d\n", __FILE__, __LINE__);                         \
		fflush(stdout);                                                                    \
	} while (0)

/* Prints "# <label>"<s>"" with control characters escaped, whatever its length. */
static inline void tap_diag_str(const char *label, const char *s)
{
	printf("# %s", label);
	if (!s) {
		printf("(null)\n");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			printf("\\n");
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                           \
		ok(same_, __VA_ARGS__);                                                            \
		if (!same_) {                                                                      \
			tap_diag_str("got:  ", g_);                                                \
			tap_diag_str("want: ", w_);                                                \
		}                                                                                  \
	} while (0)

#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		ok(g_ == w_, __VA_ARGS__);                                                         \
		if (g_ != w_)                                                                      \
			printf("# got:  %lld\n# want: %lld\n", g_, w_);                            \
	} while (0)

/* A "# ..." comment line (ignored by the TAP driver, kept in the log). */
#define diag(...)                                                                                  \
	do {                                                                                       \
		printf("# ");                                                                      \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

/* A check that cannot run here; the reason is on its line. */
#define skip(...)                                                                                  \
	do {                                                                                       \
		tap_n++;                                                                           \
		printf("ok %d # SKIP ", tap_n);                                                    \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

/* s with control and non-ASCII bytes as \xNN, for test names (a TAP line
 * must stay one line). Returns one of a few rotating static buffers. */
static inline const char *tap_esc(const char *s)
{
	static char bufs[4][320];
	static int k;
	char *b = bufs[k++ & 3];
	size_t n = 0;

	if (!s)
		return "(null)";
	for (; *s && n + 5 < sizeof(bufs[0]); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(b + n, sizeof(bufs[0]) - n, "\\x%02x", c);
		else
			b[n++] = (char)c;
	}
	b[n] = '\0';
	return b;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
