/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JIDs (RFC 7622): [localpart@]domainpart[/resourcepart], parsed and
 * checked without I/O.
 *
 * What is done: the split (the first '/' starts the resource, the first
 * '@' before it ends the localpart), each part 1..1023 bytes of valid
 * UTF-8 without control characters (C0, DEL, C1), the localpart without
 * the characters RFC 7622 section 3.3.1 excludes (" & ' / : < > @ and
 * space), the domainpart as a DNS name (labels of 1..63 bytes of letters,
 * digits, '-' not at either end, or any non-ASCII bytes: U-labels are
 * kept as they are), an IPv4 address or an IPv6 literal in brackets, with
 * a trailing dot removed (section 3.2), and ASCII case folding of the
 * localpart and the domainpart (what PRECIS UsernameCaseMapped and IDNA
 * do for ASCII).
 * What is not done: the PRECIS profiles beyond that (Unicode case
 * mapping, NFC normalization, width mapping, the disallowed code point
 * classes), IDNA2008 checks of U-labels and punycode conversion. Two JIDs
 * that differ only in those respects compare as different.
 */
#ifndef XMPP_JID_H
#define XMPP_JID_H

#include <stdbool.h>
#include <stddef.h>

#define XMPP_JID_PART_MAX 1023

/* local and resource are NULL when absent; all owned by the struct. */
struct xmpp_jid {
	char *local;
	char *domain;
	char *resource;
};

/* Parses len bytes of s (no NUL inside). -EINVAL if it is not a valid
 * JID; *ret is set only on success. */
int xmpp_jid_parse(const char *s, size_t len, struct xmpp_jid *ret);
void xmpp_jid_free(struct xmpp_jid *j);
/* The bare (local@domain) or full JID as a new string (caller frees). */
char *xmpp_jid_bare(const struct xmpp_jid *j);
char *xmpp_jid_full(const struct xmpp_jid *j);
/* Equality of the parsed (folded) forms; bare compares without resource. */
bool xmpp_jid_equal(const struct xmpp_jid *a, const struct xmpp_jid *b, bool bare);
/* Checks one resourcepart (e.g. the one a client asks for in a bind). */
bool xmpp_jid_resource_valid(const char *s, size_t len);

#endif
