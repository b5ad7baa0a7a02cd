/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict parsers for operator and network input. Each returns 0 on success
 * or -EINVAL, and sets its ret_* out-parameters only on success. None of
 * them accepts leading/trailing space, signs, leading zeros in numbers or
 * octets, or anything after the value.
 */
#ifndef CV_PARSE_H
#define CV_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define CV_IFACES "abcd"
#define CV_NAME_MAX 64
#define CV_FILENAME_MAX 255
#define CV_HOSTNAME_MAX 253

/* Decimal number in [min, max]. */
int cv_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret);
/* Interface name: one of a, b, c, d. */
int cv_parse_iface(const char *s, char *ret_iface);
/* Dotted quad, four decimal octets. */
int cv_parse_ipv4(const char *s, struct in_addr *ret_addr);
/* "A.B.C.D/N", N in 0..32; host bits may be set (an interface address). */
int cv_parse_ipv4_prefix(const char *s, struct in_addr *ret_addr, unsigned *ret_plen);
/* "A.B.C.D[/N]" network: host bits must be zero; no /N means /32. */
int cv_parse_cidr(const char *s, struct in_addr *ret_net, unsigned *ret_plen);
/* TCP/UDP port 1..65535. */
int cv_parse_port(const char *s, uint16_t *ret_port);
/* The value of one hex digit (either case), or -1. */
int cv_hexval(char c);
/* "<if>:<port>", for example "a:445". */
int cv_parse_iface_port(const char *s, char *ret_iface, uint16_t *ret_port);
/* Host name (RFC 1123 labels, at most 253 characters; a trailing dot is refused). */
int cv_parse_hostname(const char *s);
/* Host name or dotted quad. */
int cv_parse_host(const char *s);
/* Bare file name in the upload directory: no '/', not "." or "..", no control
 * characters, at most 255 bytes. */
int cv_parse_filename(const char *s);
/* MMP user name: [a-z_][a-z0-9_.-]{0,31}. */
int cv_parse_username(const char *s);
/* True when addr lies in net/plen. */
bool cv_ipv4_in_subnet(struct in_addr addr, struct in_addr net, unsigned plen);
/* The network mask for plen, in network byte order. */
uint32_t cv_ipv4_mask(unsigned plen);

/* Writes the sentence fmt makes into err (errlen bytes) and returns
 * -EINVAL: the config loaders' way to refuse a value with its reason. */
int cv_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
