/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the tests of mmpd's modules in tests/unit/mmpd/ share: bounded
 * waits that turn a real libuv loop, a tick that wakes it, the lines of
 * the log store as a follower got them, and the removal of what a test
 * made in its temporary folder. Header-only, like tap.h: each test
 * program has its own copy.
 */
#ifndef CV_MMPD_TEST_H
#define CV_MMPD_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "lib/mem.h"
#include "lib/strbuf.h"

static inline uint64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs loop until cond holds or ms have passed; the value of cond, which
 * is evaluated once more at the end: it must stay true once it is (wrap a
 * call that is true only once, like waitpid(), in a function that
 * remembers). test_tick_start() makes every turn end within its period. */
#define TEST_WAIT(loop, cond, ms)                                                                  \
	({                                                                                         \
		uint64_t dl_ = test_now_ms() + (ms);                                               \
		while (!(cond) && test_now_ms() < dl_)                                             \
			uv_run((loop), UV_RUN_ONCE);                                               \
		(cond);                                                                            \
	})

static uv_timer_t test_tick __attribute__((unused));

static inline void test_tick_cb(uv_timer_t *t)
{
}

static inline void test_tick_start(uv_loop_t *loop, uint64_t period_ms)
{
	uv_timer_init(loop, &test_tick);
	uv_timer_start(&test_tick, test_tick_cb, period_ms, period_ms);
}

static inline void test_tick_stop(void)
{
	uv_timer_stop(&test_tick);
	uv_close((uv_handle_t *)&test_tick, NULL);
}

/* Every line of the log store since the last sb_reset(&test_logged), as
 * a follower (mmpd_logstore_follow(logs, test_log_capture, NULL)) got it. */
static struct strbuf test_logged __attribute__((unused)) = STRBUF_INIT;

static inline void test_log_capture(const char *line, void *opaque)
{
	sb_printf(&test_logged, "%s\n", line);
}

static inline bool test_logged_has(const char *s)
{
	return strstr(sb_str(&test_logged), s) != NULL;
}

/* Removes the files and then the (empty) folders a test made under top,
 * by name, and top itself: true when nothing was left behind. */
static inline bool test_cleanup(const char *top, const char *const *files, size_t nfiles,
				const char *const *dirs, size_t ndirs)
{
	for (size_t i = 0; i < nfiles; i++) {
		char *p = xasprintf("%s/%s", top, files[i]);

		unlink(p);
		free(p);
	}
	for (size_t i = 0; i < ndirs; i++) {
		char *p = xasprintf("%s/%s", top, dirs[i]);

		rmdir(p);
		free(p);
	}
	return rmdir(top) == 0;
}

#endif
