// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the firewall model: an arbitrary configuration
 * document (a hand-edited or damaged config.json) goes through the rule
 * parser (fw_iface_parse), the first-match verdict, the "can any source
 * reach this port" search of the lock-out warning (its recursion must stay
 * bounded for any set of networks) and the ruleset build of libfw, as
 * mmpd and the shell run them. Nothing is sent to the kernel.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ifmap[4][IF_NAMESIZE] = {"eth0", "eth1", "", "a-very-long-nam"};
	static struct fw_iface f;
	static struct fw_ruleset rs;
	struct strbuf err = STRBUF_INIT;
	struct json_tokener *tok;
	json_object *doc;

	/* config.json is capped by mmpd; no need to spend time on more. */
	if (size > 256 * 1024)
		return 0;
	tok = json_tokener_new();
	doc = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!doc)
		return 0;
	for (char ifc = 'a'; ifc <= 'd'; ifc++) {
		size_t bad;

		if (fw_iface_parse(doc, ifc, &f, &bad) < 0)
			continue;
		for (size_t i = 0; i < f.nrules; i++) {
			char desc[80];
			struct in_addr src = f.rules[i].net;

			fw_rule_describe(&f.rules[i], desc, sizeof(desc));
			(void)fw_accepts(&f, FW_TCP, f.rules[i].port, src);
			(void)fw_accepts(&f, FW_UDP, f.rules[i].port, src);
			(void)fw_accepts_some(&f, f.rules[i].protos & FW_TCP ? FW_TCP : FW_UDP,
					      f.rules[i].port);
		}
		(void)fw_accepts_some(&f, FW_TCP, 22);
	}
	if (fw_ruleset_build(doc, ifmap, &rs, &err) == 0 && !fw_ruleset_equal(&rs, &rs))
		abort();
	sb_free(&err);
	json_object_put(doc);
	return 0;
}
