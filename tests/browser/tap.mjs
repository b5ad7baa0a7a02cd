// SPDX-License-Identifier: GPL-2.0-or-later
// The result lines of the browser scripts: "PASS <what>" or "FAIL <what>:
// <why>" (the reason on one line, cut at 600 characters), which lib.sh's
// peer_tap turns into TAP; done() ends the script.
let nfailed = 0;
export const pass = (what) => console.log(`PASS ${what}`);
export const fail = (what, why) => {
	nfailed++;
	console.log(`FAIL ${what}: ${String(why).replace(/\s+/g, " ").slice(0, 600)}`);
};
export const check = (cond, what, why) => (cond ? pass(what) : fail(what, why));
export const failed = () => nfailed;
// The end of a script: "DONE" (the shell checks the run got there) and
// the exit status.
export const done = () => {
	console.log("DONE");
	process.exit(nfailed ? 1 : 0);
};
