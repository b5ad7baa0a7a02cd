/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Status-screen rendering: "<Label><spaces>: <value>" lines with the colon
 * at a fixed column per block (spec/mmp.md section 1.5).
 */
#ifndef MMP_SCREEN_H
#define MMP_SCREEN_H

#include "lib/strbuf.h"

/* Appends "label", padded so ':' sits at 0-based column col, then ": value\n".
 * A label of col characters or more gets one space before the colon. */
void mmp_screen_kv(struct strbuf *out, int col, const char *label, const char *value);
void mmp_screen_kvf(struct strbuf *out, int col, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
