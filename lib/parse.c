// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Strict parsers for interface names, addresses, ports, host and file names.
 * Everything the operator types and everything read from the network goes
 * through one of these; they refuse rather than guess.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

int cv_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s || strlen(s) > 20)
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned long digit = (unsigned long)(*p - '0');

		if (v > (~0UL - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	if (v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cv_parse_iface(const char *s, char *ret_iface)
{
	if (!s || s[0] == '\0' || s[1] != '\0' || !strchr(CV_IFACES, s[0]))
		return -EINVAL;
	*ret_iface = s[0];
	return 0;
}

int cv_parse_ipv4(const char *s, struct in_addr *ret_addr)
{
	uint32_t v = 0;
	int octets = 0;
	const char *p = s;

	if (!s)
		return -EINVAL;
	while (octets < 4) {
		unsigned n = 0;
		int digits = 0;

		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			n = n * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || n > 255)
			return -EINVAL;
		v = (v << 8) | n;
		octets++;
		if (octets < 4) {
			if (*p != '.')
				return -EINVAL;
			p++;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	ret_addr->s_addr = htonl(v);
	return 0;
}

uint32_t cv_ipv4_mask(unsigned plen)
{
	if (plen == 0)
		return 0;
	if (plen >= 32)
		return 0xffffffffu;
	return htonl(~((1u << (32 - plen)) - 1));
}

bool cv_ipv4_in_subnet(struct in_addr addr, struct in_addr net, unsigned plen)
{
	uint32_t m = cv_ipv4_mask(plen);

	return (addr.s_addr & m) == (net.s_addr & m);
}

/* Splits "X/N" into the address part (copied to buf) and the prefix length. */
static int split_prefix(const char *s, char *buf, size_t bufsz, unsigned *ret_plen, bool need)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned long plen = 32;
	size_t n;

	if (!s)
		return -EINVAL;
	if (!slash) {
		if (need)
			return -EINVAL;
		n = strlen(s);
	} else {
		n = (size_t)(slash - s);
		if (cv_parse_ulong(slash + 1, 0, 32, &plen) < 0)
			return -EINVAL;
	}
	if (n == 0 || n >= bufsz)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*ret_plen = (unsigned)plen;
	return 0;
}

int cv_parse_ipv4_prefix(const char *s, struct in_addr *ret_addr, unsigned *ret_plen)
{
	char buf[16];
	struct in_addr a;
	unsigned plen;

	if (split_prefix(s, buf, sizeof(buf), &plen, true) < 0 || cv_parse_ipv4(buf, &a) < 0)
		return -EINVAL;
	*ret_addr = a;
	*ret_plen = plen;
	return 0;
}

int cv_parse_cidr(const char *s, struct in_addr *ret_net, unsigned *ret_plen)
{
	char buf[16];
	struct in_addr a;
	unsigned plen;

	if (split_prefix(s, buf, sizeof(buf), &plen, false) < 0 || cv_parse_ipv4(buf, &a) < 0)
		return -EINVAL;
	if ((a.s_addr & ~cv_ipv4_mask(plen)) != 0)
		return -EINVAL;
	*ret_net = a;
	*ret_plen = plen;
	return 0;
}

int cv_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cv_parse_port(const char *s, uint16_t *ret_port)
{
	unsigned long v;

	if (cv_parse_ulong(s, 1, 65535, &v) < 0)
		return -EINVAL;
	*ret_port = (uint16_t)v;
	return 0;
}

int cv_parse_iface_port(const char *s, char *ret_iface, uint16_t *ret_port)
{
	char ifname[2];
	char iface;
	uint16_t port;

	if (!s || !s[0] || s[1] != ':')
		return -EINVAL;
	ifname[0] = s[0];
	ifname[1] = '\0';
	if (cv_parse_iface(ifname, &iface) < 0 || cv_parse_port(s + 2, &port) < 0)
		return -EINVAL;
	*ret_iface = iface;
	*ret_port = port;
	return 0;
}

int cv_parse_hostname(const char *s)
{
	size_t len, label = 0;
	const char *p;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len > CV_HOSTNAME_MAX)
		return -EINVAL;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0 || p[-1] == '-')
				return -EINVAL;
			label = 0;
			continue;
		}
		if (!isascii(c) || !(isalnum(c) || c == '-'))
			return -EINVAL;
		if (c == '-' && label == 0)
			return -EINVAL;
		if (++label > 63)
			return -EINVAL;
	}
	if (label == 0 || p[-1] == '-')
		return -EINVAL;
	return 0;
}

int cv_parse_host(const char *s)
{
	struct in_addr a;

	if (cv_parse_ipv4(s, &a) == 0)
		return 0;
	/* An all-numeric dotted name is a mistyped address, not a host name. */
	if (s && strspn(s, "0123456789.") == strlen(s))
		return -EINVAL;
	return cv_parse_hostname(s);
}

int cv_parse_filename(const char *s)
{
	size_t len;
	const char *p;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len > CV_FILENAME_MAX)
		return -EINVAL;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -EINVAL;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c < 0x20 || c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

int cv_parse_username(const char *s)
{
	size_t len;
	const char *p;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len > 32)
		return -EINVAL;
	if (!(islower((unsigned char)s[0]) || s[0] == '_'))
		return -EINVAL;
	for (p = s + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(islower(c) || isdigit(c) || c == '_' || c == '.' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

int cv_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
