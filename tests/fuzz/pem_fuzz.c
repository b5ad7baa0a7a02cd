// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the PEM/DER loading path of certs/certs.c: what
 * "pki inspect", "pki match", "pki verify", "pki unlock",
 * "pki pkcs12-to-pem" and the enable-time checks do with an uploaded file.
 * The input is sniffed and described, loaded as a key (without and with a
 * passphrase), as a certificate list (matched against the key, checked for
 * order, dates and names, verified against itself), and as PKCS #12.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/certs.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_certs_list l = { NULL, 0 }, p12chain = { NULL, 0 };
	gnutls_x509_privkey_t key = NULL, k2 = NULL, p12key = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *buf;
	bool der;

	if (size > CV_CERTS_FILE_MAX)
		return 0;
	/* The loaders see what cv_file_read() gives: NUL-terminated. */
	buf = xmalloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	cv_certs_init();
	(void)cv_certs_kind(buf, size, &der);
	cv_certs_describe("fuzz", buf, size, &sb);
	if (cv_certs_key_load(buf, size, NULL, &key) == 0) {
		char desc[64], *pem = NULL;
		size_t n = 0;

		cv_certs_key_describe(key, desc, sizeof(desc));
		if (cv_certs_key_export(key, &pem, &n) == 0)
			free(pem);
	}
	if (cv_certs_key_load(buf, size, "Secret.123", &k2) == 0)
		gnutls_x509_privkey_deinit(k2);
	if (cv_certs_list_load(buf, size, &l) == 0) {
		unsigned bad;
		char reason[128];

		if (key)
			(void)cv_certs_key_matches(key, l.crt[0]);
		(void)cv_certs_chain_order(&l, &bad);
		(void)cv_certs_validity(l.crt[0], (time_t)1718452800);
		(void)cv_certs_host_match(l.crt[0], "edge.cms.demo");
		(void)cv_certs_host_match(l.crt[0], "192.0.2.20");
		(void)cv_certs_verify(&l, &l, (time_t)1718452800, reason, sizeof(reason));
		cv_certs_list_free(&l);
	}
	if (cv_certs_pkcs12_parse(buf, size, "Secret.123", &p12key, &p12chain) == 0) {
		gnutls_x509_privkey_deinit(p12key);
		cv_certs_list_free(&p12chain);
	}
	if (key)
		gnutls_x509_privkey_deinit(key);
	sb_free(&sb);
	free(buf);
	return 0;
}
