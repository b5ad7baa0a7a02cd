// SPDX-License-Identifier: GPL-2.0-or-later
// Web Admin in a real browser (issue 10, "Proof"): Debian's chromium driven
// by playwright-core. Run by tests/integration/webadmin_browser.sh in the
// peer namespace; prints one line per check, "PASS <what>" or
// "FAIL <what>: <why>", and "DONE" when it got to the end.
//
// Environment: CB_URL (https://10.124.144.90), ADMIN_USER/ADMIN_PW (an MMP
// user of role admin), API_USER/API_PW (role api), EVIL_URL (a page of
// another origin that posts a form to /config/general), CHROMIUM.
import https from "node:https";
import { chromium } from "playwright-core";
import { check, done, fail, pass } from "./tap.mjs";

const env = (k) => {
	if (!process.env[k]) {
		console.log(`FAIL setup: ${k} is not set`);
		process.exit(2);
	}
	return process.env[k];
};
const CB = env("CB_URL");
const EVIL = env("EVIL_URL");
const ADMIN = [env("ADMIN_USER"), env("ADMIN_PW")];
const API = [env("API_USER"), env("API_PW")];


// One request outside the browser (the API, or a page with a given cookie).
function req(method, path, { headers = {}, body } = {}) {
	return new Promise((resolve, reject) => {
		const r = https.request(CB + path, { method, headers, rejectUnauthorized: false, timeout: 20000 },
			(res) => {
				let data = "";
				res.setEncoding("utf8");
				res.on("data", (c) => (data += c));
				res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
			});
		r.on("error", reject);
		r.on("timeout", () => r.destroy(new Error("timeout")));
		if (body) r.write(body);
		r.end();
	});
}
const basic = ([u, p]) => "Basic " + Buffer.from(`${u}:${p}`).toString("base64");
const apiXmpp = async () => (await req("GET", "/api/v1/system/configuration/xmpp",
	{ headers: { Authorization: basic(API) } })).body;
const elem = (xml, name) => {
	const m = xml.match(new RegExp(`<${name}>([^<]*)</${name}>`));
	return m ? m[1] : null;
};

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	headless: true,
	// Root in a namespace: chromium's own sandbox cannot start there.
	args: ["--no-sandbox", "--disable-dev-shm-usage"],
	timeout: 60000,
});
try {
	const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
	const page = await ctx.newPage();
	page.setDefaultTimeout(20000);

	// --- login --------------------------------------------------------------
	await page.goto(CB + "/");
	check(new URL(page.url()).pathname === "/login", "GET / leads to /login", page.url());
	await page.fill("#username", ADMIN[0]);
	await page.fill("#password", "not-the-password");
	await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
	let cookies = await ctx.cookies(CB);
	check(!cookies.some((c) => c.name === "cvsession" && c.value) &&
		new URL(page.url()).pathname !== "/status", "a wrong password does not log in", page.url());
	await page.goto(CB + "/login");
	await page.fill("#username", ADMIN[0]);
	await page.fill("#password", ADMIN[1]);
	await Promise.all([page.waitForURL(/\/status$/), page.click("button[type=submit]")])
		.then(() => pass("log in as an admin: Status page"))
		.catch((e) => fail("log in as an admin: Status page", `${page.url()} ${e.message}`));
	cookies = await ctx.cookies(CB);
	const sess = cookies.find((c) => c.name === "cvsession");
	check(sess && sess.httpOnly && sess.secure && sess.sameSite === "Strict",
		"the session cookie cvsession is HttpOnly, Secure, SameSite=Strict", JSON.stringify(sess));

	// --- Status > General -------------------------------------------------------
	const status = await page.textContent("body");
	for (const w of ["uptime", "version", "call bridge", "web bridge", "active calls"])
		check(status.toLowerCase().includes(w), `Status shows ${w}`, status.slice(0, 300));

	// --- Configuration > General: the XMPP settings ---------------------------------
	const stamp = Date.now().toString(36);
	const want = { uniqueName: `cb-${stamp}`, domain: `${stamp}.example.com`,
		serverAddress: `xmpp-${stamp}.example.com`, sharedSecret: `Sec.${stamp}.42` };
	let r = await page.goto(CB + "/config/general");
	check(r && r.status() === 200, "Configuration > General opens", r && r.status());
	for (const [k, v] of Object.entries(want)) await page.fill(`[name=${k}]`, v);
	await Promise.all([page.waitForLoadState("load"),
		page.click("form:has([name=uniqueName]) [type=submit]")]);
	await page.goto(CB + "/config/general");
	check(await page.inputValue("[name=uniqueName]") === want.uniqueName &&
		await page.inputValue("[name=domain]") === want.domain &&
		await page.inputValue("[name=serverAddress]") === want.serverAddress,
		"the saved XMPP settings show on the page again",
		await page.inputValue("[name=uniqueName]"));
	const shown = await page.content();
	check(!shown.includes(want.sharedSecret), "the shared secret is not shown back in the page", "it is");
	let x = await apiXmpp();
	check(elem(x, "uniqueName") === want.uniqueName && elem(x, "domain") === want.domain &&
		elem(x, "serverAddressOverride") === want.serverAddress,
		"the API's /system/configuration/xmpp has the values saved in Web Admin", x);

	// --- Configuration > API -------------------------------------------------------
	r = await page.goto(CB + "/config/api");
	const apiPage = await page.textContent("body");
	check(r && r.status() === 200 && apiPage.includes("coSpaces"),
		"Configuration > API opens and lists coSpaces", `${r && r.status()} ${apiPage.slice(0, 200)}`);
	const link = page.locator("a", { hasText: /^\s*\/?(api\/v1\/)?coSpaces\s*$/ }).first();
	if (await link.count()) {
		await Promise.all([page.waitForLoadState("load"), link.click()]);
		check((await page.textContent("body")).length > 0, "Configuration > API: the coSpaces object list opens", page.url());
	} else {
		fail("Configuration > API: the coSpaces object list opens", "no link named coSpaces");
	}

	// --- Logs > Event log and Detailed tracing ----------------------------------------
	for (const p of ["/logs/event", "/logs/tracing"]) {
		r = await page.goto(CB + p);
		check(r && r.status() === 200, `${p} opens`, r && r.status());
	}

	// --- CSRF ------------------------------------------------------------------------
	const cookieHdr = `cvsession=${sess ? sess.value : ""}`;
	await page.goto(CB + "/config/general");
	const csrf = await page.inputValue("[name=csrf]").catch(() => "");
	check(csrf.length >= 16, "the form carries a csrf token", csrf);
	const form = (tok) => new URLSearchParams({ uniqueName: "evil", domain: "evil.example",
		serverAddress: "evil.example", sharedSecret: "evil", csrf: tok }).toString();
	const post = (hdrs, tok) => req("POST", "/config/general", { body: form(tok), headers: {
		"Content-Type": "application/x-www-form-urlencoded", Cookie: cookieHdr, ...hdrs } });
	r = await post({ Origin: CB }, "0123456789abcdef0123456789abcdef");
	check(r.status === 403, "a POST with the session but a wrong csrf token: 403", r.status);
	r = await post({ Origin: CB }, "");
	check(r.status === 403, "a POST with the session and no csrf token: 403", r.status);
	r = await post({ Origin: new URL(EVIL).origin }, csrf);
	check(r.status === 403, "a POST with the right token but a foreign Origin: 403", r.status);
	// The attack as a browser makes it: a page of another origin posts a
	// form to /config/general while the admin is logged in.
	await page.goto(EVIL);
	await page.waitForURL((u) => u.toString().startsWith(CB), { timeout: 20000 }).catch(() => {});
	await page.waitForLoadState("load");
	x = await apiXmpp();
	check(elem(x, "uniqueName") === want.uniqueName && elem(x, "domain") === want.domain,
		"a form posted from another origin changes nothing", x);

	// --- logout --------------------------------------------------------------------------
	await page.goto(CB + "/status");
	const out = page.locator("form[action$='/logout'] [type=submit]").first();
	if (await out.count()) {
		await Promise.all([page.waitForLoadState("load"), out.click()]);
	} else {
		const tok = await page.locator("[name=csrf]").first().inputValue();
		await req("POST", "/logout", { body: `csrf=${encodeURIComponent(tok)}`, headers: {
			"Content-Type": "application/x-www-form-urlencoded", Cookie: cookieHdr, Origin: CB } });
	}
	r = await page.goto(CB + "/status");
	check(new URL(page.url()).pathname === "/login", "after logout /status leads to /login", page.url());
	r = await req("GET", "/status", { headers: { Cookie: cookieHdr } });
	check(r.status !== 200, "the old session cookie no longer works after logout", r.status);
	r = await req("GET", "/config/general", { headers: { Cookie: cookieHdr } });
	check(r.status !== 200 && !r.body.includes(want.uniqueName),
		"... not for Configuration > General either", r.status);
	await ctx.close();
} catch (e) {
	fail("the browser run", e.stack || e);
} finally {
	await browser.close();
}
done();
