// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the one piece of DNS message parsing Convene does
 * itself: cv_dns_answer_cnames() (lib/resolver.c), which walks the
 * question and answer sections of a server's answer to find the CNAME
 * chain of the name asked. The input is the message; the first byte picks
 * the name asked and the chain length limit. Every result must be a chain:
 * each link starts where the one before ended.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a.example.com", "example.com", "x", "" };
	struct cv_dns_cname out[CV_DNS_CNAME_MAX];
	const char *qname;
	size_t max, n = 0;

	if (size == 0)
		return 0;
	qname = names[data[0] % 4];
	max = (size_t)(data[0] >> 2) % (CV_DNS_CNAME_MAX + 1);
	if (cv_dns_answer_cnames(data + 1, size - 1, qname, out, max, &n) < 0)
		return 0;
	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(out[i].owner, i ? out[i - 1].target : qname) != 0)
			abort();
	return 0;
}
