/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The I/O layer of convene-turn: worker threads, each with its own libuv
 * loop and its own turn_core. Every listen address has one UDP socket and
 * one TCP listener per worker (SO_REUSEPORT), so the kernel spreads clients
 * over the workers by 5-tuple and a client stays on one worker for the life
 * of its allocation; the worker also owns the allocation's relay socket.
 * Nothing is shared between workers on the data path: no lock, no
 * allocation and no log line per packet. UDP is read with recvmmsg and
 * written to clients with sendmmsg, batched per loop iteration into buffers
 * allocated once per worker.
 */
#ifndef TURN_IO_H
#define TURN_IO_H

#include "services/turn/turn_proto.h"

struct turn_server;

/*
 * Binds every listener (UDP and TCP on cfg->port of every listen address,
 * for every worker). Runs before privileges are dropped. The config and
 * shared state are borrowed. Returns 0 or a negative errno with a reason in
 * err.
 */
int turn_server_bind(const struct turn_config *cfg, struct turn_shared *shared,
		     struct turn_server **ret, char *err, size_t errlen);
/* Starts the worker threads. */
int turn_server_start(struct turn_server *s);
/* Stops the workers (they free their allocations) and frees everything. */
void turn_server_stop(struct turn_server *s);
/* Sums the workers' counters; only while no worker runs (turn_server_stop
 * logs them once the workers have stopped). */
void turn_server_stats(struct turn_server *s, struct turn_stats *ret, size_t *ret_allocs);

#endif
