// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The API core's log lines (seed 003/004 words, the client's address first)
 * and that no password, shared secret or passcode reaches the log.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/strbuf.h"
#include "services/callbridge/cb_api.h"
#include "tests/unit/tap.h"

static struct strbuf logged = STRBUF_INIT;

static void sink(int level, const char *msg, void *opaque)
{
	(void)level;
	(void)opaque;
	sb_puts(&logged, msg);
	sb_putc(&logged, '\n');
}

static struct cb_api *api;
static char last_id[40];

static int request(const char *m, const char *path, const char *body, const char *from)
{
	struct cb_request req = { m, path, NULL, body, body ? strlen(body) : 0, "admin", from };
	struct cb_response resp;
	int status;

	cb_response_init(&resp);
	cb_api_handle(api, &req, &resp);
	status = resp.status;
	if (resp.location[0])
		snprintf(last_id, sizeof(last_id), "%s",
			 resp.location + strlen(resp.location) - 36);
	cb_response_free(&resp);
	return status;
}

int main(void)
{
	char dir[] = "/tmp/test_cb_log.XXXXXX", path[128], err[256], want[256], p[128];
	char space[40], call[40];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cb.db", dir);
	cv_log_set_sink(sink, NULL);
	ok(cb_api_open(path, "cb1", &api, err, sizeof(err)) == 0, "open");

	is_int(request("POST", "/coSpaces", "name=Space%201&uri=s1&callId=9999&passcode=4711",
		       "172.19.233.174"), 200, "create a space");
	snprintf(space, sizeof(space), "%s", last_id);
	snprintf(want, sizeof(want), "172.19.233.174: API user \"admin\" created new space %s\n",
		 space);
	is_str(sb_str(&logged), want, "seed 003 form, client address first");

	sb_reset(&logged);
	snprintf(p, sizeof(p), "coSpace=%s", space);
	is_int(request("POST", "/calls", p, NULL), 200, "start its call");
	snprintf(call, sizeof(call), "%s", last_id);
	ok(strstr(sb_str(&logged), "API user \"admin\" created new call") == sb_str(&logged),
	   "no address: no prefix");
	snprintf(want, sizeof(want), "API \"Space 1\" Space GUID: %s <--> Call Correlator GUID: ",
		 space);
	ok(strstr(sb_str(&logged), want) != NULL, "seed 004 space/correlator line");
	snprintf(want, sizeof(want), "conference %s named \"Space 1\"", call);
	ok(strstr(sb_str(&logged), want) != NULL, "seed 004 conference named line");

	sb_reset(&logged);
	snprintf(p, sizeof(p), "/calls/%s", call);
	is_int(request("DELETE", p, NULL, "10.0.0.1"), 200, "end the call");
	snprintf(want, sizeof(want), "conference %s destroyed", call);
	ok(strstr(sb_str(&logged), want) != NULL, "seed 004 destroyed line");

	sb_reset(&logged);
	is_int(request("POST", "/users", "userJid=ken@example.com&password=Pw.Secret-123", NULL),
	       200, "a user with a password");
	snprintf(p, sizeof(p), "/users/%s", last_id);
	is_int(request("PUT", p, "password=Pw.Other-456", NULL), 200, "change it");
	is_int(request("PUT", "/system/configuration/xmpp", "sharedSecret=Xmpp.Shared-789", NULL),
	       200, "an XMPP shared secret");
	is_int(request("POST", "/turnServers", "serverAddress=192.0.2.1&password=Turn.Pw-000",
		       NULL), 200, "a TURN server password");
	snprintf(p, sizeof(p), "/coSpaces/%s", space);
	is_int(request("PUT", p, "passcode=8812", NULL), 200, "a passcode");
	ok(sb_str(&logged)[0] != '\0', "those writes were logged");
	ok(!strstr(sb_str(&logged), "Pw.Secret-123") && !strstr(sb_str(&logged), "Pw.Other-456") &&
		   !strstr(sb_str(&logged), "Xmpp.Shared-789") &&
		   !strstr(sb_str(&logged), "Turn.Pw-000") && !strstr(sb_str(&logged), "8812"),
	   "no password, secret or passcode in the log");
	if (strstr(sb_str(&logged), "Secret") || strstr(sb_str(&logged), "8812"))
		tap_diag_str("log: ", sb_str(&logged));

	cb_api_close(api);
	sb_free(&logged);
	{
		char *cmd = xasprintf("rm -rf %s", dir);

		if (system(cmd) != 0)
			diag("could not remove %s", dir);
		free(cmd);
	}
	return tap_done();
}
