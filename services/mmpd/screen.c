// SPDX-License-Identifier: GPL-2.0-or-later
/* Aligned "Label : value" lines for the status screens. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "screen.h"

void mmp_screen_kv(struct strbuf *out, int col, const char *label, const char *value)
{
	int pad = col - (int)strlen(label);

	sb_puts(out, label);
	if (pad < 1)
		pad = 1;
	while (pad-- > 0)
		sb_putc(out, ' ');
	sb_puts(out, ": ");
	sb_puts(out, value);
	sb_putc(out, '\n');
}

void mmp_screen_kvf(struct strbuf *out, int col, const char *label, const char *fmt, ...)
{
	struct strbuf v = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&v, fmt, ap);
	va_end(ap);
	mmp_screen_kv(out, col, label, sb_str(&v));
	sb_free(&v);
}
