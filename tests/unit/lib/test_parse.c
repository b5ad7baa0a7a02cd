// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the strict parsers in lib/parse.h: every parser with good
 * and bad input (leading zeros, overflow, trailing garbage, empty strings,
 * "..", "/", control characters, prefix 33, host bits in a CIDR, ports 0 and
 * 65536, interface "e"), and a check that a refused input leaves the
 * out-parameters untouched.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "lib/parse.h"
#include "tests/unit/tap.h"

static void test_ulong(void)
{
	static const struct {
		const char *s;
		unsigned long min, max;
		int want;
		unsigned long val;
	} cases[] = {
		{ "0", 0, 10, 0, 0 },
		{ "7", 0, 10, 0, 7 },
		{ "10", 0, 10, 0, 10 },
		{ "11", 0, 10, -EINVAL, 0 },
		{ "4", 5, 10, -EINVAL, 0 },
		{ "00", 0, 10, -EINVAL, 0 },
		{ "007", 0, 10, -EINVAL, 0 },
		{ "", 0, 10, -EINVAL, 0 },
		{ "-1", 0, 10, -EINVAL, 0 },
		{ "+1", 0, 10, -EINVAL, 0 },
		{ " 1", 0, 10, -EINVAL, 0 },
		{ "1 ", 0, 10, -EINVAL, 0 },
		{ "1x", 0, 10, -EINVAL, 0 },
		{ "0x10", 0, 100, -EINVAL, 0 },
		{ "1e3", 0, 10000, -EINVAL, 0 },
		{ "1\n", 0, 10, -EINVAL, 0 },
		{ "18446744073709551615", 0, ULONG_MAX, 0, ULONG_MAX },
		{ "18446744073709551616", 0, ULONG_MAX, -EINVAL, 0 },
		{ "99999999999999999999", 0, ULONG_MAX, -EINVAL, 0 },
		{ "123456789012345678901", 0, ULONG_MAX, -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long v = 4242;
		int r = cv_parse_ulong(cases[i].s, cases[i].min, cases[i].max, &v);

		is_int(r, cases[i].want, "ulong \"%s\" in [%lu,%lu] -> %d", cases[i].s,
		       cases[i].min, cases[i].max, cases[i].want);
		if (cases[i].want == 0)
			ok(v == cases[i].val, "ulong \"%s\" value %lu", cases[i].s, cases[i].val);
		else
			ok(v == 4242, "ulong \"%s\" leaves the output alone", cases[i].s);
	}
	ok(cv_parse_ulong(NULL, 0, 10, &(unsigned long){ 0 }) == -EINVAL, "ulong NULL refused");
}

static void test_iface(void)
{
	const char *good[] = { "a", "b", "c", "d" };
	const char *bad[] = { "e", "z", "A", "", "ab", "a ", " a", "1", "admin", "a:" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char c = 0;

		ok(cv_parse_iface(good[i], &c) == 0 && c == good[i][0], "iface \"%s\" accepted",
		   good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char c = 'X';

		ok(cv_parse_iface(bad[i], &c) == -EINVAL && c == 'X', "iface \"%s\" refused",
		   tap_esc(bad[i]));
	}
	ok(cv_parse_iface(NULL, &(char){ 0 }) == -EINVAL, "iface NULL refused");
}

static uint32_t host_order(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static void test_ipv4(void)
{
	static const struct {
		const char *s;
		uint32_t v;
	} good[] = {
		{ "192.0.2.1", 0xc0000201 },	  { "0.0.0.0", 0 },
		{ "255.255.255.255", 0xffffffff }, { "10.124.144.80", 0x0a7c9050 },
		{ "1.2.3.4", 0x01020304 },
	};
	const char *bad[] = {
		"",	    "256.0.0.1",   "1.2.3.256", "01.2.3.4",	"1.02.3.4",   "1.2.3.004",
		"1.2.3",    "1.2.3.4.5",   "1..2.3",	".1.2.3",	"1.2.3.",     "1.2.3.4 ",
		" 1.2.3.4", "1.2.3.4x",	   "1.2.3.-1",	"0x1.2.3.4",	"1.2.3.4\n",  "1000.1.1.1",
		"1.2.3.4/", "1.2.3.4/24", "a.b.c.d",	"1.2.3.4:80", "1,2,3,4",    "1.2.3.+4",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct in_addr a = { 0 };

		ok(cv_parse_ipv4(good[i].s, &a) == 0 && host_order(a) == good[i].v,
		   "ipv4 \"%s\" accepted", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct in_addr a = { .s_addr = 0x5a5a5a5a };

		ok(cv_parse_ipv4(bad[i], &a) == -EINVAL && a.s_addr == 0x5a5a5a5a,
		   "ipv4 \"%s\" refused", tap_esc(bad[i]));
	}
	ok(cv_parse_ipv4(NULL, &(struct in_addr){ 0 }) == -EINVAL, "ipv4 NULL refused");
}

static void test_prefix(void)
{
	static const struct {
		const char *s;
		uint32_t v;
		unsigned plen;
	} good[] = {
		{ "10.124.144.80/24", 0x0a7c9050, 24 }, /* host bits are fine on an address */
		{ "192.0.2.10/32", 0xc000020a, 32 },
		{ "192.0.2.10/0", 0xc000020a, 0 },
		{ "0.0.0.0/0", 0, 0 },
	};
	const char *bad[] = {
		"",	      "/24",	       "10.0.0.5",	 "10.0.0.5/",	  "10.0.0.5/33",
		"10.0.0.5/024", "10.0.0.5/-1", "10.0.0.5/24/1", "10.0.0.5/24 ",  "10.0.0/24",
		"10.0.0.256/24", "10.0.0.5/2x", "10.0.0.5//24",	"010.0.0.5/24",
		"10.0.0.5/4294967320",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct in_addr a = { 0 };
		unsigned plen = 99;

		ok(cv_parse_ipv4_prefix(good[i].s, &a, &plen) == 0 && host_order(a) == good[i].v &&
			   plen == good[i].plen,
		   "prefix \"%s\" accepted", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct in_addr a = { .s_addr = 0x5a5a5a5a };
		unsigned plen = 99;

		ok(cv_parse_ipv4_prefix(bad[i], &a, &plen) == -EINVAL && plen == 99 &&
			   a.s_addr == 0x5a5a5a5a,
		   "prefix \"%s\" refused", tap_esc(bad[i]));
	}
}

static void test_cidr(void)
{
	static const struct {
		const char *s;
		uint32_t v;
		unsigned plen;
	} good[] = {
		{ "192.0.2.0/24", 0xc0000200, 24 }, { "192.0.2.1", 0xc0000201, 32 },
		{ "0.0.0.0/0", 0, 0 },		    { "10.0.0.0/8", 0x0a000000, 8 },
		{ "198.51.100.7/32", 0xc6336407, 32 },
	};
	const char *bad[] = {
		"192.0.2.1/24", /* host bits set */
		"1.0.0.0/0",	"10.0.0.128/24", "192.0.2.0/33", "192.0.2.0/", "/24",
		"",		"192.0.2.0/08",	 "192.0.2.0/24x", "192.0.2/24",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct in_addr a = { 0 };
		unsigned plen = 99;

		ok(cv_parse_cidr(good[i].s, &a, &plen) == 0 && host_order(a) == good[i].v &&
			   plen == good[i].plen,
		   "cidr \"%s\" accepted", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct in_addr a = { .s_addr = 0x5a5a5a5a };
		unsigned plen = 99;

		ok(cv_parse_cidr(bad[i], &a, &plen) == -EINVAL && plen == 99, "cidr \"%s\" refused",
		   bad[i]);
	}
}

static void test_port(void)
{
	const char *bad[] = { "0", "65536", "080", "", "-1", "+80", "80 ", "8o", "100000", "0x50" };
	uint16_t p = 0;

	ok(cv_parse_port("1", &p) == 0 && p == 1, "port 1 accepted");
	ok(cv_parse_port("447", &p) == 0 && p == 447, "port 447 accepted");
	ok(cv_parse_port("65535", &p) == 0 && p == 65535, "port 65535 accepted");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 4242;
		ok(cv_parse_port(bad[i], &p) == -EINVAL && p == 4242, "port \"%s\" refused",
		   tap_esc(bad[i]));
	}
}

static void test_iface_port(void)
{
	const char *bad[] = { "e:445", "a:0",	 "a:65536", "a445", "a:",    ":445", "ab:445",
			      "A:445", "a:0445", "a:445 ", "a::445", "", "a",  "a:44x" };
	char c = 0;
	uint16_t p = 0;

	ok(cv_parse_iface_port("a:445", &c, &p) == 0 && c == 'a' && p == 445, "a:445 accepted");
	ok(cv_parse_iface_port("d:6000", &c, &p) == 0 && c == 'd' && p == 6000, "d:6000 accepted");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = 'X';
		p = 4242;
		ok(cv_parse_iface_port(bad[i], &c, &p) == -EINVAL && c == 'X' && p == 4242,
		   "if:port \"%s\" refused", tap_esc(bad[i]));
	}
}

static void test_hostname(void)
{
	char label63[64], label64[65], long253[254], long254[255];
	const char *good[] = { "cms.demo", "edge.cms.demo", "CMS", "cms1", "edge-1.cms.demo",
			       "a", "1a", "x1.y2" };
	const char *bad[] = { "",     "-a.b",	"a-.b",	  "a..b",   ".a",    "a.",  "a_b",
			      "a b",  "a\tb",	"caf\xc3\xa9", "a/b", "a:b", "a.b\n",
			      "*.cms.demo" };

	memset(label63, 'x', 63);
	label63[63] = '\0';
	memset(label64, 'x', 64);
	label64[64] = '\0';
	/* 253 characters: labels of 63 joined by dots, then cut. */
	for (size_t i = 0; i < 253; i++)
		long253[i] = (i % 64 == 63) ? '.' : 'y';
	long253[253] = '\0';
	memcpy(long254, long253, 253);
	long254[253] = 'z';
	long254[254] = '\0';

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(cv_parse_hostname(good[i]) == 0, "hostname \"%s\" accepted", tap_esc(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cv_parse_hostname(bad[i]) == -EINVAL, "hostname \"%s\" refused",
		   tap_esc(bad[i]));
	ok(cv_parse_hostname(label63) == 0, "hostname with a 63-character label accepted");
	ok(cv_parse_hostname(label64) == -EINVAL, "hostname with a 64-character label refused");
	ok(cv_parse_hostname(long253) == 0, "hostname of 253 characters accepted");
	ok(cv_parse_hostname(long254) == -EINVAL, "hostname of 254 characters refused");
	ok(cv_parse_hostname(NULL) == -EINVAL, "hostname NULL refused");
}

static void test_host(void)
{
	const char *good[] = { "192.0.2.1", "cms.demo", "ntp1", "edge.cms.demo" };
	const char *bad[] = { "1.2.3", "256.1.1.1", "1.2.3.4.5", "01.2.3.4",
			      "",      "a..b",	    "1.2.3.4 " };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(cv_parse_host(good[i]) == 0, "host \"%s\" accepted", tap_esc(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cv_parse_host(bad[i]) == -EINVAL, "host \"%s\" refused", tap_esc(bad[i]));
}

static void test_filename(void)
{
	char n255[256], n256[257];
	const char *good[] = { "edge.key", "cmsedge-fullchain.cer", "cms.lic", ".hidden",
			       "...", "a..b", "with space", "upgrade.img" };
	const char *bad[] = { "",      ".",	    "..",	  "/",	     "a/b",	"../x",
			      "/etc/passwd", "x/", "a\tb", "a\nb", "a\x1b[0m", "a\x7f" };

	memset(n255, 'f', 255);
	n255[255] = '\0';
	memset(n256, 'f', 256);
	n256[256] = '\0';
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(cv_parse_filename(good[i]) == 0, "file name \"%s\" accepted", tap_esc(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cv_parse_filename(bad[i]) == -EINVAL, "file name \"%s\" refused",
		   tap_esc(bad[i]));
	ok(cv_parse_filename(n255) == 0, "file name of 255 bytes accepted");
	ok(cv_parse_filename(n256) == -EINVAL, "file name of 256 bytes refused");
	ok(cv_parse_filename(NULL) == -EINVAL, "file name NULL refused");
}

static void test_username(void)
{
	const char *good[] = { "admin", "_svc", "alice", "a.b-c_d", "u1",
			       "abcdefghijklmnopqrstuvwxyz012345" /* 32 */ };
	const char *bad[] = { "",	"Admin", "1abc",     "-a",	"a b", "a/b",
			      "al!ce", "a\tb", ".hidden",
			      "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */ };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(cv_parse_username(good[i]) == 0, "user name \"%s\" accepted", tap_esc(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cv_parse_username(bad[i]) == -EINVAL, "user name \"%s\" refused",
		   tap_esc(bad[i]));
}

static struct in_addr A(const char *s)
{
	struct in_addr a = { 0 };

	cv_parse_ipv4(s, &a);
	return a;
}

static void test_subnet(void)
{
	ok(cv_ipv4_mask(0) == 0, "mask /0");
	ok(cv_ipv4_mask(24) == htonl(0xffffff00u), "mask /24");
	ok(cv_ipv4_mask(32) == 0xffffffffu, "mask /32");
	ok(cv_ipv4_mask(1) == htonl(0x80000000u), "mask /1");
	ok(cv_ipv4_in_subnet(A("10.124.144.1"), A("10.124.144.80"), 24), "gateway on subnet /24");
	ok(!cv_ipv4_in_subnet(A("10.124.145.1"), A("10.124.144.80"), 24),
	   "gateway off subnet /24");
	ok(cv_ipv4_in_subnet(A("203.0.113.9"), A("10.0.0.0"), 0), "everything is in /0");
	ok(!cv_ipv4_in_subnet(A("192.0.2.2"), A("192.0.2.1"), 32), "/32 holds one address");
}

int main(void)
{
	test_ulong();
	test_iface();
	test_ipv4();
	test_prefix();
	test_cidr();
	test_port();
	test_iface_port();
	test_hostname();
	test_host();
	test_filename();
	test_username();
	test_subnet();
	return tap_done();
}
