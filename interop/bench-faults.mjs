// The same bridge faults for lib-jitsi-meet and for the SDK, for a ratio in one run. Two on the
// bridge (P2P off): the subject (a lib-jitsi-meet tab with Chromium's fake microphone, or the CLI
// sending a tone) and an observer tab whose getStats counts the audio packets it gets from the
// subject. The testbed's
// fault control (`faults_url`) breaks the subject's bridge endpoint:
//   - outage: nothing passes for 6 s (past both clients' 5 s "disconnected"), then the path is
//     back; timed from the restore;
//   - allocation_dead: nothing passes for good, so only a new bridge session helps; timed from
//     the fault.
// Until the observer receives the subject's audio again (25 packets, half a second, over any
// SSRC). And on the signalling side, through the fault proxy in front of Prosody:
//   - socket_outage: the subject's WebSocket is cut and nothing gets through for 2 s (the
//     phone in a tunnel; Prosody keeps the session for resumption); the subject sends a chat
//     message meanwhile (lib-jitsi-meet refuses it until it is connected again, so its page
//     tries again every 100 ms); timed from the restore until the observer has the message.
// Each in a fresh room, RUNS times per subject.
//
//   OMNI_JITSI_TESTBED='<ready line>' OMNI_JITSI_CLI=target/release/omni-jitsi CHROMIUM=/usr/bin/chromium \
//     LIB_JITSI_MEET=... node interop/bench-faults.mjs [RUNS]
//
// Prints one JSON line per fault and subject: runs, median, min, max (ms), and the failures.
import { Browser } from './lib/browser.mjs';
import { Cast } from './lib/cast.mjs';
import { testbed } from './lib/env.mjs';
import { uniqueRoom } from './lib/rooms.mjs';

const runs = Number(process.argv[2] || 3);
if (!Number.isInteger(runs) || runs < 1) {
    console.error('usage: node bench-faults.mjs [RUNS]');
    process.exit(2);
}
/** lib-jitsi-meet's path to a new session starts when Chromium's ICE says failed (~30 s). */
const RECOVERY_WITHIN_MS = 90000;
const OUTAGE_MS = 6000;
const SOCKET_OUTAGE_MS = 2000;
const HEARD_PACKETS = 25;

async function fault(kind, room, endpoint) {
    await post(`${testbed().faults_url}/bridge/${kind}/${room}/${endpoint}`);
}

async function post(url) {
    const answer = await fetch(url, { method: 'POST' });
    if (answer.status !== 204) {
        throw new Error(`${url}: ${answer.status}`);
    }
}

/** lib-jitsi-meet throws "Not connected" for chat while its socket is down (the SDK queues
 * it): the page tries again every 100 ms, as an app would have to. */
async function sendUntilTaken(subject, text) {
    await until('lib-jitsi-meet to take the message', async () => {
        try {
            await subject.page.evaluate(t => window.omni.sendText(t), text);
            return true;
        } catch (e) {
            if (!String(e?.message).includes('Not connected')) {
                throw e;
            }
            return false;
        }
    }, RECOVERY_WITHIN_MS);
}

/** The subject joins through the fault proxy, the observer directly; chat sent during a 2 s
 * outage of the subject's socket, timed from the restore to the observer's receipt. */
async function socketOutage(browser, subjectKind) {
    const cast = new Cast(browser);
    const room = uniqueRoom('bench-fault-socket');
    const relayed = testbed().relayed_server_url;
    try {
        const observer = await cast.tab(room, 'Observer', { p2p: false, logLevel: 'error' });
        const subject = subjectKind === 'sdk'
            ? await cast.sdk(room, { displayName: 'Subject', server: relayed, set: ['p2p.enabled=false'] })
            : await cast.tab(room, 'Subject', { p2p: false, logLevel: 'error', serviceUrl: relayed });
        const text = `during the outage ${Math.random().toString(36).slice(2)}`;
        await post(`${testbed().faults_url}/down`);
        let sent = subjectKind === 'sdk'
            ? (subject.command(`chat ${text}`), Promise.resolve())
            : sendUntilTaken(subject, text);
        await new Promise(resolve => setTimeout(resolve, SOCKET_OUTAGE_MS));
        await post(`${testbed().faults_url}/restore`);
        const from = Date.now();
        await sent;
        await observer.events.waitFor(e => e.type === 'message' && e.text === text,
            'the message sent during the outage', RECOVERY_WITHIN_MS);
        return Date.now() - from;
    } finally {
        await post(`${testbed().faults_url}/restore`);
        await cast.end();
    }
}

/** The observer's count of audio packets from `endpoint`, polled every 100 ms. */
async function packetsFrom(observer, endpoint) {
    const stats = await observer.jvbStats();
    return stats?.from?.[endpoint]?.audioPackets ?? 0;
}

async function until(what, check, withinMs) {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
        if (await check()) {
            return;
        }
        await new Promise(resolve => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
}

/** Resolves once the observer's packet count from `endpoint` has grown by `packets`. */
async function flowing(observer, endpoint, packets, withinMs) {
    const base = await packetsFrom(observer, endpoint);
    await until(`${packets} audio packets from ${endpoint}`,
        async () => (await packetsFrom(observer, endpoint)) >= base + packets, withinMs);
}

/** Resolves once the observer has got nothing from `endpoint` for a second. */
async function stalled(observer, endpoint) {
    let last = -1;
    let since = Date.now();
    await until(`silence from ${endpoint}`, async () => {
        const now = await packetsFrom(observer, endpoint);
        if (now !== last) {
            last = now;
            since = Date.now();
        }
        return Date.now() - since >= 1000;
    }, 20000);
}

async function once(browser, subjectKind, faultKind) {
    const cast = new Cast(browser);
    const room = uniqueRoom(`bench-fault-${faultKind.replace('_', '-')}`);
    try {
        const tab = { withTracks: true, p2p: false, logLevel: 'error' };
        const observer = await cast.tab(room, 'Observer', { p2p: false, logLevel: 'error' });
        const subject = subjectKind === 'sdk'
            ? await cast.sdk(room, { displayName: 'Subject', sendTone: 440, set: ['p2p.enabled=false'] })
            : await cast.tab(room, 'Subject', tab);
        await flowing(observer, subject.endpointId, HEARD_PACKETS * 4, 30000);

        await fault('blackhole', room, subject.endpointId);
        const broken = Date.now();
        await stalled(observer, subject.endpointId);
        let from = broken;
        if (faultKind === 'outage') {
            await new Promise(resolve => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - broken))));
            await fault('restore', room, subject.endpointId);
            from = Date.now();
        }
        await flowing(observer, subject.endpointId, HEARD_PACKETS, RECOVERY_WITHIN_MS);
        return Date.now() - from;
    } finally {
        await cast.end();
    }
}

const browser = await Browser.launch();
try {
    for (const faultKind of ['outage', 'allocation_dead', 'socket_outage']) {
        for (const subjectKind of ['sdk', 'ljm']) {
            const times = [];
            const failures = [];
            for (let i = 0; i < runs; i++) {
                try {
                    times.push(faultKind === 'socket_outage'
                        ? await socketOutage(browser, subjectKind)
                        : await once(browser, subjectKind, faultKind));
                } catch (e) {
                    failures.push(`run ${i + 1}: ${String(e?.message).split('\n')[0]}`);
                }
            }
            times.sort((a, b) => a - b);
            console.log(JSON.stringify({
                bench: `${subjectKind === 'sdk' ? '' : 'ljm_'}fault_${faultKind}_${faultKind === 'socket_outage' ? 'chat_delivered' : 'audio_again'}`,
                runs: times.length,
                median_ms: times.length ? times[Math.floor((times.length - 1) / 2)] : null,
                min_ms: times[0] ?? null,
                max_ms: times.at(-1) ?? null,
                failures: failures.length,
                failed: failures
            }));
        }
    }
} finally {
    await browser.close();
}
