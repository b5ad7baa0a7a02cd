/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growable string buffer for building command output and files.
 * The buffer is always NUL-terminated; sb_free() releases it.
 */
#ifndef CV_STRBUF_H
#define CV_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_put(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Appends n bytes of s with what could drive a terminal escaped as
 * "\xHH": C0 controls (but newline and tab when keep_lines), DEL, the C1
 * controls (U+0080-U+009F in UTF-8) and bytes that are not well-formed
 * UTF-8. Printable ASCII and valid UTF-8 text pass unchanged. Log lines
 * and everything mmp prints go through it (issue 14: no terminal or log
 * injection through file names, user names or logged tokens). */
void sb_put_escaped(struct strbuf *sb, const char *s, size_t n, bool keep_lines);
/* Returns the buffer ("" if empty); valid until the next change. */
const char *sb_str(const struct strbuf *sb);
/* Hands the buffer to the caller (who frees it) and resets sb. */
char *sb_steal(struct strbuf *sb);

#endif
