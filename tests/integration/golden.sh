#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Replays the golden transcripts tests/golden/*.txt (or the files given as
# arguments) through mmp against a fresh mmpd each, and compares every
# command's output byte for byte. One TAP line per command.
#
# Transcript format:
#   # comment              (a line that is "#" or starts with "# ")
#   @upload NAME [FIXTURE] a file NAME in the upload dir: empty, or a copy of
#                          tests/golden/fixtures/FIXTURE
#   @install SVC           the test service program as convene-SVC in the
#                          service dir (a symlink to tests/helpers/svc_crashy)
#   @as USER               the following commands run as mmp --user USER
#   @input TEXT            a line of stdin for the next command: the answer to
#                          one of its prompts ("@input" alone: an empty line)
#   $ COMMAND              run as mmp -c 'COMMAND'
#   output lines...        the expected stdout+stderr, exact
#   [status N]             the expected exit status when it is not 0
# The expected output of a command is the lines between its "$ " line and
# the next directive ("$ ", "@", comment or EOF), each ending in a newline;
# blank lines at the end of a block are ignored (they separate commands),
# blank lines inside it count. A command whose expected status is non-zero
# must also leave config.json byte-identical.
#
# The clock is pinned for mmpd and mmp: CONVENE_TEST_NOW=1718452800
# (2024-06-15 12:00:00 UTC) and TZ=UTC, so dates in screens are fixed.
set -u
. "$(dirname "$0")/lib.sh"
cv_use_test_mmpd

cv_require_root
cv_require_programs

if [ $# -gt 0 ]; then
	files=("$@")
else
	shopt -s nullglob
	files=("$top_srcdir"/tests/golden/*.txt)
	shopt -u nullglob
fi
[ ${#files[@]} -gt 0 ] || tap_skip_all "no transcripts in tests/golden"
[ -x "$SVC_HELPER" ] || tap_bail "$SVC_HELPER is not built"

cv_init golden
export CONVENE_TEST_NOW=1718452800 TZ=UTC
# Run over SSH, mmp would report the operator's session to mmpd and the
# firewall commands would warn about it: the transcripts are console sessions.
unset SSH_CLIENT SSH_CONNECTION

# State of the command being collected.
cmd=
cmd_line=0
cmd_user=
want_status=0
expect=()
pending_input=()
cmd_input=()
fname=
inst=
inst_ok=0

# Runs the collected command and prints its TAP line.
flush_cmd() {
	[ -n "$cmd" ] || return 0
	local n=${#expect[@]} want=$inst/want got=$inst/got rc st_ok=0 conf_ok=0 desc
	local conf=$inst/state/config.json
	# Trailing blank lines separate blocks.
	while [ "$n" -gt 0 ] && [ -z "${expect[$((n - 1))]}" ]; do
		n=$((n - 1))
	done
	: >"$want"
	if [ "$n" -gt 0 ]; then
		printf '%s\n' "${expect[@]:0:$n}" >"$want"
	fi
	desc="$(basename "$fname"):$cmd_line \$ $cmd"
	[ -n "$cmd_user" ] && desc="$desc (as $cmd_user)"
	if [ "$inst_ok" -ne 1 ]; then
		tap_ok 1 "$desc"
		tap_diag "mmpd is not running for this transcript"
		cmd=
		return
	fi
	rm -f "$inst/conf.before"
	[ -f "$conf" ] && cp -p "$conf" "$inst/conf.before"
	: >"$inst/stdin"
	if [ ${#cmd_input[@]} -gt 0 ]; then
		printf '%s\n' "${cmd_input[@]}" >"$inst/stdin"
	fi
	if [ -n "$cmd_user" ]; then
		timeout 30 "$MMP" --socket "$SOCK" --user "$cmd_user" -c "$cmd" <"$inst/stdin" >"$got" 2>&1
	else
		timeout 30 "$MMP" --socket "$SOCK" -c "$cmd" <"$inst/stdin" >"$got" 2>&1
	fi
	rc=$?
	[ "$rc" -eq "$want_status" ] || st_ok=1
	if [ "$want_status" -ne 0 ]; then
		if [ -f "$inst/conf.before" ]; then
			cmp -s "$inst/conf.before" "$conf" || conf_ok=1
		elif [ -f "$conf" ]; then
			conf_ok=1
		fi
	fi
	if cmp -s "$want" "$got" && [ "$st_ok" -eq 0 ] && [ "$conf_ok" -eq 0 ]; then
		tap_ok 0 "$desc"
	else
		tap_ok 1 "$desc"
		if ! cmp -s "$want" "$got"; then
			tap_diag "output differs (--- expected, +++ got):"
			diff -u --label expected --label got "$want" "$got" | head -n 80 | sed 's/^/# /'
			# diff cannot show a missing final newline plainly.
			if [ -s "$got" ] && [ "$(tail -c 1 "$got" | od -An -c | tr -d ' ')" != '\n' ]; then
				tap_diag "(the output does not end in a newline)"
			fi
		fi
		[ "$st_ok" -eq 0 ] || tap_diag "exit status $rc, expected $want_status"
		if [ "$conf_ok" -ne 0 ]; then
			tap_diag "config.json changed although the command failed:"
			diff -u --label before --label after "$inst/conf.before" "$conf" 2>/dev/null |
				head -n 40 | sed 's/^/# /'
		fi
	fi
	cmd=
}

start_instance() {
	inst=$CV_TMP/$1
	mkdir -p "$inst/state/files" "$inst/svc"
	if mmpd_start "$inst"; then
		inst_ok=1
	else
		inst_ok=0
	fi
}

for f in "${files[@]}"; do
	if [ ! -r "$f" ]; then
		tap_ok 1 "$f is readable"
		continue
	fi
	fname=$f
	nfile=$((${nfile:-0} + 1))
	start_instance "$nfile-$(basename "$f" .txt)"
	cmd=
	cmd_user=
	pending_input=()
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case $line in
		'#' | '# '*)
			flush_cmd
			;;
		'$ '*)
			flush_cmd
			cmd=${line#\$ }
			cmd_line=$lineno
			want_status=0
			expect=()
			cmd_input=("${pending_input[@]}")
			pending_input=()
			;;
		'@input' | '@input '*)
			flush_cmd
			pending_input+=("${line#@input}")
			pending_input[-1]=${pending_input[-1]# }
			;;
		'@upload '*)
			flush_cmd
			read -r _ up_name up_fixture _ <<<"$line"
			if [ -n "${up_fixture:-}" ]; then
				if ! cp "$top_srcdir/tests/golden/fixtures/$up_fixture" \
					"$inst/state/files/$up_name"; then
					tap_ok 1 "$(basename "$f"):$lineno fixture $up_fixture exists"
				fi
			else
				: >"$inst/state/files/$up_name"
			fi
			;;
		'@install '*)
			flush_cmd
			read -r _ svc _ <<<"$line"
			ln -sf "$SVC_HELPER" "$inst/svc/convene-$svc"
			;;
		'@as '*)
			flush_cmd
			read -r _ cmd_user _ <<<"$line"
			[ "$cmd_user" = admin ] && cmd_user=
			;;
		'@'*)
			flush_cmd
			tap_ok 1 "$(basename "$f"):$lineno known directive: $line"
			;;
		'[status '*']')
			if [ -n "$cmd" ]; then
				want_status=${line#\[status }
				want_status=${want_status%]}
			else
				tap_ok 1 "$(basename "$f"):$lineno [status] follows a command"
			fi
			;;
		*)
			if [ -n "$cmd" ]; then
				expect+=("$line")
			elif [ -n "$line" ]; then
				tap_ok 1 "$(basename "$f"):$lineno text outside a command block: $line"
			fi
			;;
		esac
	done <"$f"
	flush_cmd
	mmpd_stop
	if [ "$inst_ok" -eq 1 ] && grep -qiE 'AddressSanitizer|runtime error:' "$inst/mmpd.log"; then
		tap_ok 1 "$(basename "$f"): mmpd log has no sanitizer reports"
		tap_diag_file "$inst/mmpd.log"
	fi
done

tap_done
