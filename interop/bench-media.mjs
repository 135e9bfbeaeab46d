// lib-jitsi-meet's P2P time to media and Chromium's memory beside the SDK's, on the testbed.
//
// Time to media (two lib-jitsi-meet tabs, fake 640x360 camera and microphone, P2P): the first
// tab joins and sends; the second joins, and its page polls the P2P PeerConnection's getStats
// every 20 ms from CONFERENCE_JOINED to the first inbound audio RTP packet and the first decoded
// video frame, as testbed/benches/media.rs times the SDK (fresh room per run). Then the same
// through the bridge for a third tab (audio from both others, first picture).
//
// Footprint (summed over the puppeteer-launched Chromium process tree: browser, renderers, GPU
// and utility processes): one joined, idle tab; one tab sending and receiving 640x360 video and
// audio in P2P with the SDK CLI (which sends its 640x360 pattern and a tone), whose own memory is
// read at the same moment; and two SDK CLIs doing the same with each other.
//
//   OMNI_JITSI_TESTBED='<ready line>' OMNI_JITSI_CLI=target/release/omni-jitsi CHROMIUM=/usr/bin/chromium \
//     LIB_JITSI_MEET=... node interop/bench-media.mjs [RUNS]
//
// Prints one JSON line per measurement.
import { Browser } from './lib/browser.mjs';
import { memoryOf, processTree } from './lib/memory.mjs';
import { uniqueRoom } from './lib/rooms.mjs';
import { SdkParticipant } from './lib/sdk.mjs';

const runs = Number(process.argv[2] || 10);
if (!Number.isInteger(runs) || runs < 1) {
    console.error('usage: node bench-media.mjs [RUNS]');
    process.exit(2);
}
const POLL_MS = 20;
const GIVE_UP_MS = 20000;
/** Memory is read after the call has run this long (a reading, not synchronisation). */
const SETTLE_MS = 5000;
const SDK_MEDIA = { set: ['p2p.enabled=true'], sendTone: 440, sendPattern: true, patternSize: '640x360' };

const round = x => Math.round(x * 10) / 10;
const pause = ms => new Promise(resolve => setTimeout(resolve, ms));

function reportTimes(bench, samples, what) {
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(JSON.stringify({
        bench,
        runs: sorted.length,
        median_ms: round(sorted[Math.floor(sorted.length / 2)]),
        min_ms: round(sorted[0]),
        max_ms: round(sorted[sorted.length - 1]),
        samples_ms: samples.map(round),
        poll_ms: POLL_MS,
        what
    }));
}

function reportMemory(bench, memory, what) {
    for (const [suffix, key] of [['rss', 'rssMib'], ['pss', 'pssMib']]) {
        console.log(JSON.stringify({
            bench: `${bench}_${suffix}`,
            value: round(memory[key]),
            unit: 'MiB',
            what: `${what} (${suffix.toUpperCase()}${memory.processes > 1 ? `, ${memory.processes} processes` : ''})`
        }));
    }
}

async function timeToMedia() {
    const audio = [];
    const video = [];
    const browser = await Browser.launch();
    try {
        for (let i = 0; i < runs; i++) {
            const room = uniqueRoom('bench-media');
            const first = await browser.participant('First');
            await first.join(room, { displayName: 'First', withTracks: true, resolution: 360 });
            const second = await browser.participant('Second');
            await second.join(room, { displayName: 'Second', withTracks: true, resolution: 360 });
            const { audioMs, videoMs } = await second.timeToMedia({ pollMs: POLL_MS, timeoutMs: GIVE_UP_MS });
            if (audioMs === null || videoMs === null) {
                throw new Error(`run ${i}: no P2P media within ${GIVE_UP_MS} ms (audio ${audioMs}, video ${videoMs})`);
            }
            audio.push(audioMs);
            video.push(videoMs);
            for (const tab of [second, first]) {
                await tab.leave();
                await tab.page.close();
            }
        }
    } finally {
        await browser.close();
    }
    reportTimes('ljm_p2p_first_remote_audio_after_join', audio,
        'lib-jitsi-meet P2P: joined -> first inbound audio RTP (getStats)');
    reportTimes('ljm_p2p_first_remote_video_after_join', video,
        'lib-jitsi-meet P2P: joined -> first decoded video frame (getStats)');
}

/**
 * Through the bridge: two tabs join with P2P off and send; a third joins, and its page times
 * inbound audio from both and the first decoded picture on its bridge PeerConnection, beside
 * testbed/benches/media.rs's bridge3 rows. P2P is off because the 2021 lib-jitsi-meet's move from
 * P2P to the bridge is not reliable against the testbed (README, interop).
 */
async function timeToBridgeMedia() {
    const audio = [];
    const video = [];
    const browser = await Browser.launch();
    try {
        for (let i = 0; i < runs; i++) {
            const room = uniqueRoom('bench-bridge');
            const tabs = [];
            for (const name of ['First', 'Second', 'Third']) {
                const tab = await browser.participant(name);
                await tab.join(room, { displayName: name, withTracks: true, resolution: 360, p2p: false });
                tabs.push(tab);
            }
            const { audioMs, videoMs } = await tabs[2].timeToMedia({
                pollMs: POLL_MS, timeoutMs: GIVE_UP_MS, jvb: true, senders: 2
            });
            if (audioMs === null || videoMs === null) {
                throw new Error(`run ${i}: no bridge media within ${GIVE_UP_MS} ms (audio ${audioMs}, video ${videoMs})`);
            }
            audio.push(audioMs);
            video.push(videoMs);
            for (const tab of tabs.reverse()) {
                await tab.leave();
                await tab.page.close();
            }
        }
    } finally {
        await browser.close();
    }
    reportTimes('ljm_bridge3_all_remote_audio_after_join', audio,
        'lib-jitsi-meet via the bridge: third joined -> inbound audio RTP from both others (getStats)');
    reportTimes('ljm_bridge3_first_remote_video_after_join', video,
        'lib-jitsi-meet via the bridge: third joined -> first decoded video frame (getStats)');
}

async function idleBrowser() {
    const browser = await Browser.launch();
    try {
        const tab = await browser.participant('Idle');
        await tab.join(uniqueRoom('bench-idle'), { displayName: 'Idle' });
        await pause(SETTLE_MS);
        reportMemory('ljm_idle_chromium', memoryOf(processTree(browser.pid())),
            'headless Chromium, one lib-jitsi-meet tab joined and idle');
        await tab.leave();
    } finally {
        await browser.close();
    }
}

/** Until the SDK has decoded more than `frames` pictures from `endpointId`. */
function sdkDecodes(sdk, endpointId, frames) {
    return sdk.waitFor(e => e.event === 'media_stats' && e.kind === 'video' && e.endpoint_id === endpointId
        && e.frames_decoded > frames, `video from ${endpointId}`, GIVE_UP_MS);
}

async function browserWithSdk() {
    const browser = await Browser.launch();
    const room = uniqueRoom('bench-footprint');
    const sdk = await SdkParticipant.join(room, { displayName: 'SDK', ...SDK_MEDIA });
    try {
        const tab = await browser.participant('Browser');
        await tab.join(room, { displayName: 'Browser', withTracks: true, resolution: 360 });
        await sdkDecodes(sdk, tab.endpointId, 30);
        await pause(SETTLE_MS);
        const stats = await tab.p2pStats();
        if (!(stats?.videoIn?.framesDecoded > 0) || stats.videoIn.frameWidth !== 640) {
            throw new Error(`the browser is not decoding the SDK's 640x360 video: ${JSON.stringify(stats)}`);
        }
        reportMemory('ljm_p2p_640x360_chromium', memoryOf(processTree(browser.pid())),
            'headless Chromium, one lib-jitsi-meet tab sending and receiving 640x360 video + audio P2P with the SDK');
        reportMemory('sdk_p2p_640x360_with_browser', memoryOf([sdk.child.pid]),
            'omni-jitsi CLI sending and receiving 640x360 video + audio P2P with that tab');
        await tab.leave();
    } finally {
        await sdk.leave();
        await browser.close();
    }
}

async function sdkWithSdk() {
    const room = uniqueRoom('bench-footprint-sdk');
    const ann = await SdkParticipant.join(room, { displayName: 'Ann', ...SDK_MEDIA });
    const bob = await SdkParticipant.join(room, { displayName: 'Bob', ...SDK_MEDIA });
    try {
        await sdkDecodes(ann, bob.endpointId, 30);
        await sdkDecodes(bob, ann.endpointId, 30);
        await pause(SETTLE_MS);
        reportMemory('sdk_p2p_640x360', memoryOf([ann.child.pid]),
            'omni-jitsi CLI sending and receiving 640x360 video + audio P2P with another CLI');
    } finally {
        await bob.leave();
        await ann.leave();
    }
}

await timeToMedia();
await timeToBridgeMedia();
await idleBrowser();
await browserWithSdk();
await sdkWithSdk();
