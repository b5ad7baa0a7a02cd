#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Settings survive a restart: configure the seed 004 edge and core servers
# (spec/mmp.md section 13) through mmp, read every status screen, stop mmpd
# with SIGTERM, start it again on the same state directory, and check that
# every screen is byte-identical and still shows the configured values.
# Only configuration commands are used: "enable" needs the PKI checks and
# the services, which are not built yet.
set -u
. "$(dirname "$0")/lib.sh"

cv_require_root
cv_require_programs
cv_init persistence

# The files the certs commands name (empty; nothing checks them before enable).
UPLOADS="edge.key cmsedge-fullchain.cer cmscore-fullchain.cer core.key"

EDGE_CMDS='hostname edge1
ipv4 a add 10.124.144.80/24 10.124.144.1
ipv4 b add 10.124.42.112/24 10.124.42.1
ipv4 b default
turn certs edge.key cmsedge-fullchain.cer
turn listen a b
turn credentials admin Cisco.123 cms.demo
turn public-ip 203.0.113.80
turn tls 447
webbridge3 https certs edge.key cmsedge-fullchain.cer
webbridge3 https listen b:445
webbridge3 https listen a:445 b:445
webbridge3 c2w certs edge.key cmsedge-fullchain.cer
webbridge3 c2w listen a:6000
webbridge3 c2w trust cmscore-fullchain.cer
firewall a default allow
firewall a deny 22
ntp server add 192.0.2.123
dns add forwardzone . 192.0.2.53'
EDGE_SCREENS='hostname|ipv4 a|ipv4 b|turn|webbridge3|firewall a|ntp|dns'
# Values each screen must show after the restart (screen<TAB>text).
EDGE_WANT='turn	Realm                   : cms.demo
turn	Username                : admin
turn	TLS port                : 447
turn	Listen interface      b
webbridge3	HTTPS listening ports and interfaces  : a:445 b:445
webbridge3	C2W listening ports and interfaces    : a:6000
webbridge3	C2W Trust bundle                      : cmscore-fullchain.cer
ipv4 b	    default         true
ipv4 a	    address         10.124.144.80
hostname	edge1'

CORE_CMDS='ipv4 a add 10.124.56.224/24 10.124.56.1
callbridge listen a
callbridge certs core.key cmscore-fullchain.cer
callbridge trust c2w cmsedge-fullchain.cer
webadmin listen a 443
webadmin certs core.key cmscore-fullchain.cer'
CORE_SCREENS='ipv4 a|callbridge|webadmin'
CORE_WANT='callbridge	Listening interfaces  : a
callbridge	Key file              : core.key
callbridge	C2W trusted certs                   : cmsedge-fullchain.cer
webadmin	TLS listening port      : 443
webadmin	Certificate file        : cmscore-fullchain.cer
ipv4 a	    address         10.124.56.224'

# capture DIR TAG SCREEN...: writes DIR/TAG.<n> for each screen; 0 if all succeeded.
capture() {
	local dir=$1 tag=$2 n=0 s rc=0
	shift 2
	for s in "$@"; do
		n=$((n + 1))
		mmp_c "$s" >"$dir/$tag.$n" || rc=1
	done
	return $rc
}

run_profile() { # run_profile NAME CMDS SCREENS WANT
	local name=$1 cmds=$2 want=$4 d=$CV_TMP/$1 i f out rc s text
	local -a screens
	IFS='|' read -ra screens <<<"$3"
	mkdir -p "$d/state/files"
	for f in $UPLOADS; do : >"$d/state/files/$f"; done

	if ! mmpd_start "$d"; then
		tap_ok 1 "$name: mmpd starts"
		return
	fi
	printf '%s\n' "$cmds" >"$d/cmds"
	out=$(mmp_script "$d/cmds")
	rc=$?
	tap_ok $rc "$name: the seed configuration is accepted ($(wc -l <"$d/cmds") commands)" ||
		tap_diag "$out"

	capture "$d" before "${screens[@]}"
	tap_ok $? "$name: every status screen runs before the restart"

	mmpd_stop
	if ! mmpd_start "$d"; then
		tap_ok 1 "$name: mmpd starts again on the same state directory"
		return
	fi
	tap_ok 0 "$name: mmpd starts again on the same state directory"
	capture "$d" after "${screens[@]}"
	tap_ok $? "$name: every status screen runs after the restart"

	for i in "${!screens[@]}"; do
		f=$((i + 1))
		if cmp -s "$d/before.$f" "$d/after.$f"; then
			tap_ok 0 "$name: \"${screens[$i]}\" is identical after the restart"
		else
			tap_ok 1 "$name: \"${screens[$i]}\" is identical after the restart"
			diff -u --label before --label after "$d/before.$f" "$d/after.$f" |
				head -n 40 | sed 's/^/# /'
		fi
	done

	# Identical is not enough: the screens must hold the settings.
	while IFS=$'\t' read -r s text; do
		f=
		for i in "${!screens[@]}"; do
			[ "${screens[$i]}" = "$s" ] && f=$d/after.$((i + 1))
		done
		if [ -n "$f" ] && grep -qxF -- "$text" "$f"; then
			tap_ok 0 "$name: \"$s\" shows \"$text\""
		else
			tap_ok 1 "$name: \"$s\" shows \"$text\""
			tap_diag_file "$f"
		fi
	done <<<"$want"
	mmpd_stop
}

run_profile edge "$EDGE_CMDS" "$EDGE_SCREENS" "$EDGE_WANT"
run_profile core "$CORE_CMDS" "$CORE_SCREENS" "$CORE_WANT"
tap_done
