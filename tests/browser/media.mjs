// SPDX-License-Identifier: GPL-2.0-or-later
// The media engine with Debian's Chromium (issue 12, "Proof"), driven by
// playwright-core; run by tests/integration/media_browser.sh in a network
// namespace where convene-media listens on 127.0.0.1. One page, two peer
// connections: a publisher with the fake camera and microphone, and a
// subscriber receiving audio and video; each offer goes to the engine's
// control socket (endpoint_create, through media_ctl.py) and its answer
// comes back. Prints "PASS <what>", "FAIL <what>: <why>", "INFO <figure>"
// lines and "DONE".
//
// Environment: MEDIA_CTL (the control socket), MEDIA_CTL_PY (media_ctl.py),
// CHROMIUM.
import { execFileSync } from "node:child_process";
import http from "node:http";
import { chromium } from "playwright-core";
import { check, done, fail } from "./tap.mjs";

const CTL = process.env.MEDIA_CTL;
const CTL_PY = process.env.MEDIA_CTL_PY;

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: ["--no-sandbox", "--disable-dev-shm-usage", "--use-fake-ui-for-media-stream",
		"--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection"],
	timeout: 60000,
});
try {
	const page = await browser.newPage();
	page.setDefaultTimeout(60000);
	await page.exposeFunction("engine", (req) =>
		JSON.parse(execFileSync("/usr/bin/python3", [CTL_PY, CTL], { input: JSON.stringify(req) })
			.toString()));
	// getUserMedia needs a secure context: http://127.0.0.1 is one (a
	// page set with setContent is not). The page is served from here.
	const server = http.createServer((q, res) => {
		res.writeHead(200, { "Content-Type": "text/html" });
		res.end("<!doctype html><html><body>media test</body></html>");
	});
	await new Promise((res) => server.listen(0, "127.0.0.1", res));
	await page.goto(`http://127.0.0.1:${server.address().port}/`);
	server.close();
	const r = await page.evaluate(async () => {
		const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
		const join = async (pc) => {
			await pc.setLocalDescription(await pc.createOffer());
			const a = await window.engine({ op: "endpoint_create", room: "r1",
				offer: pc.localDescription.sdp });
			if (!a.ok)
				return a.error;
			await pc.setRemoteDescription({ type: "answer", sdp: a.answer });
			for (let i = 0; i < 100 && pc.connectionState !== "connected"; i++)
				await sleep(100);
			return pc.connectionState;
		};
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true,
			video: { width: 640, height: 480, frameRate: 30 } });
		const pub = new RTCPeerConnection();
		for (const t of stream.getTracks())
			pub.addTrack(t, stream);
		const pubState = await join(pub);
		const sub = new RTCPeerConnection();
		sub.addTransceiver("audio", { direction: "recvonly" });
		sub.addTransceiver("video", { direction: "recvonly" });
		const subState = await join(sub);
		const stats = async (pc) => {
			const out = [];
			(await pc.getStats()).forEach((s) => out.push(s));
			return out;
		};
		// The send rate is measured over 5 s after 5 s; it is reported,
		// not checked: with the receivers' REMB it stays near Chromium's
		// 300 kbit/s start (services/media/README.md).
		await sleep(5000);
		const sent0 = (await stats(pub)).find((s) => s.type === "outbound-rtp" && s.kind === "video");
		await sleep(5000);
		const ps = await stats(pub), ss = await stats(sub);
		const sent1 = ps.find((s) => s.type === "outbound-rtp" && s.kind === "video");
		return {
			pubState, subState,
			transport: ps.find((s) => s.type === "transport"),
			sentKbps: sent0 && sent1 ? (sent1.bytesSent - sent0.bytesSent) * 8 /
				(sent1.timestamp - sent0.timestamp) : 0,
			pliCount: sent1 ? sent1.pliCount : 0,
			nackCount: sent1 ? sent1.nackCount : 0,
			video: ss.find((s) => s.type === "inbound-rtp" && s.kind === "video"),
			audio: ss.find((s) => s.type === "inbound-rtp" && s.kind === "audio"),
		};
	});
	check(r.pubState === "connected", "the publisher (fake camera and microphone) is connected",
		r.pubState);
	check(r.subState === "connected", "the subscriber is connected", r.subState);
	const t = r.transport || {};
	check(t.dtlsState === "connected" && t.tlsVersion === "FEFD",
		`DTLS 1.2 (${t.tlsVersion}, ${t.dtlsCipher})`, JSON.stringify(t));
	check(t.srtpCipher === "SRTP_AES128_CM_HMAC_SHA1_80", `SRTP ${t.srtpCipher}`, JSON.stringify(t));
	check(t.dtlsRole === "client", `the browser is the DTLS client (${t.dtlsRole})`, t.dtlsRole);
	check(r.video && r.video.framesDecoded > 100,
		`the subscriber decodes the publisher's video (${r.video && r.video.framesDecoded} frames, ` +
		`${r.video && r.video.frameWidth}x${r.video && r.video.frameHeight})`, JSON.stringify(r.video));
	check(r.audio && r.audio.packetsReceived > 100,
		`the subscriber receives the publisher's audio (${r.audio && r.audio.packetsReceived} packets)`,
		JSON.stringify(r.audio));
	check(r.pliCount > 0, `the publisher got a keyframe request (pliCount ${r.pliCount})`, r.pliCount);
	console.log(`INFO publisher video send rate ${Math.round(r.sentKbps)} kbit/s, nackCount ${r.nackCount}`);
	const st = JSON.parse(execFileSync("/usr/bin/python3", [CTL_PY, CTL],
		{ input: JSON.stringify({ op: "stats" }) }).toString());
	for (const ep of st.endpoints || [])
		console.log(`INFO engine endpoint ${ep.endpoint}: rx_rtp ${ep.rx_rtp} rx_rtcp ${ep.rx_rtcp} ` +
			`tx_rtp ${ep.tx_rtp} pli_sent ${ep.pli_sent} remb_sent ${ep.remb_sent} ` +
			`remb_bps ${ep.remb_bps} nack_forwarded ${ep.nack_forwarded}`);
} catch (e) {
	fail("the browser run", e.stack || e);
} finally {
	await browser.close();
}
done();
