/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rendered config of convene-turn (services/mmpd/README.md: the JSON
 * mmpd writes to <state>/run/turn.json) into struct turn_config. Fails
 * closed: an unknown key, a value of the wrong type or out of range, a
 * listen interface without an address, or missing credentials is an error
 * naming the key.
 */
#ifndef TURN_CONFIG_H
#define TURN_CONFIG_H

#include <json-c/json.h>
#include <stddef.h>

#include "services/turn/turn_proto.h"

/* Relay port ranges (documented in man/turn.8). */
#define TURN_PORTS_NORMAL_LO 49152
#define TURN_PORTS_NORMAL_HI 65535
#define TURN_PORTS_HIGH_LO 32768
#define TURN_PORTS_HIGH_HI 65535
/* The longest realm a 401 to the smallest UDP Allocate can carry. */
#define TURN_REALM_SMALL_MAX 32u

int turn_config_from_json(json_object *root, struct turn_config *cfg, char *err, size_t errlen);
int turn_config_load(const char *path, struct turn_config *cfg, char *err, size_t errlen);
void turn_config_free(struct turn_config *cfg);

#endif
