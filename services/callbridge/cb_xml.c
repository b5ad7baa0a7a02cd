// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The XML writer of cb_xml.h. Element names come from the descriptor
 * tables (constants); every value that can come from a client is escaped.
 */
#include "config.h"

#include <string.h>

#include "services/callbridge/cb_xml.h"

void cb_xml_escape(struct strbuf *sb, const char *s)
{
	const char *run = s;

	/* strcspn() skips the plain runs faster than a loop per character
	 * (4% of a list request went to this loop). */
	for (s += strcspn(s, "&<>\"'\r"); *s; s += 1 + strcspn(s + 1, "&<>\"'\r")) {
		const char *rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\r':
			/* A raw CR would be normalised away by the reader. */
			rep = "&#13;";
			break;
		default:
			continue;
		}
		sb_put(sb, run, (size_t)(s - run));
		sb_puts(sb, rep);
		run = s + 1;
	}
	sb_put(sb, run, (size_t)(s - run));
}

static void end_tag(struct strbuf *sb, const char *name)
{
	sb_puts(sb, "</");
	sb_puts(sb, name);
	sb_puts(sb, ">\n");
}

static void indent(struct cb_xml *x)
{
	for (int i = 0; i < x->depth; i++)
		sb_puts(x->sb, "  ");
}

static void start_tag(struct cb_xml *x, const char *name, const char *attr, const char *value)
{
	indent(x);
	sb_putc(x->sb, '<');
	sb_puts(x->sb, name);
	if (attr) {
		/* Plain puts, not sb_printf: a list of 20 objects writes
		 * hundreds of tags per request and vfprintf showed in the
		 * benchmark's profile. */
		sb_putc(x->sb, ' ');
		sb_puts(x->sb, attr);
		sb_puts(x->sb, "=\"");
		cb_xml_escape(x->sb, value ? value : "");
		sb_putc(x->sb, '"');
	}
}

void cb_xml_begin(struct cb_xml *x, struct strbuf *sb)
{
	x->sb = sb;
	x->depth = 0;
	sb_puts(sb, "<?xml version=\"1.0\"?>\n");
}

void cb_xml_open(struct cb_xml *x, const char *name, const char *attr, const char *value)
{
	start_tag(x, name, attr, value);
	sb_puts(x->sb, ">\n");
	x->depth++;
}

void cb_xml_close(struct cb_xml *x, const char *name)
{
	x->depth--;
	indent(x);
	end_tag(x->sb, name);
}

void cb_xml_empty(struct cb_xml *x, const char *name, const char *attr, const char *value)
{
	start_tag(x, name, attr, value);
	sb_puts(x->sb, "/>\n");
}

void cb_xml_leaf_attr(struct cb_xml *x, const char *name, const char *attr, const char *value,
		      const char *text)
{
	if (!text || !*text) {
		cb_xml_empty(x, name, attr, value);
		return;
	}
	start_tag(x, name, attr, value);
	sb_putc(x->sb, '>');
	cb_xml_escape(x->sb, text);
	end_tag(x->sb, name);
}

void cb_xml_leaf(struct cb_xml *x, const char *name, const char *text)
{
	cb_xml_leaf_attr(x, name, NULL, NULL, text);
}

void cb_xml_failure(struct strbuf *sb, const char *reason, const char *parameter,
		    const char *error)
{
	sb_puts(sb, "<?xml version=\"1.0\"?>\n<failureDetails><");
	sb_puts(sb, reason);
	if (parameter) {
		sb_puts(sb, " parameter=\"");
		cb_xml_escape(sb, parameter);
		sb_putc(sb, '"');
	}
	if (error) {
		sb_puts(sb, " error=\"");
		cb_xml_escape(sb, error);
		sb_putc(sb, '"');
	}
	sb_puts(sb, "/></failureDetails>\n");
}
