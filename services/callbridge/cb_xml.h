/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The XML writer of the API (spec/api.md section 1.5): a document starts
 * with `<?xml version="1.0"?>`, elements are indented by two spaces per
 * level as in the spec's examples, an element without a value is written
 * `<name/>`, and text and attribute values are escaped (& < > " ').
 * A failureDetails document is one line, as the spec shows it:
 * `<failureDetails><coSpaceDoesNotExist/></failureDetails>`.
 *
 * The writer appends to a caller's strbuf; it allocates nothing else.
 */
#ifndef CB_XML_H
#define CB_XML_H

#include <stddef.h>

#include "lib/strbuf.h"

struct cb_xml {
	struct strbuf *sb;
	int depth;
};

/* Writes the XML declaration and starts at depth 0. */
void cb_xml_begin(struct cb_xml *x, struct strbuf *sb);
/* `<name>` or `<name attr="value">` on a line of its own. attr may be NULL. */
void cb_xml_open(struct cb_xml *x, const char *name, const char *attr, const char *value);
void cb_xml_close(struct cb_xml *x, const char *name);
/* `<name/>` or `<name attr="value"/>`, on its own line. */
void cb_xml_empty(struct cb_xml *x, const char *name, const char *attr, const char *value);
/* `<name>text</name>`; NULL or "" text gives `<name/>`. */
void cb_xml_leaf(struct cb_xml *x, const char *name, const char *text);
/* Like cb_xml_leaf with an attribute: `<name attr="v">text</name>`. */
void cb_xml_leaf_attr(struct cb_xml *x, const char *name, const char *attr, const char *value,
		      const char *text);
/* Appends s escaped for text and attribute values. */
void cb_xml_escape(struct strbuf *sb, const char *s);

/* A whole failureDetails document with one reason element, optionally
 * with the parameterError attributes (parameter and error may be NULL). */
void cb_xml_failure(struct strbuf *sb, const char *reason, const char *parameter,
		    const char *error);

#endif
