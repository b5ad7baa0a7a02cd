// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Object rules of the API core that no spec example shows: a space's
 * ownerId follows its ownerJid, a deleted user leaves no membership and
 * owns nothing, a deleted space takes its call along, and a failed write
 * in the middle of a request changes nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "services/callbridge/cb_api.h"
#include "tests/unit/tap.h"

static struct cb_api *api;
static char last_id[40];
static char body_out[4096];

static void quiet(int level, const char *msg, void *opaque)
{
	(void)level;
	(void)msg;
	(void)opaque;
}

static int request(const char *m, const char *path, const char *query, const char *body)
{
	struct cb_request req = { m, path, query, body, body ? strlen(body) : 0, "admin", NULL };
	struct cb_response resp;
	int status;

	cb_response_init(&resp);
	cb_api_handle(api, &req, &resp);
	status = resp.status;
	if (resp.location[0])
		snprintf(last_id, sizeof(last_id), "%s",
			 resp.location + strlen(resp.location) - 36);
	snprintf(body_out, sizeof(body_out), "%s", sb_str(&resp.body));
	cb_response_free(&resp);
	return status;
}

int main(void)
{
	char dir[] = "/tmp/test_cb_rules.XXXXXX", path[128], err[256], p[256], b[256];
	char user[40], space[40], member[40];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	cv_log_set_sink(quiet, NULL);
	snprintf(path, sizeof(path), "%s/cb.db", dir);
	ok(cb_api_open(path, "cb1", &api, err, sizeof(err)) == 0, "open");

	is_int(request("POST", "/users", NULL, "userJid=ken@example.com&name=Ken"), 200, "a user");
	snprintf(user, sizeof(user), "%s", last_id);
	is_int(request("POST", "/coSpaces", NULL, "name=Ken%27s&ownerJid=ken@example.com"), 200,
	       "a space owned by the user's JID");
	snprintf(space, sizeof(space), "%s", last_id);
	snprintf(p, sizeof(p), "/coSpaces/%s", space);
	request("GET", p, NULL, NULL);
	snprintf(b, sizeof(b), "<ownerId>%s</ownerId>", user);
	ok(strstr(body_out, b) != NULL, "ownerId is the user's id");
	ok(strstr(body_out, "<name>Ken&apos;s</name>") != NULL, "the name is escaped");

	snprintf(p, sizeof(p), "/coSpaces/%s/coSpaceUsers", space);
	is_int(request("POST", p, NULL, "userJid=ken@example.com&canDestroy=true"), 200,
	       "the user is a member");
	snprintf(member, sizeof(member), "%s", last_id);
	request("GET", p, NULL, NULL);
	ok(strstr(body_out, "total=\"1\"") != NULL, "one member");

	snprintf(p, sizeof(p), "/users/%s", user);
	is_int(request("DELETE", p, NULL, NULL), 200, "delete the user");
	snprintf(p, sizeof(p), "/coSpaces/%s/coSpaceUsers", space);
	request("GET", p, NULL, NULL);
	ok(strstr(body_out, "total=\"0\"") != NULL, "the membership went with the user");
	snprintf(p, sizeof(p), "/coSpaces/%s", space);
	request("GET", p, NULL, NULL);
	ok(strstr(body_out, "<ownerId>") == NULL, "the space has no ownerId any more");
	ok(strstr(body_out, "<ownerJid>ken@example.com</ownerJid>") != NULL,
	   "its ownerJid stays as written");

	/* A space with a call: deleting it ends the call. */
	snprintf(b, sizeof(b), "coSpace=%s", space);
	is_int(request("POST", "/calls", NULL, b), 200, "a call on the space");
	snprintf(p, sizeof(p), "/coSpaces/%s", space);
	is_int(request("DELETE", p, NULL, NULL), 200, "delete the space");
	request("GET", "/calls", NULL, NULL);
	ok(strstr(body_out, "<calls total=\"0\"/>") != NULL, "its call ended");

	/* A request that fails after part of its checks changes nothing. */
	is_int(request("POST", "/coSpaces", NULL, "name=A&uri=a&callId=1"), 200, "space A");
	is_int(request("POST", "/coSpaces", NULL, "name=B&uri=b&callId=2"), 200, "space B");
	snprintf(p, sizeof(p), "/coSpaces/%s", last_id);
	is_int(request("PUT", p, NULL, "name=B2&callId=1"), 400, "B takes A's callId: refused");
	ok(strstr(body_out, "<duplicateCoSpaceId/>") != NULL, "duplicateCoSpaceId");
	request("GET", p, NULL, NULL);
	ok(strstr(body_out, "<name>B</name>") && strstr(body_out, "<callId>2</callId>"),
	   "B's name did not change either");
	is_int(request("PUT", p, NULL, "callLegProfile=00000000-0000-4000-8000-000000000000"), 400,
	       "a profile that does not exist");
	ok(strstr(body_out, "<callLegProfileDoesNotExist/>") != NULL, "callLegProfileDoesNotExist");
	is_int(request("PUT", p, NULL, "tenant=00000000-0000-4000-8000-000000000000"), 400,
	       "a tenant (no tenants in this build)");
	ok(strstr(body_out, "<tenantDoesNotExist/>") != NULL, "tenantDoesNotExist");
	is_int(request("GET", "/coSpaces", "bogusFilter=1", NULL), 400,
	       "an unknown list parameter");
	is_int(request("GET", "/coSpaces", "limit=500", NULL), 200, "limit over the cap");
	is_int(request("POST", "/coSpaces/", NULL, "name=C&requireCallId=true"), 200,
	       "requireCallId without callId");
	snprintf(p, sizeof(p), "/coSpaces/%s", last_id);
	request("GET", p, NULL, NULL);
	{
		const char *c = strstr(body_out, "<callId>");

		ok(c && strspn(c + 8, "0123456789") == 9 && c[17] == '<', "a 9-digit callId");
		c = strstr(body_out, "<secret>");
		ok(c &&
			   strspn(c + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "abcdefghijklmnopqrstuvwxyz0123456789-_") == 22 &&
			   c[30] == '<',
		   "and a 22-character base64url secret");
	}

	cb_api_close(api);
	{
		char *cmd = xasprintf("rm -rf %s", dir);

		if (system(cmd) != 0)
			diag("could not remove %s", dir);
		free(cmd);
	}
	return tap_done();
}
