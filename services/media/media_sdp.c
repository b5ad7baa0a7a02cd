// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SDP offer/answer (see media_sdp.h). The parser walks the description once,
 * line by line, with every cap checked before anything is stored; values are
 * slices of the input, so nothing is allocated and nothing is copied but
 * fingerprint bytes and numbers. Cross-references that may point forward
 * (BUNDLE mids, the SSRCs of a=ssrc-group, the rids of a=simulcast) are
 * checked when their section or the description ends.
 *
 * The grammar is RFC 8866 section 9 as JSEP (RFC 8829 section 5.8) has
 * browsers write it; where the RFC says "ignore" (unknown attributes,
 * candidates of unknown transports) we ignore and count, everywhere else
 * a value outside the grammar refuses the whole offer: an offer is cheap
 * to send again and a half-understood one is how parsers get exploited.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/parse.h"
#include "services/media/media_sdp.h"
#include "services/media/media_sdp_internal.h"

/* RFC 8851 section 10 rid-id: alpha-numeric, "-", "_". */
static bool is_rid(struct md_sdp_str s)
{
	if (!s.len || s.len > 32)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Decimal digits only, at most 20 of them. -EBADMSG when not a number,
 * -ERANGE when it does not fit 64 bits. */
static int num64(struct md_sdp_str s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s.len)
		return -EBADMSG;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EBADMSG;
	if (s.len > 20)
		return -ERANGE;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned)(s.p[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}


/* --- the parser's state and its messages -------------------------------------------------- */

struct ps {
	struct md_sdp *sdp;
	struct md_sdp_msect *m; /* the section being read; NULL at session level */
	unsigned line;
	char *err;
	size_t errlen;
	char show[2][40];
	int nshow;
	char prev; /* the previous line's type letter */
	bool seen_o, seen_s, seen_t, sess_c;
	/* session level, before the sections inherit it */
	struct md_sdp_ice s_ice;
	struct md_sdp_fp s_fp;
	enum md_sdp_setup s_setup;
	enum md_sdp_dir s_dir;
	bool s_dir_set;
	unsigned bundle_line;
	/* the current section */
	bool m_c, m_dir_set;
	unsigned simulcast_line;
	unsigned group_line[MD_SDP_MAX_GROUP];
	unsigned mid_line[MD_SDP_MAX_MSECT];
};

static int failv(struct ps *ps, unsigned line, int rc, const char *fmt, va_list ap)
{
	int n;

	if (!ps->err || !ps->errlen)
		return rc;
	n = line ? snprintf(ps->err, ps->errlen, "line %u: ", line) : 0;
	if (n < 0 || (size_t)n >= ps->errlen)
		return rc;
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	return rc;
}

__attribute__((format(printf, 3, 4))) static int fail(struct ps *ps, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	failv(ps, ps->line, rc, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 4, 5))) static int fail_at(struct ps *ps, unsigned line, int rc,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	failv(ps, line, rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* A piece of the input for a message: printable ASCII only, cut at 24
 * characters, so that a hostile offer cannot put its bytes in our logs. */
static const char *show(struct ps *ps, struct md_sdp_str s)
{
	char *b = ps->show[ps->nshow++ & 1];
	size_t n = 0;

	for (size_t i = 0; i < s.len && n < 24; i++) {
		unsigned char c = (unsigned char)s.p[i];

		b[n++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
	}
	if (s.len > 24) {
		memcpy(b + n, "...", 3);
		n += 3;
	}
	b[n] = '\0';
	return b;
}

/* A number in [min, max]; what names it in the message ("a=rtpmap: clock
 * rate"). */
static int field_num(struct ps *ps, struct md_sdp_str s, uint64_t min, uint64_t max,
		     const char *what, uint64_t *ret)
{
	uint64_t v;
	int r = num64(s, &v);

	if (r == -EBADMSG)
		return fail(ps, -EBADMSG, "%s \"%s\" is not a number", what, show(ps, s));
	if (r < 0 || v < min || v > max)
		return fail(ps, -ERANGE, "%s %s out of range", what, show(ps, s));
	*ret = v;
	return 0;
}

/* --- attributes --------------------------------------------------------------------------- */

struct attr {
	const char *name;
	unsigned char where; /* 1: session, 2: media, 3: both */
	bool value;	     /* takes a value (else a flag) */
	int (*fn)(struct ps *ps, const struct attr *a, struct md_sdp_str v);
};

/* "a=rtpmap:<pt> ...": the payload type, which the m= line must list. */
static int attr_pt(struct ps *ps, const struct attr *a, struct md_sdp_str t,
		   struct md_sdp_pt **ret)
{
	uint64_t v;
	int r = num64(t, &v);

	if (r == -EBADMSG)
		return fail(ps, -EBADMSG, "a=%s: payload type \"%s\" is not a number", a->name,
			    show(ps, t));
	if (r < 0 || v > 127)
		return fail(ps, -ERANGE, "a=%s: payload type %s out of range", a->name, show(ps, t));
	*ret = md_sdp_find_pt(ps->m, (unsigned)v);
	if (!*ret)
		return fail(ps, -ENOENT, "a=%s: payload type %u is not on the m= line", a->name,
			    (unsigned)v);
	return 0;
}

static int a_group(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp *sdp = ps->sdp;
	struct md_sdp_str sem = next_tok(&v);

	if (!str_is(sem, "BUNDLE")) {
		sdp->unknown_attrs++; /* LS and others: not used */
		return 0;
	}
	if (sdp->has_bundle)
		return fail(ps, -EEXIST, "a second a=group:BUNDLE");
	sdp->has_bundle = true;
	ps->bundle_line = ps->line;
	while (v.len) {
		struct md_sdp_str mid = next_tok(&v);

		if (!is_token(mid, MD_SDP_MAX_MID))
			return fail(ps, -EINVAL, "a=group:BUNDLE: bad mid \"%s\"", show(ps, mid));
		for (unsigned i = 0; i < sdp->n_bundle; i++)
			if (str_eq(sdp->bundle[i], mid))
				return fail(ps, -EEXIST, "a=group:BUNDLE: mid %s twice",
					    show(ps, mid));
		if (sdp->n_bundle == MD_SDP_MAX_MSECT)
			return fail(ps, -E2BIG, "a=group:BUNDLE: more than %d mids",
				    MD_SDP_MAX_MSECT);
		sdp->bundle[sdp->n_bundle++] = mid;
	}
	return 0;
}

static int a_msid_semantic(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_str sem = next_tok(&v);

	if (!is_token(sem, 64))
		return fail(ps, -EINVAL, "a=msid-semantic: bad semantic \"%s\"", show(ps, sem));
	ps->sdp->msid_semantic = sem;
	ps->sdp->msid_semantic_ids = v;
	return 0;
}

static int a_ice_lite(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	ps->sdp->ice_lite = true;
	return 0;
}

static int a_extmap_allow_mixed(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	ps->sdp->extmap_allow_mixed = true;
	return 0;
}

static int a_ice_cred(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_ice *ice = ps->m ? &ps->m->ice : &ps->s_ice;
	bool pwd = a->name[4] == 'p';
	struct md_sdp_str *dst = pwd ? &ice->pwd : &ice->ufrag;

	if (dst->p)
		return fail(ps, -EEXIST, "a second a=%s", a->name);
	/* RFC 8839 section 5.4: ufrag 4-256, pwd 22-256 ice-chars. */
	if (!is_ice_chars(v, pwd ? 22 : 4, 256))
		return fail(ps, -EINVAL, "a=%s: not %s ice-chars", a->name,
			    pwd ? "22 to 256" : "4 to 256");
	*dst = v;
	return 0;
}

static int a_ice_options(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_ice *ice = ps->m ? &ps->m->ice : &ps->s_ice;

	while (v.len) {
		struct md_sdp_str t = next_tok(&v);

		if (str_is(t, "trickle"))
			ice->trickle = true;
		else if (str_is(t, "ice2"))
			ice->ice2 = true;
	}
	return 0;
}

static const struct {
	const char *name;
	enum md_sdp_hash hash;
	uint8_t len;
} hashes[] = {
	{ "md5", MD_SDP_HASH_MD5, 16 },	      { "sha-1", MD_SDP_HASH_SHA1, 20 },
	{ "sha-224", MD_SDP_HASH_SHA224, 28 }, { "sha-256", MD_SDP_HASH_SHA256, 32 },
	{ "sha-384", MD_SDP_HASH_SHA384, 48 }, { "sha-512", MD_SDP_HASH_SHA512, 64 },
};

/* "sha-256 AB:CD:..." (RFC 8122 section 5). The hash name is matched
 * without case as the RFC says; a name we do not know is kept but its
 * bytes are still checked. */
int md_sdp_fp_parse(struct md_sdp_str v, struct md_sdp_fp *ret, const char **why)
{
	struct md_sdp_fp fp = { .present = true, .hash = MD_SDP_HASH_OTHER };
	struct md_sdp_str hex;
	uint8_t want = 0;

	fp.alg = next_tok(&v);
	hex = next_tok(&v);
	if (!is_token(fp.alg, 32) || !hex.len || v.len) {
		*why = "not \"<hash> <hex>\"";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		if (str_case_is(fp.alg, hashes[i].name)) {
			fp.hash = hashes[i].hash;
			want = hashes[i].len;
		}
	}
	/* Upper-case hex pairs joined by colons; we take either case. */
	if (hex.len % 3 != 2 || hex.len / 3 + 1 > MD_SDP_FP_MAX) {
		*why = "bad hex";
		return -EINVAL;
	}
	for (size_t i = 0; i < hex.len; i += 3) {
		int hi = cv_hexval(hex.p[i]), lo = cv_hexval(hex.p[i + 1]);

		if (hi < 0 || lo < 0 || (i + 2 < hex.len && hex.p[i + 2] != ':')) {
			*why = "bad hex";
			return -EINVAL;
		}
		fp.bytes[fp.len++] = (uint8_t)(hi << 4 | lo);
	}
	if (want && fp.len != want) {
		*why = "wrong length for its hash";
		return -EINVAL;
	}
	fp.usable = fp.hash == MD_SDP_HASH_SHA256;
	*ret = fp;
	return 0;
}

static int a_fingerprint(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_fp *dst = ps->m ? &ps->m->fp : &ps->s_fp;
	struct md_sdp_fp fp;
	const char *why;

	if (md_sdp_fp_parse(v, &fp, &why) < 0)
		return fail(ps, -EINVAL, "a=fingerprint: %s", why);
	/* RFC 8122 section 5 allows several; the first sha-256 wins. */
	if (!dst->present || (!dst->usable && fp.usable))
		*dst = fp;
	return 0;
}

static int a_setup(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	enum md_sdp_setup *dst = ps->m ? &ps->m->setup : &ps->s_setup;

	if (*dst != MD_SDP_SETUP_NONE)
		return fail(ps, -EEXIST, "a second a=setup");
	if (str_is(v, "actpass"))
		*dst = MD_SDP_SETUP_ACTPASS;
	else if (str_is(v, "active"))
		*dst = MD_SDP_SETUP_ACTIVE;
	else if (str_is(v, "passive"))
		*dst = MD_SDP_SETUP_PASSIVE;
	else if (str_is(v, "holdconn"))
		*dst = MD_SDP_SETUP_HOLDCONN;
	else
		return fail(ps, -EINVAL, "a=setup: unknown role \"%s\"", show(ps, v));
	return 0;
}

static const char *const dir_names[] = {
	[MD_SDP_SENDRECV] = "sendrecv",
	[MD_SDP_SENDONLY] = "sendonly",
	[MD_SDP_RECVONLY] = "recvonly",
	[MD_SDP_INACTIVE] = "inactive",
};

const char *md_sdp_dir_name(enum md_sdp_dir d)
{
	return (unsigned)d <= MD_SDP_INACTIVE ? dir_names[d] : "?";
}

static int a_dir(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	bool *set = ps->m ? &ps->m_dir_set : &ps->s_dir_set;
	enum md_sdp_dir *dst = ps->m ? &ps->m->dir : &ps->s_dir;
	enum md_sdp_dir d = MD_SDP_SENDRECV;

	if (*set)
		return fail(ps, -EEXIST, "a second direction attribute (a=%s)", a->name);
	for (unsigned i = 0; i <= MD_SDP_INACTIVE; i++)
		if (strcmp(a->name, dir_names[i]) == 0)
			d = (enum md_sdp_dir)i;
	*set = true;
	*dst = d;
	return 0;
}

static int a_mid(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp *sdp = ps->sdp;
	struct md_sdp_msect *m = ps->m;

	if (m->mid.p)
		return fail(ps, -EEXIST, "a second a=mid in the m-section");
	if (!is_token(v, MD_SDP_MAX_MID))
		return fail(ps, -EINVAL, "a=mid: \"%s\" is not a token of 1 to %d characters",
			    show(ps, v), MD_SDP_MAX_MID);
	for (unsigned i = 0; i + 1 < sdp->n_m; i++)
		if (str_eq(sdp->m[i].mid, v))
			return fail(ps, -EEXIST, "a=mid:%s repeats the mid of line %u",
				    show(ps, v), ps->mid_line[i]);
	m->mid = v;
	ps->mid_line[sdp->n_m - 1] = ps->line;
	return 0;
}

static int a_flag(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;

	if (!m) /* only end-of-candidates comes here at session level */
		return 0;
	if (strcmp(a->name, "rtcp-mux") == 0)
		m->rtcp_mux = true;
	else if (strcmp(a->name, "rtcp-rsize") == 0)
		m->rtcp_rsize = true;
	else if (strcmp(a->name, "bundle-only") == 0)
		m->bundle_only = true;
	else
		m->end_of_candidates = true;
	return 0;
}

static int a_rtpmap(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_str t = next_tok(&v), enc = next_tok(&v), name, clock;
	struct md_sdp_pt *pt;
	uint64_t n;
	bool more;
	int r = attr_pt(ps, a, t, &pt);

	if (r < 0)
		return r;
	if (pt->has_rtpmap)
		return fail(ps, -EEXIST, "a second a=rtpmap for payload type %u", pt->pt);
	if (v.len)
		return fail(ps, -EBADMSG, "a=rtpmap: text after the encoding");
	/* <encoding name>/<clock rate>[/<encoding parameters>] */
	name = split_at(&enc, '/', &more);
	if (!is_token(name, 32) || !more)
		return fail(ps, -EBADMSG, "a=rtpmap: not <name>/<clock>[/<channels>]");
	clock = split_at(&enc, '/', &more);
	r = field_num(ps, clock, 1, 1000000, "a=rtpmap: clock rate", &n);
	if (r < 0)
		return r;
	pt->clock = (uint32_t)n;
	if (more) {
		r = field_num(ps, enc, 1, 255, "a=rtpmap: channel count", &n);
		if (r < 0)
			return r;
		pt->channels = (uint8_t)n;
	}
	pt->name = name;
	pt->has_rtpmap = true;
	return 0;
}

static int a_fmtp(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_str t = next_tok(&v), params = v;
	struct md_sdp_pt *pt;
	uint64_t n;
	int r = attr_pt(ps, a, t, &pt);

	if (r < 0)
		return r;
	if (pt->fmtp.p)
		return fail(ps, -EEXIST, "a second a=fmtp for payload type %u", pt->pt);
	if (!v.len)
		return fail(ps, -EBADMSG, "a=fmtp: no parameters");
	/* "key=value;key=value" (RFC 8866 section 6.15 leaves the format to
	 * the codec; the keys we read are apt (RFC 4588), and H264's
	 * (RFC 6184 section 8.1)). Entries without '=' (telephone-event's
	 * "0-16") are kept in the raw string only. */
	while (v.len) {
		bool more, eq;
		struct md_sdp_str kv = split_at(&v, ';', &more), key, val;

		while (kv.len && kv.p[0] == ' ')
			kv.p++, kv.len--;
		key = split_at(&kv, '=', &eq);
		val = kv;
		if (!eq)
			continue;
		if (str_case_is(key, "apt")) {
			r = field_num(ps, val, 0, 127, "a=fmtp: apt", &n);
			if (r < 0)
				return r;
			if (!md_sdp_find_pt(ps->m, (unsigned)n))
				return fail(ps, -ENOENT, "a=fmtp: apt=%u is not on the m= line",
					    (unsigned)n);
			pt->apt = (int16_t)n;
		} else if (str_case_is(key, "packetization-mode")) {
			r = field_num(ps, val, 0, 2, "a=fmtp: packetization-mode", &n);
			if (r < 0)
				return r;
			pt->packetization_mode = (int8_t)n;
		} else if (str_case_is(key, "profile-level-id")) {
			uint32_t id = 0;
			bool good = false;

			/* RFC 6184 section 8.1: profile_idc, profile-iop,
			 * level_idc as six hex digits. */
			for (size_t i = 0; i < val.len && val.len == 6; i++) {
				int h = cv_hexval(val.p[i]);

				if (h < 0)
					break;
				id = id << 4 | (uint32_t)h;
				good = i == 5;
			}
			if (!good)
				return fail(ps, -EINVAL,
					    "a=fmtp: profile-level-id is not 6 hex digits");
			pt->profile_level_id = id;
			pt->has_plid = true;
		} else if (str_case_is(key, "level-asymmetry-allowed")) {
			pt->level_asymmetry = str_is(val, "1");
		}
	}
	pt->fmtp = params;
	return 0;
}

static int a_rtcp_fb(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_str t = next_tok(&v), type = next_tok(&v), param = next_tok(&v);
	struct md_sdp_pt *pt = NULL;
	unsigned fb = 0;
	int r;

	if (!str_is(t, "*")) {
		r = attr_pt(ps, a, t, &pt);
		if (r < 0)
			return r;
	}
	if (!is_token(type, 64))
		return fail(ps, -EBADMSG, "a=rtcp-fb: no feedback type");
	/* RFC 4585 section 4.2, RFC 5104 section 7.1, and the two Chrome
	 * speaks without an RFC (REMB, transport-cc). */
	if (str_is(type, "nack") && !param.len)
		fb = MD_SDP_FB_NACK;
	else if (str_is(type, "nack") && str_is(param, "pli"))
		fb = MD_SDP_FB_NACK_PLI;
	else if (str_is(type, "ccm") && str_is(param, "fir"))
		fb = MD_SDP_FB_CCM_FIR;
	else if (str_is(type, "goog-remb") && !param.len)
		fb = MD_SDP_FB_GOOG_REMB;
	else if (str_is(type, "transport-cc") && !param.len)
		fb = MD_SDP_FB_TRANSPORT_CC;
	if (pt) {
		pt->fb |= fb;
	} else {
		for (unsigned i = 0; i < ps->m->n_pts; i++)
			ps->m->pts[i].fb |= fb;
	}
	return 0;
}

static int parse_dir(struct md_sdp_str s, enum md_sdp_dir *ret)
{
	for (unsigned i = 0; i <= MD_SDP_INACTIVE; i++) {
		if (str_is(s, dir_names[i])) {
			*ret = (enum md_sdp_dir)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int a_extmap(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;
	struct md_sdp_str t = next_tok(&v), uri = next_tok(&v), id_s;
	enum md_sdp_dir d;
	bool slash;
	uint64_t id;
	int r;

	/* RFC 8285 section 7: <id>[/<direction>] <URI> [<attributes>] */
	id_s = split_at(&t, '/', &slash);
	r = field_num(ps, id_s, 1, 255, "a=extmap: id", &id);
	if (r < 0)
		return r;
	if (slash && parse_dir(t, &d) < 0)
		return fail(ps, -EINVAL, "a=extmap: bad direction \"%s\"", show(ps, t));
	if (!uri.len || uri.len > 256)
		return fail(ps, -EBADMSG, "a=extmap: no URI or one over 256 bytes");
	for (unsigned i = 0; i < m->n_ext; i++)
		if (m->ext[i].id == id)
			return fail(ps, -EEXIST, "a=extmap: id %u twice", (unsigned)id);
	/* Ids 15-255 need the two-byte header (extmap-allow-mixed); we
	 * write one-byte headers only, so those are counted, not kept. The
	 * count does not tell repeated two-byte ids apart: they are unused. */
	if (id > MD_SDP_MAX_EXTMAP) {
		m->ext_two_byte++;
		return 0;
	}
	m->ext[m->n_ext].id = (uint8_t)id;
	m->ext[m->n_ext].uri = uri;
	m->n_ext++;
	return 0;
}

static int ssrc_num(struct ps *ps, struct md_sdp_str s, const char *what, uint32_t *ret)
{
	uint64_t v;
	int r = field_num(ps, s, 0, UINT32_MAX, what, &v);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

static int a_ssrc(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;
	struct md_sdp_str t = next_tok(&v), name;
	struct md_sdp_ssrc *s = NULL;
	uint32_t id = 0;
	bool colon;
	int r = ssrc_num(ps, t, "a=ssrc: SSRC", &id);

	if (r < 0)
		return r;
	/* RFC 5576 section 4.1: <ssrc-id> <attribute>[:<value>] */
	name = split_at(&v, ':', &colon);
	if (!is_token(name, 64))
		return fail(ps, -EBADMSG, "a=ssrc: no attribute after the SSRC");
	for (unsigned i = 0; i < m->n_ssrcs; i++)
		if (m->ssrcs[i].ssrc == id)
			s = &m->ssrcs[i];
	if (!s) {
		if (m->n_ssrcs == MD_SDP_MAX_SSRC)
			return fail(ps, -E2BIG, "a=ssrc: more than %d SSRCs", MD_SDP_MAX_SSRC);
		s = &m->ssrcs[m->n_ssrcs++];
		s->ssrc = id;
	}
	if (str_is(name, "cname")) {
		if (!colon || !v.len)
			return fail(ps, -EBADMSG, "a=ssrc: empty cname");
		if (s->cname.p)
			return fail(ps, -EEXIST, "a=ssrc: a second cname for SSRC %u", id);
		s->cname = v;
	} else if (str_is(name, "msid")) {
		if (!colon || !v.len)
			return fail(ps, -EBADMSG, "a=ssrc: empty msid");
		s->msid = v;
	}
	return 0;
}

static int a_ssrc_group(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;
	struct md_sdp_ssrc_group *g;
	struct md_sdp_str sem = next_tok(&v);
	int r;

	if (m->n_groups == MD_SDP_MAX_GROUP)
		return fail(ps, -E2BIG, "more than %d a=ssrc-group lines", MD_SDP_MAX_GROUP);
	if (!is_token(sem, 32))
		return fail(ps, -EBADMSG, "a=ssrc-group: no semantics");
	g = &m->groups[m->n_groups];
	memset(g, 0, sizeof(*g));
	g->semantics = sem;
	g->kind = str_is(sem, "FID")   ? MD_SDP_GROUP_FID
		  : str_is(sem, "SIM") ? MD_SDP_GROUP_SIM
				       : MD_SDP_GROUP_OTHER;
	while (v.len) {
		struct md_sdp_str t = next_tok(&v);

		if (g->n == MD_SDP_MAX_GROUP_SSRC)
			return fail(ps, -E2BIG, "a=ssrc-group: more than %d SSRCs",
				    MD_SDP_MAX_GROUP_SSRC);
		r = ssrc_num(ps, t, "a=ssrc-group: SSRC", &g->ssrc[g->n]);
		if (r < 0)
			return r;
		g->n++;
	}
	/* RFC 5576 section 4.2 needs one SSRC at least; FID (RFC 4588
	 * section 8.3) pairs the media SSRC with its retransmissions. */
	if (g->n == 0 || (g->kind == MD_SDP_GROUP_FID && g->n != 2))
		return fail(ps, -EINVAL, "a=ssrc-group:%s with %u SSRCs", show(ps, sem), g->n);
	ps->group_line[m->n_groups++] = ps->line;
	return 0;
}

static int a_rid(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;
	struct md_sdp_str id = next_tok(&v), dir = next_tok(&v);
	struct md_sdp_rid *rid;

	/* RFC 8851 section 10: <rid-id> SP <send|recv> [SP <params>] */
	if (!is_rid(id))
		return fail(ps, -EINVAL, "a=rid: bad rid-id \"%s\"", show(ps, id));
	if (!str_is(dir, "send") && !str_is(dir, "recv"))
		return fail(ps, -EINVAL, "a=rid: direction is not send or recv");
	for (unsigned i = 0; i < m->n_rids; i++)
		if (str_eq(m->rids[i].id, id))
			return fail(ps, -EEXIST, "a=rid: %s twice", show(ps, id));
	if (m->n_rids == MD_SDP_MAX_RID)
		return fail(ps, -E2BIG, "more than %d a=rid lines", MD_SDP_MAX_RID);
	rid = &m->rids[m->n_rids++];
	rid->id = id;
	rid->send = dir.p[0] == 's';
	rid->params = v;
	return 0;
}

/* Calls fn on each rid-id of one direction's a=simulcast list (RFC 8853
 * section 5.1): streams separated by ';', each a ','-separated choice of
 * rid-ids, '~' marking a paused one ("f;~h,q"). Returns the stream count,
 * or -EINVAL when an entry is empty or fn fails. */
static int simulcast_walk(struct md_sdp_str list, bool (*fn)(void *arg, struct md_sdp_str id),
			  void *arg, struct md_sdp_str *ret_bad)
{
	int streams = 0;

	while (list.len) {
		bool semi, comma;
		struct md_sdp_str alt = split_at(&list, ';', &semi);

		streams++;
		do {
			struct md_sdp_str id = split_at(&alt, ',', &comma);

			if (id.len && id.p[0] == '~')
				id.p++, id.len--;
			if (!fn(arg, id)) {
				*ret_bad = id;
				return -EINVAL;
			}
		} while (comma);
		if (semi && !list.len) {
			*ret_bad = list;
			return -EINVAL;
		}
	}
	return streams;
}

static bool rid_syntax(void *arg, struct md_sdp_str id)
{
	return is_rid(id);
}

static int a_simulcast(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;
	struct md_sdp_str bad;
	uint8_t n;
	int r;

	if (m->has_simulcast)
		return fail(ps, -EEXIST, "a second a=simulcast");
	for (int k = 0; k < 2 && v.len; k++) {
		struct md_sdp_str d = next_tok(&v), list = next_tok(&v);
		bool send = str_is(d, "send");

		if (!send && !str_is(d, "recv"))
			return fail(ps, -EINVAL, "a=simulcast: direction is not send or recv");
		if ((send ? m->simulcast_send : m->simulcast_recv).p)
			return fail(ps, -EEXIST, "a=simulcast: %s twice", send ? "send" : "recv");
		r = simulcast_walk(list, rid_syntax, NULL, &bad);
		if (r < 0)
			return fail(ps, -EINVAL, "a=simulcast: bad rid-id \"%s\"", show(ps, bad));
		if (r == 0 || r > MD_SDP_MAX_RID)
			return fail(ps, -E2BIG, "a=simulcast: not 1 to %d streams", MD_SDP_MAX_RID);
		n = (uint8_t)r;
		if (send) {
			m->simulcast_send = list;
			m->simulcast_send_streams = n;
		} else {
			m->simulcast_recv = list;
		}
	}
	if (v.len || (!m->simulcast_send.p && !m->simulcast_recv.p))
		return fail(ps, -EBADMSG, "a=simulcast: not \"send <list> [recv <list>]\"");
	m->has_simulcast = true;
	ps->simulcast_line = ps->line;
	return 0;
}

static int a_msid(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_str stream = next_tok(&v), track = next_tok(&v);

	/* RFC 8830 section 2: msid-id [SP msid-appdata], 1*64token-char. */
	if (!is_token(stream, 64) || (track.len && !is_token(track, 64)) || v.len)
		return fail(ps, -EINVAL, "a=msid: not <stream> [<track>] of 1 to 64 token-chars");
	ps->m->msid_stream = stream;
	ps->m->msid_track = track;
	return 0;
}

static bool ends_with_local(struct md_sdp_str s)
{
	return s.len > 6 && strncasecmp(s.p + s.len - 6, ".local", 6) == 0;
}

/* An address of a candidate: an IPv4 or IPv6 literal, else a host name
 * kept as written (family 0). */
static int cand_addr(struct md_sdp_str s, int *family, uint8_t ip[16])
{
	char b[CV_HOSTNAME_MAX + 1];

	if (!s.len || s.len > CV_HOSTNAME_MAX)
		return -EINVAL;
	memcpy(b, s.p, s.len);
	b[s.len] = '\0';
	if (inet_pton(AF_INET, b, ip) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, b, ip) == 1) {
		*family = AF_INET6;
		return 0;
	}
	*family = 0;
	return cv_parse_hostname(b);
}

static int a_candidate(struct ps *ps, const struct attr *a, struct md_sdp_str v)
{
	struct md_sdp_msect *m = ps->m;
	struct md_sdp_cand c = { 0 };
	struct md_sdp_str transport, typ;
	uint64_t n;
	int r;

	/* RFC 8839 section 5.1: foundation component-id transport priority
	 * connection-address port "typ" cand-type [raddr a] [rport p]
	 * *(extension-att-name extension-att-value) */
	c.foundation = next_tok(&v);
	if (!is_ice_chars(c.foundation, 1, 32))
		return fail(ps, -EINVAL, "a=candidate: bad foundation");
	r = field_num(ps, next_tok(&v), 1, 256, "a=candidate: component", &n);
	if (r < 0)
		return r;
	c.component = (uint16_t)n;
	transport = next_tok(&v);
	r = field_num(ps, next_tok(&v), 1, 0x7fffffff, "a=candidate: priority", &n);
	if (r < 0)
		return r;
	c.priority = (uint32_t)n;
	c.addr = next_tok(&v);
	if (cand_addr(c.addr, &c.family, c.ip) < 0)
		return fail(ps, -EINVAL, "a=candidate: bad address \"%s\"", show(ps, c.addr));
	r = field_num(ps, next_tok(&v), 0, 65535, "a=candidate: port", &n);
	if (r < 0)
		return r;
	c.port = (uint16_t)n;
	if (!str_is(next_tok(&v), "typ"))
		return fail(ps, -EBADMSG, "a=candidate: no \"typ\" after the port");
	typ = next_tok(&v);
	if (str_is(typ, "host"))
		c.type = MD_SDP_CAND_HOST;
	else if (str_is(typ, "srflx"))
		c.type = MD_SDP_CAND_SRFLX;
	else if (str_is(typ, "prflx"))
		c.type = MD_SDP_CAND_PRFLX;
	else if (str_is(typ, "relay"))
		c.type = MD_SDP_CAND_RELAY;
	else
		return fail(ps, -EINVAL, "a=candidate: unknown type \"%s\"", show(ps, typ));
	while (v.len) {
		struct md_sdp_str k = next_tok(&v), val = next_tok(&v);
		int fam;
		uint8_t ip[16];

		if (!val.len)
			return fail(ps, -EBADMSG, "a=candidate: \"%s\" without a value",
				    show(ps, k));
		if (str_is(k, "raddr")) {
			if (cand_addr(val, &fam, ip) < 0)
				return fail(ps, -EINVAL, "a=candidate: bad raddr");
			c.raddr = val;
		} else if (str_is(k, "rport")) {
			r = field_num(ps, val, 0, 65535, "a=candidate: rport", &n);
			if (r < 0)
				return r;
			c.rport = (uint16_t)n;
		}
	}
	/* RFC 8839 section 5.1: a transport we do not know is ignored. */
	if (str_case_is(transport, "tcp")) {
		c.tcp = true;
	} else if (!str_case_is(transport, "udp")) {
		m->cands_skipped++;
		return 0;
	}
	/* Chrome hides host addresses behind mDNS names; we resolve nothing. */
	if (!c.family && ends_with_local(c.addr)) {
		m->mdns_skipped++;
		return 0;
	}
	if (m->n_cands == MD_SDP_MAX_CAND)
		return fail(ps, -E2BIG, "more than %d candidates", MD_SDP_MAX_CAND);
	m->cands[m->n_cands++] = c;
	return 0;
}

/* where: 1 session, 2 media, 3 both. */
static const struct attr attrs[] = {
	{ "group", 1, true, a_group },
	{ "msid-semantic", 1, true, a_msid_semantic },
	{ "ice-lite", 1, false, a_ice_lite },
	{ "extmap-allow-mixed", 3, false, a_extmap_allow_mixed },
	{ "ice-ufrag", 3, true, a_ice_cred },
	{ "ice-pwd", 3, true, a_ice_cred },
	{ "ice-options", 3, true, a_ice_options },
	{ "fingerprint", 3, true, a_fingerprint },
	{ "setup", 3, true, a_setup },
	{ "sendrecv", 3, false, a_dir },
	{ "sendonly", 3, false, a_dir },
	{ "recvonly", 3, false, a_dir },
	{ "inactive", 3, false, a_dir },
	{ "end-of-candidates", 3, false, a_flag },
	{ "mid", 2, true, a_mid },
	{ "rtcp-mux", 2, false, a_flag },
	{ "rtcp-rsize", 2, false, a_flag },
	{ "bundle-only", 2, false, a_flag },
	{ "rtpmap", 2, true, a_rtpmap },
	{ "fmtp", 2, true, a_fmtp },
	{ "rtcp-fb", 2, true, a_rtcp_fb },
	{ "extmap", 2, true, a_extmap },
	{ "ssrc", 2, true, a_ssrc },
	{ "ssrc-group", 2, true, a_ssrc_group },
	{ "rid", 2, true, a_rid },
	{ "simulcast", 2, true, a_simulcast },
	{ "msid", 2, true, a_msid },
	{ "candidate", 2, true, a_candidate },
};

static int line_attr(struct ps *ps, struct md_sdp_str v)
{
	unsigned *count = ps->m ? &ps->m->n_attrs : &ps->sdp->n_attrs;
	struct md_sdp_str name;
	bool colon;

	if (++*count > MD_SDP_MAX_ATTR)
		return fail(ps, -E2BIG, "more than %d attributes in the %s", MD_SDP_MAX_ATTR,
			    ps->m ? "m-section" : "session");
	name = split_at(&v, ':', &colon);
	if (!is_token(name, 64))
		return fail(ps, -EBADMSG, "a= line without an attribute name");
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		const struct attr *a = &attrs[i];

		if (!str_is(name, a->name))
			continue;
		if (!(a->where & (ps->m ? 2 : 1)))
			return fail(ps, -EBADMSG, "a=%s is not allowed at %s level", a->name,
				    ps->m ? "media" : "session");
		if (a->value && (!colon || !v.len))
			return fail(ps, -EBADMSG, "a=%s needs a value", a->name);
		if (!a->value && colon)
			return fail(ps, -EBADMSG, "a=%s takes no value", a->name);
		return a->fn(ps, a, v);
	}
	if (ps->m)
		ps->m->unknown_attrs++;
	else
		ps->sdp->unknown_attrs++;
	return 0;
}

/* --- the other lines ---------------------------------------------------------------------- */

static int line_origin(struct ps *ps, struct md_sdp_str v)
{
	struct md_sdp_str user = next_tok(&v), id = next_tok(&v), ver = next_tok(&v);
	struct md_sdp_str net = next_tok(&v), at = next_tok(&v), addr = next_tok(&v);
	int r;

	/* RFC 8866 section 5.2: six fields */
	if (!user.len || !addr.len || v.len)
		return fail(ps, -EBADMSG, "o= does not have six fields");
	r = field_num(ps, id, 0, UINT64_MAX, "o=: session id", &ps->sdp->sess_id);
	if (r < 0)
		return r;
	r = field_num(ps, ver, 0, UINT64_MAX, "o=: session version", &ps->sdp->sess_version);
	if (r < 0)
		return r;
	if (!str_is(net, "IN") || !(str_is(at, "IP4") || str_is(at, "IP6")))
		return fail(ps, -EINVAL, "o=: not IN IP4 or IN IP6");
	ps->seen_o = true;
	return 0;
}

static int line_conn(struct ps *ps, struct md_sdp_str v)
{
	struct md_sdp_str net = next_tok(&v), at = next_tok(&v), addr = next_tok(&v);

	/* RFC 8866 section 5.7; multicast TTLs and address ranges are left
	 * in the address, which we do not use (ICE candidates carry it). */
	if (!addr.len || v.len)
		return fail(ps, -EBADMSG, "c= does not have three fields");
	if (!str_is(net, "IN") || !(str_is(at, "IP4") || str_is(at, "IP6")))
		return fail(ps, -EINVAL, "c=: not IN IP4 or IN IP6");
	if (ps->m)
		ps->m_c = true;
	else
		ps->sess_c = true;
	return 0;
}

static int line_bw(struct ps *ps, struct md_sdp_str v)
{
	bool colon;
	struct md_sdp_str type = split_at(&v, ':', &colon);
	uint64_t n;

	if (!is_token(type, 32) || !colon)
		return fail(ps, -EBADMSG, "b= is not <type>:<bandwidth>");
	return field_num(ps, v, 0, UINT32_MAX, "b=: bandwidth", &n);
}

static int line_time(struct ps *ps, struct md_sdp_str v)
{
	uint64_t n;
	int r = field_num(ps, next_tok(&v), 0, UINT64_MAX, "t=: start time", &n);

	if (r < 0)
		return r;
	r = field_num(ps, next_tok(&v), 0, UINT64_MAX, "t=: stop time", &n);
	if (r < 0)
		return r;
	if (v.len)
		return fail(ps, -EBADMSG, "t= has more than two fields");
	ps->seen_t = true;
	return 0;
}

struct rid_ref {
	const struct md_sdp_msect *m;
	bool send;
};

static bool rid_known(void *arg, struct md_sdp_str id)
{
	const struct rid_ref *ref = arg;

	for (unsigned i = 0; i < ref->m->n_rids; i++)
		if (str_eq(ref->m->rids[i].id, id) && ref->m->rids[i].send == ref->send)
			return true;
	return false;
}

/* Checks what a section needs once its last line is read. */
static int close_msect(struct ps *ps)
{
	struct md_sdp_msect *m = ps->m;

	if (!m)
		return 0;
	/* JSEP (RFC 8829 section 5.2.1) gives every m-section a mid. */
	if (!m->mid.p)
		return fail_at(ps, m->line, -ENODATA, "the m-section has no a=mid");
	if (!ps->m_c && !ps->sess_c)
		return fail_at(ps, m->line, -ENODATA, "the m-section has no c= line");
	if (!ps->m_dir_set)
		m->dir = ps->s_dir;
	for (unsigned g = 0; g < m->n_groups; g++) {
		for (unsigned k = 0; k < m->groups[g].n; k++) {
			bool found = false;

			for (unsigned i = 0; i < m->n_ssrcs; i++)
				found |= m->ssrcs[i].ssrc == m->groups[g].ssrc[k];
			if (!found)
				return fail_at(ps, ps->group_line[g], -ENOENT,
					       "a=ssrc-group: SSRC %u has no a=ssrc line",
					       m->groups[g].ssrc[k]);
		}
	}
	/* RFC 8853 section 5.1: every rid-id of a=simulcast has an a=rid
	 * line of the same direction. */
	for (int k = 0; k < 2; k++) {
		struct rid_ref ref = { m, k == 0 };
		struct md_sdp_str bad;

		if (simulcast_walk(k ? m->simulcast_recv : m->simulcast_send, rid_known, &ref,
				   &bad) < 0)
			return fail_at(ps, ps->simulcast_line, -ENOENT,
				       "a=simulcast: rid %s has no a=rid:%s %s", show(ps, bad),
				       show(ps, bad), k ? "recv" : "send");
	}
	ps->m = NULL;
	return 0;
}

static int line_media(struct ps *ps, struct md_sdp_str v)
{
	struct md_sdp *sdp = ps->sdp;
	struct md_sdp_msect *m;
	struct md_sdp_str media = next_tok(&v), port = next_tok(&v), proto = next_tok(&v), p;
	bool slash;
	uint64_t n;
	int r = close_msect(ps);

	if (r < 0)
		return r;
	if (!ps->seen_t)
		return fail(ps, -EBADMSG, "m= before any t= line");
	if (sdp->n_m == MD_SDP_MAX_MSECT)
		return fail(ps, -E2BIG, "more than %d m-sections", MD_SDP_MAX_MSECT);
	m = &sdp->m[sdp->n_m++];
	ps->m = m;
	ps->m_c = ps->m_dir_set = false;
	m->line = ps->line;
	if (!is_token(media, 32) || !is_proto(proto) || !v.len)
		return fail(ps, -EBADMSG, "m= is not <media> <port> <proto> <fmt>...");
	m->media = media;
	m->kind = str_is(media, "audio")	 ? MD_SDP_AUDIO
		  : str_is(media, "video")	 ? MD_SDP_VIDEO
		  : str_is(media, "application") ? MD_SDP_APPLICATION
						 : MD_SDP_OTHER;
	p = split_at(&port, '/', &slash);
	r = field_num(ps, p, 0, 65535, "m=: port", &n);
	if (r < 0)
		return r;
	if (slash)
		return fail(ps, -EINVAL, "m=: port ranges are not used with ICE");
	m->port = (uint16_t)n;
	m->proto = proto;
	m->fmts = v;
	/* RFC 8829 section 5.1.2: media over ICE and DTLS-SRTP. A section
	 * the offerer already rejected (port 0) may say anything. */
	if ((m->kind == MD_SDP_AUDIO || m->kind == MD_SDP_VIDEO) && m->port &&
	    !str_is(proto, "UDP/TLS/RTP/SAVPF"))
		return fail(ps, -EPROTONOSUPPORT, "m=: %s over %s, not UDP/TLS/RTP/SAVPF",
			    show(ps, media), show(ps, proto));
	m->rtp = memmem(proto.p, proto.len, "RTP/", 4) != NULL;
	while (v.len) {
		struct md_sdp_str f = next_tok(&v);

		if (!m->rtp) {
			if (!is_token(f, 64))
				return fail(ps, -EBADMSG, "m=: bad format \"%s\"", show(ps, f));
			continue;
		}
		r = field_num(ps, f, 0, 127, "m=: payload type", &n);
		if (r < 0)
			return r;
		if (md_sdp_find_pt(m, (unsigned)n))
			return fail(ps, -EEXIST, "m=: payload type %u twice", (unsigned)n);
		if (m->n_pts == MD_SDP_MAX_PT)
			return fail(ps, -E2BIG, "m=: more than %d payload types", MD_SDP_MAX_PT);
		m->pts[m->n_pts].pt = (uint8_t)n;
		m->pts[m->n_pts].apt = -1;
		m->pts[m->n_pts].packetization_mode = -1;
		m->n_pts++;
	}
	return 0;
}

/* RFC 8866 section 9: the session's lines in this order (t and r repeat as
 * pairs), then the m-sections' in theirs. The letters that may repeat
 * next to each other follow each order after the '|'. */
static const char sess_order[] = "vosiuepcbtrzka", sess_rep[] = "epbtra";
static const char media_order[] = "micbka", media_rep[] = "cba";

static int check_order(struct ps *ps, char type)
{
	const char *order = ps->m ? media_order : sess_order;
	const char *rep = ps->m ? media_rep : sess_rep;
	const char *at = strchr(order, type), *prev;

	if (type == 'm')
		return 0;
	if (!at)
		return fail(ps, -EBADMSG, "%c= is not allowed %s", type,
			    ps->m ? "in an m-section" : "at session level");
	prev = ps->prev ? strchr(order, ps->prev) : NULL;
	if (type == ps->prev && !strchr(rep, type))
		return fail(ps, -EBADMSG, "a second %c= line", type);
	if (type == 'r' && ps->prev != 't' && ps->prev != 'r')
		return fail(ps, -EBADMSG, "r= not after t=");
	if (type == 't' && ps->prev == 'r')
		return 0;
	if (prev && at < prev)
		return fail(ps, -EBADMSG, "%c= after %c=", type, ps->prev);
	return 0;
}

static int parse_line(struct ps *ps, const char *p, size_t len)
{
	struct md_sdp_str v;
	char type;
	int r;

	if (len < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z')
		return fail(ps, -EBADMSG, "not a <type>=<value> line");
	type = p[0];
	v = (struct md_sdp_str){ p + 2, len - 2 };
	if (ps->line == 1 && type != 'v')
		return fail(ps, -EBADMSG, "the description does not start with v=");
	if ((ps->line == 2 && type != 'o') || (ps->line == 3 && type != 's'))
		return fail(ps, -EBADMSG, "%s= must be line %u", ps->line == 2 ? "o" : "s",
			    ps->line);
	if (ps->line > 1 && type == 'v')
		return fail(ps, -EBADMSG, "a second v= line");
	r = check_order(ps, type);
	if (r < 0)
		return r;
	ps->prev = type;
	switch (type) {
	case 'v':
		if (!str_is(v, "0"))
			return fail(ps, -EBADMSG, "v= is not 0");
		return 0;
	case 'o':
		return line_origin(ps, v);
	case 's':
		/* RFC 8866 section 5.3: one character at least ("s=-"). */
		if (!v.len)
			return fail(ps, -EBADMSG, "empty s=");
		ps->seen_s = true;
		return 0;
	case 't':
		return line_time(ps, v);
	case 'c':
		return line_conn(ps, v);
	case 'b':
		return line_bw(ps, v);
	case 'm':
		return line_media(ps, v);
	case 'a':
		return line_attr(ps, v);
	default:
		return 0; /* i= u= e= p= r= z= k=: text we do not use */
	}
}

/* After the last line: cross-section references and inheritance. */
static int finish(struct ps *ps)
{
	struct md_sdp *sdp = ps->sdp;
	int r = close_msect(ps);

	if (r < 0)
		return r;
	if (!ps->seen_o || !ps->seen_s || !ps->seen_t)
		return fail_at(ps, 0, -ENODATA, "the description has no %s= line",
			       !ps->seen_o ? "o" : !ps->seen_s ? "s" : "t");
	for (unsigned i = 0; i < sdp->n_bundle; i++)
		if (!md_sdp_find_mid(sdp, sdp->bundle[i].p, sdp->bundle[i].len))
			return fail_at(ps, ps->bundle_line, -ENOENT,
				       "a=group:BUNDLE names mid %s, which no m-section has",
				       show(ps, sdp->bundle[i]));
	for (unsigned i = 0; i < sdp->n_m; i++) {
		struct md_sdp_msect *m = &sdp->m[i];
		const char *missing = NULL;

		if (!m->ice.ufrag.p)
			m->ice.ufrag = ps->s_ice.ufrag;
		if (!m->ice.pwd.p)
			m->ice.pwd = ps->s_ice.pwd;
		m->ice.trickle |= ps->s_ice.trickle;
		m->ice.ice2 |= ps->s_ice.ice2;
		if (!m->fp.present)
			m->fp = ps->s_fp;
		if (m->setup == MD_SDP_SETUP_NONE)
			m->setup = ps->s_setup;
		if (!m->port || (m->kind != MD_SDP_AUDIO && m->kind != MD_SDP_VIDEO))
			continue;
		if (!m->ice.ufrag.p)
			missing = "a=ice-ufrag";
		else if (!m->ice.pwd.p)
			missing = "a=ice-pwd";
		else if (!m->fp.present)
			missing = "a=fingerprint";
		else if (m->setup == MD_SDP_SETUP_NONE)
			missing = "a=setup";
		if (missing)
			return fail_at(ps, m->line, -ENODATA, "the m-section has no %s", missing);
	}
	sdp->ice = ps->s_ice;
	sdp->fp = ps->s_fp;
	sdp->setup = ps->s_setup;
	if (sdp->n_m) {
		if (!sdp->ice.ufrag.p)
			sdp->ice = sdp->m[0].ice;
		if (!sdp->fp.present)
			sdp->fp = sdp->m[0].fp;
		if (sdp->setup == MD_SDP_SETUP_NONE)
			sdp->setup = sdp->m[0].setup;
	}
	return 0;
}

int md_sdp_parse(const uint8_t *buf, size_t len, struct md_sdp *sdp, char *err, size_t errlen)
{
	struct ps ps = { .sdp = sdp, .err = err, .errlen = errlen };
	const char *p = (const char *)buf, *end = p + len;
	int r = 0;

	memset(sdp, 0, sizeof(*sdp));
	if (err && errlen)
		err[0] = '\0';
	if (len > MD_SDP_MAX_LEN) {
		r = fail_at(&ps, 0, -EMSGSIZE, "the description is %zu bytes, over the %d cap",
			    len, MD_SDP_MAX_LEN);
		goto out;
	}
	if (!len) {
		r = fail_at(&ps, 0, -EBADMSG, "the description is empty");
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		ps.line++;
		/* RFC 8866 section 5 says CRLF and that LF alone should be
		 * taken; a missing end on the last line is taken too. */
		if (nl && n && p[n - 1] == '\r')
			n--;
		if (n > MD_SDP_MAX_LINE) {
			r = fail(&ps, -EMSGSIZE, "the line is over %d bytes", MD_SDP_MAX_LINE);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c == '\0') {
				r = fail(&ps, -EBADMSG, "NUL byte");
				goto out;
			}
			if (c < 0x20 || c == 0x7f) {
				r = fail(&ps, -EBADMSG, "control character 0x%02x", c);
				goto out;
			}
		}
		r = parse_line(&ps, p, n);
		if (r < 0)
			goto out;
		p = nl ? nl + 1 : end;
	}
	r = finish(&ps);
out:
	if (r < 0)
		memset(sdp, 0, sizeof(*sdp));
	return r;
}

const struct md_sdp_msect *md_sdp_find_mid(const struct md_sdp *sdp, const char *mid, size_t len)
{
	struct md_sdp_str want = { mid, len };

	for (unsigned i = 0; i < sdp->n_m; i++)
		if (sdp->m[i].mid.p && str_eq(sdp->m[i].mid, want))
			return &sdp->m[i];
	return NULL;
}
