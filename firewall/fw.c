// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "inet convene" nftables table (fw.h, README.md): built from the
 * firewall configuration with libnftnl and sent to the kernel as one
 * nfnetlink batch, which the kernel commits as one transaction or not at
 * all.
 *
 * The batch replaces the table: "add table" (a no-op when it exists),
 * "delete table" (drops the old chains and rules with it), then the new
 * table, chains and rules. Because all of it is one transaction there is
 * no moment without a firewall, the delete never fails for a missing
 * table, and a refused batch leaves the previous table exactly as it was.
 * No other table is named in the batch, so no other table is touched.
 *
 * Every message of the batch carries a description of what it attempts;
 * a refusal names the message the kernel refused (STYLE.md: every netlink
 * error says what was attempted).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "firewall/fw.h"
#include "lib/mem.h"

#define CHAIN_INPUT "input"
#define TABLE_COMMENT "Convene appliance firewall, managed by mmpd: changes made here are replaced"

/* Batch pages: a page is sent as one iovec; one message (a rule is a few
 * hundred bytes) must fit in the overrun room. */
#define PAGE_SIZE_BATCH (64u * 1024)
#define PAGE_OVERRUN (16u * 1024)

/* How long to wait for the kernel's answer (it answers before sendmsg
 * returns; the wait only guards against the unexpected). */
#define ANSWER_TIMEOUT_MS 5000

/* --- building the ruleset from the document -------------------------------- */

int fw_ruleset_build(json_object *doc, const char (*ifmap)[IF_NAMESIZE], struct fw_ruleset *ret,
		     struct strbuf *err)
{
	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < FW_NIFACES; i++) {
		char ifc = (char)('a' + i);
		struct fw_chain *c = &ret->chains[ret->nchains];
		size_t bad;
		int r = fw_iface_parse(doc, ifc, &c->cfg, &bad);

		if (r == -E2BIG) {
			sb_printf(err, "FAILURE: firewall: interface %c has more than %d rules\n",
				  ifc, FW_MAX_RULES);
			return -EINVAL;
		}
		if (r < 0 && bad) {
			sb_printf(err, "FAILURE: firewall: rule %zu of interface %c is malformed\n",
				  bad, ifc);
			return -EINVAL;
		}
		if (r < 0) {
			sb_printf(err,
				  "FAILURE: firewall: the configuration of interface %c is "
				  "malformed\n",
				  ifc);
			return -EINVAL;
		}
		if (!c->cfg.enabled)
			continue;
		/* An unmapped interface has no kernel device: its firewall
		 * is stored, never applied. */
		if (!ifmap || ifmap[i][0] == '\0') {
			ret->unmapped |= 1u << i;
			memset(c, 0, sizeof(*c));
			continue;
		}
		memcpy(c->kernel, ifmap[i], IF_NAMESIZE);
		c->kernel[IF_NAMESIZE - 1] = '\0';
		ret->nchains++;
	}
	return 0;
}

static bool rule_equal(const struct fw_rule *a, const struct fw_rule *b)
{
	return a->allow == b->allow && a->protos == b->protos && a->port == b->port &&
	       a->any_src == b->any_src &&
	       (a->any_src || (a->plen == b->plen && a->net.s_addr == b->net.s_addr));
}

bool fw_ruleset_equal(const struct fw_ruleset *a, const struct fw_ruleset *b)
{
	if (a->nchains != b->nchains)
		return false;
	for (size_t i = 0; i < a->nchains; i++) {
		const struct fw_chain *x = &a->chains[i], *y = &b->chains[i];

		if (x->cfg.name != y->cfg.name || strcmp(x->kernel, y->kernel) != 0 ||
		    x->cfg.default_allow != y->cfg.default_allow || x->cfg.nrules != y->cfg.nrules)
			return false;
		for (size_t j = 0; j < x->cfg.nrules; j++)
			if (!rule_equal(&x->cfg.rules[j], &y->cfg.rules[j]))
				return false;
	}
	return true;
}

void fw_rule_describe(const struct fw_rule *r, char *buf, size_t len)
{
	const char *proto = r->protos == FW_TCP ? "tcp" : r->protos == FW_UDP ? "udp" : "tcp+udp";

	if (r->any_src) {
		snprintf(buf, len, "%s %u/%s from any", r->allow ? "allow" : "deny", r->port,
			 proto);
	} else {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &r->net, a, sizeof(a));
		snprintf(buf, len, "%s %u/%s from %s/%u", r->allow ? "allow" : "deny", r->port,
			 proto, a, r->plen);
	}
}

/* --- the batch --------------------------------------------------------------- */

struct batch {
	struct nftnl_batch *b;
	uint32_t seq0;	   /* the BATCH_BEGIN message */
	uint32_t seq;	   /* the next message */
	char (*what)[128]; /* what[seq - seq0]: what that message attempts */
	size_t cap;
};

static void batch_note(struct batch *bt, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void batch_note(struct batch *bt, const char *fmt, va_list ap)
{
	size_t i = bt->seq - bt->seq0;

	if (i >= bt->cap) {
		bt->cap = bt->cap ? 2 * bt->cap : 64;
		bt->what = xrealloc(bt->what, bt->cap * sizeof(*bt->what));
	}
	vsnprintf(bt->what[i], sizeof(bt->what[i]), fmt, ap);
}

static void note(struct batch *bt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct batch *bt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	batch_note(bt, fmt, ap);
	va_end(ap);
}

static const char *batch_what(const struct batch *bt, uint32_t seq)
{
	if (seq < bt->seq0 || seq >= bt->seq)
		return "commit the ruleset";
	return bt->what[seq - bt->seq0];
}

static void batch_next(struct batch *bt)
{
	/* A new page is allocated when the current one is full. */
	if (nftnl_batch_update(bt->b) < 0)
		abort(); /* out of memory, like xmalloc */
	bt->seq++;
}

/* Starts a message of type; fills what it attempts for error reports. */
static struct nlmsghdr *batch_msg(struct batch *bt, uint16_t type, uint16_t flags, const char *fmt,
				  ...) __attribute__((format(printf, 4, 5)));
static struct nlmsghdr *batch_msg(struct batch *bt, uint16_t type, uint16_t flags, const char *fmt,
				  ...)
{
	va_list ap;

	va_start(ap, fmt);
	batch_note(bt, fmt, ap);
	va_end(ap);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(bt->b), type, NFPROTO_INET, flags, bt->seq);
}

static void *checked(void *p)
{
	if (!p)
		abort(); /* libnftnl allocation failed: out of memory */
	return p;
}

/* --- expressions --------------------------------------------------------------- */

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e);
}

static void add_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = checked(nftnl_expr_alloc("meta"));

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	add_expr(r, e);
}

static void add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = checked(nftnl_expr_alloc("cmp"));

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add_expr(r, e);
}

static void add_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = checked(nftnl_expr_alloc("payload"));

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	add_expr(r, e);
}

/* reg1 = (reg1 & mask) ^ 0 */
static void add_mask(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = checked(nftnl_expr_alloc("bitwise"));

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	add_expr(r, e);
}

static void add_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = checked(nftnl_expr_alloc("immediate"));

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	add_expr(r, e);
}

/* "iifname NAME": the device name, NUL-padded to IFNAMSIZ (an exact match,
 * that also holds for a device that appears later). */
static void add_iifname(struct nftnl_rule *r, const char *name)
{
	char buf[IFNAMSIZ] = {0};

	snprintf(buf, sizeof(buf), "%s", name);
	add_meta(r, NFT_META_IIFNAME);
	add_cmp(r, NFT_CMP_EQ, buf, sizeof(buf));
}

static void add_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	add_meta(r, NFT_META_L4PROTO);
	add_cmp(r, NFT_CMP_EQ, &proto, 1);
}

static void add_nfproto(struct nftnl_rule *r, uint8_t family)
{
	add_meta(r, NFT_META_NFPROTO);
	add_cmp(r, NFT_CMP_EQ, &family, 1);
}

static void set_comment(struct nftnl_rule *r, const char *text)
{
	struct nftnl_udata_buf *u = checked(nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8));

	nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, text);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
			    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

/* --- messages -------------------------------------------------------------------- */

static void msg_table(struct batch *bt, uint16_t type, uint16_t flags, bool comment,
		      const char *what)
{
	struct nftnl_table *t = checked(nftnl_table_alloc());
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (comment) {
		struct nftnl_udata_buf *u =
		    checked(nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8));

		nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, TABLE_COMMENT);
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
				     nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
	}
	nlh = batch_msg(bt, type, flags, "%s", what);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	batch_next(bt);
}

static void msg_chain(struct batch *bt, const char *name, bool base)
{
	struct nftnl_chain *c = checked(nftnl_chain_alloc());
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (base) {
		/* Policy accept: traffic of interfaces without a firewall
		 * passes; each interface's own chain ends in its verdict. */
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0); /* priority filter */
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = batch_msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "create chain %s", name);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	batch_next(bt);
}

static struct nftnl_rule *rule_new(const char *chain)
{
	struct nftnl_rule *r = checked(nftnl_rule_alloc());

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

static void msg_rule(struct batch *bt, struct nftnl_rule *r, bool ack, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void msg_rule(struct batch *bt, struct nftnl_rule *r, bool ack, const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	batch_note(bt, fmt, ap);
	va_end(ap);
	nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(bt->b), NFT_MSG_NEWRULE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_APPEND | (ack ? NLM_F_ACK : 0), bt->seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	batch_next(bt);
}

/* The chain of one interface. ack: this is the last message of the batch. */
static void chain_rules(struct batch *bt, const struct fw_chain *c, bool ack)
{
	const struct fw_iface *f = &c->cfg;
	char chain[16];
	struct nftnl_rule *r;

	snprintf(chain, sizeof(chain), CHAIN_INPUT "_%c", f->name);

	/* Replies and related traffic (ICMP errors) of connections that
	 * were let in or made by the appliance: ct state established,related. */
	{
		uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
		uint32_t zero = 0;
		struct nftnl_expr *e = checked(nftnl_expr_alloc("ct"));

		r = rule_new(chain);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
		add_expr(r, e);
		add_mask(r, &mask, sizeof(mask));
		add_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
		add_verdict(r, NF_ACCEPT, NULL);
		msg_rule(bt, r, false, "add the established/related rule of interface %c", f->name);
	}
	/* IPv6 neighbour discovery (ICMPv6 types 133-136): without it a
	 * default deny would cut the interface's IPv6 link itself, the way
	 * ARP (not filtered by an inet table) keeps IPv4 working. */
	{
		uint8_t lo = 133, hi = 136;
		struct nftnl_expr *e = checked(nftnl_expr_alloc("range"));

		r = rule_new(chain);
		add_nfproto(r, NFPROTO_IPV6);
		add_l4proto(r, IPPROTO_ICMPV6);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, 1);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &hi, 1);
		add_expr(r, e);
		add_verdict(r, NF_ACCEPT, NULL);
		msg_rule(bt, r, false, "add the neighbour discovery rule of interface %c", f->name);
	}
	/* The rules in order: the first match decides (spec/mmp.md 2.7:
	 * specific rules before the default). A rule for both protocols is
	 * two kernel rules, tcp then udp. */
	for (size_t i = 0; i < f->nrules; i++) {
		const struct fw_rule *fr = &f->rules[i];
		static const struct {
			unsigned bit;
			uint8_t proto;
		} protos[] = {{FW_TCP, IPPROTO_TCP}, {FW_UDP, IPPROTO_UDP}};
		char desc[80];

		fw_rule_describe(fr, desc, sizeof(desc));
		for (size_t p = 0; p < 2; p++) {
			uint16_t port = htons(fr->port);
			char comment[128];

			if (!(fr->protos & protos[p].bit))
				continue;
			r = rule_new(chain);
			if (!fr->any_src) {
				/* A source network is IPv4: the rule never
				 * matches IPv6. */
				add_nfproto(r, NFPROTO_IPV4);
				if (fr->plen > 0) {
					uint32_t mask = cv_ipv4_mask(fr->plen);

					add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
					if (fr->plen < 32)
						add_mask(r, &mask, sizeof(mask));
					add_cmp(r, NFT_CMP_EQ, &fr->net.s_addr, 4);
				}
			}
			add_l4proto(r, protos[p].proto);
			add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2); /* dport */
			add_cmp(r, NFT_CMP_EQ, &port, sizeof(port));
			add_verdict(r, fr->allow ? NF_ACCEPT : NF_DROP, NULL);
			snprintf(comment, sizeof(comment), "rule %zu: %s", i + 1, desc);
			set_comment(r, comment);
			msg_rule(bt, r, false, "add rule %zu of interface %c (%s)", i + 1, f->name,
				 desc);
		}
	}
	r = rule_new(chain);
	add_verdict(r, f->default_allow ? NF_ACCEPT : NF_DROP, NULL);
	set_comment(r, f->default_allow ? "default allow" : "default deny");
	msg_rule(bt, r, ack, "add the default policy of interface %c", f->name);
}

static void build(struct batch *bt, const struct fw_ruleset *rs)
{
	struct nftnl_rule *r;

	bt->seq0 = bt->seq;
	note(bt, "begin the transaction");
	nftnl_batch_begin(nftnl_batch_buffer(bt->b), bt->seq);
	batch_next(bt);

	msg_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, false, "create table inet " FW_TABLE);
	if (rs->nchains == 0) {
		/* The last message, so the acknowledged one. */
		msg_table(bt, NFT_MSG_DELTABLE, NLM_F_ACK, false, "remove table inet " FW_TABLE);
	} else {
		msg_table(bt, NFT_MSG_DELTABLE, 0, false, "remove the old table inet " FW_TABLE);
		msg_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, true, "create table inet " FW_TABLE);
		msg_chain(bt, CHAIN_INPUT, true);
		for (size_t i = 0; i < rs->nchains; i++) {
			char chain[16];

			snprintf(chain, sizeof(chain), CHAIN_INPUT "_%c", rs->chains[i].cfg.name);
			msg_chain(bt, chain, false);
		}
		/* The appliance's own traffic to itself. */
		r = rule_new(CHAIN_INPUT);
		add_iifname(r, "lo");
		add_verdict(r, NF_ACCEPT, NULL);
		msg_rule(bt, r, false, "add the loopback rule");
		for (size_t i = 0; i < rs->nchains; i++) {
			const struct fw_chain *c = &rs->chains[i];
			char chain[16];

			snprintf(chain, sizeof(chain), CHAIN_INPUT "_%c", c->cfg.name);
			r = rule_new(CHAIN_INPUT);
			add_iifname(r, c->kernel);
			add_verdict(r, NFT_JUMP, chain);
			msg_rule(bt, r, false, "add the rule that sends %s to interface %c's chain",
				 c->kernel, c->cfg.name);
		}
		for (size_t i = 0; i < rs->nchains; i++)
			chain_rules(bt, &rs->chains[i], i + 1 == rs->nchains);
	}
	nftnl_batch_end(nftnl_batch_buffer(bt->b), bt->seq);
	if (nftnl_batch_update(bt->b) < 0)
		abort();
}

/* --- sending and the kernel's answer ------------------------------------------------ */

static int send_batch(int fd, struct nftnl_batch *b)
{
	int n = nftnl_batch_iovec_len(b);
	struct iovec *iov = xcalloc((size_t)n, sizeof(*iov));
	struct sockaddr_nl snl = {.nl_family = AF_NETLINK};
	struct msghdr msg = {
	    .msg_name = &snl,
	    .msg_namelen = sizeof(snl),
	    .msg_iov = iov,
	    .msg_iovlen = (size_t)n,
	};
	size_t total = 0;
	ssize_t w;
	int r = 0;

	nftnl_batch_iovec(b, iov, (uint32_t)n);
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	/* The kernel takes the batch as one message, which must fit in the
	 * socket's send buffer (a few hundred bytes a rule). */
	if (total > 64 * 1024) {
		int sz = (int)(total < (size_t)1 << 29 ? total : (size_t)1 << 29);

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	w = sendmsg(fd, &msg, 0);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != total)
		r = -EIO;
	free(iov);
	return r;
}

struct answer {
	bool done; /* the last message's acknowledgement arrived */
	int error; /* the first refusal (negative errno), or 0 */
	uint32_t error_seq;
};

static void parse_answer(const void *buf, size_t len, uint32_t last_seq, struct answer *a)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlmsgerr *e;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		if (e->error != 0 && a->error == 0) {
			a->error = e->error;
			a->error_seq = e->msg.nlmsg_seq;
		}
		if (e->msg.nlmsg_seq == last_seq)
			a->done = true;
	}
}

int fw_ruleset_commit(const struct fw_ruleset *rs, struct strbuf *err)
{
	struct batch bt = {0};
	struct mnl_socket *nl = NULL;
	struct answer ans = {0};
	char *buf = NULL;
	const size_t buflen = 64 * 1024;
	uint32_t last_seq;
	int r = 0, one = 1;

	bt.b = checked(nftnl_batch_alloc(PAGE_SIZE_BATCH, PAGE_OVERRUN));
	bt.seq = (uint32_t)time(NULL);
	build(&bt, rs);
	last_seq = bt.seq - 1; /* the message before BATCH_END */

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl) {
		r = -errno;
		sb_printf(err, "FAILURE: firewall: cannot open a netlink socket to nftables: %s\n",
			  strerror(-r));
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		sb_printf(err, "FAILURE: firewall: cannot bind the nftables netlink socket: %s\n",
			  strerror(-r));
		goto out;
	}
	/* Errors without the echoed request: a refusal of a large batch
	 * must not overflow the receive buffer. */
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	r = send_batch(mnl_socket_get_fd(nl), bt.b);
	if (r < 0) {
		sb_printf(err, "FAILURE: firewall: cannot send the ruleset to the kernel: %s\n",
			  strerror(-r));
		goto out;
	}
	/* The kernel processes the batch inside sendmsg and queues its
	 * answers before it returns; poll() only bounds the unexpected. */
	buf = xmalloc(buflen);
	while (!ans.done) {
		struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, ANSWER_TIMEOUT_MS) <= 0) {
			if (ans.error)
				break;
			r = -EIO;
			sb_printf(err, "FAILURE: firewall: no answer from the kernel to the "
				       "ruleset\n");
			goto out;
		}
		n = recv(mnl_socket_get_fd(nl), buf, buflen, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			/* ENOBUFS: answers were lost, which only many
			 * refusals produce. */
			r = -errno;
			sb_printf(err, "FAILURE: firewall: reading the kernel's answer: %s\n",
				  strerror(-r));
			if (r != -ENOBUFS)
				r = -EIO;
			goto out;
		}
		parse_answer(buf, (size_t)n, last_seq, &ans);
		/* A refusal on BATCH_BEGIN is the only answer there is. */
		if (ans.error && ans.error_seq == bt.seq0)
			break;
	}
	if (ans.error) {
		r = ans.error;
		sb_printf(err,
			  "FAILURE: firewall: the kernel refused to %s: %s; the previous "
			  "firewall stays in place\n",
			  batch_what(&bt, ans.error_seq), strerror(-r));
	}
out:
	free(buf);
	if (nl)
		mnl_socket_close(nl);
	nftnl_batch_free(bt.b);
	free(bt.what);
	return r;
}
