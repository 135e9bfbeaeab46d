// lib-jitsi-meet join latency on the testbed: JitsiConnection.connect() -> CONFERENCE_JOINED,
// measured in the page with performance.now(), for a fresh room each time (the focus joins
// first, as in testbed/benches/join.rs) and for a room that is already running.
//
//   OMNI_JITSI_TESTBED='<ready line>' CHROMIUM=/usr/bin/chromium LIB_JITSI_MEET=... \
//     node interop/bench-join.mjs [RUNS]
//
// Prints one JSON line per set: {"bench", "runs", "median_ms", "min_ms", "max_ms", "samples_ms"}.
import { Browser } from './lib/browser.mjs';
import { uniqueRoom } from './lib/rooms.mjs';

const runs = Number(process.argv[2] || 20);
if (!Number.isInteger(runs) || runs < 1) {
    console.error('usage: node bench-join.mjs [RUNS]');
    process.exit(2);
}

function report(bench, samples) {
    const sorted = [...samples].sort((a, b) => a - b);
    const round = ms => Math.round(ms * 10) / 10;
    console.log(JSON.stringify({
        bench,
        runs: sorted.length,
        median_ms: round(sorted[Math.floor(sorted.length / 2)]),
        min_ms: round(sorted[0]),
        max_ms: round(sorted[sorted.length - 1]),
        samples_ms: samples.map(round)
    }));
}

async function timedJoin(browser, room, name) {
    const participant = await browser.participant(name);
    const { joinMs } = await participant.join(room, { displayName: name });
    return { participant, joinMs };
}

async function leave(participant) {
    await participant.leave();
    await participant.page.close();
}

const browser = await Browser.launch();
try {
    const fresh = [];
    for (let i = 0; i < runs; i++) {
        const { participant, joinMs } = await timedJoin(browser, uniqueRoom('bench'), 'Bench');
        fresh.push(joinMs);
        await leave(participant);
    }
    report('ljm_join_fresh_room', fresh);

    const room = uniqueRoom('bench-running');
    const host = await timedJoin(browser, room, 'Host');
    const running = [];
    for (let i = 0; i < runs; i++) {
        const { participant, joinMs } = await timedJoin(browser, room, 'Guest');
        running.push(joinMs);
        await leave(participant);
    }
    report('ljm_join_running_room', running);
    await leave(host.participant);
} finally {
    await browser.close();
}
