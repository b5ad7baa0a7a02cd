/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allocation helpers that abort on out-of-memory (FRR XMALLOC, coturn).
 * Callers never check for NULL; the caller owns what these return.
 */
#ifndef CV_MEM_H
#define CV_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
