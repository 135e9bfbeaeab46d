// Three participants through the testbed's bridge (Jicofo-like focus + videobridge), with
// lib-jitsi-meet in Chromium on one side and the SDK on the other: every receiver decodes every
// sender's audio (at its frequency) and H.264 video. P2P is off on every participant
// (`p2p.enabled=false`, as deployments that always use the bridge configure it): with it on, the
// first two start peer to peer and move to the bridge when the third joins, and that move is not
// reliable with a browser yet (see README, interop).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Browser } from '../lib/browser.mjs';
import { WAIT_MS } from '../lib/env.mjs';
import { uniqueRoom } from '../lib/rooms.mjs';
import { SdkParticipant } from '../lib/sdk.mjs';

let browser;
const cleanup = [];

before(async () => {
    browser = await Browser.launch();
});

after(async () => {
    while (cleanup.length) {
        await cleanup.pop()().catch(() => {});
    }
    await browser?.close();
});

/** The SDK's --send-pattern size. */
const PATTERN = [320, 180];
/** Chromium's fake microphone beeps; its half-second RMS was measured at ~3000. */
const AUDIBLE_RMS = 100;
/** The pitch of the fake microphone's beep (Chromium's `FakeAudioInputStream`). */
const BEEP_HZ = 400;

async function sdk(room, displayName, tone) {
    const participant = await SdkParticipant.join(room, {
        displayName,
        set: ['p2p.enabled=false'],
        sendTone: tone,
        sendPattern: true
    });
    cleanup.push(async () => participant.kill());
    return participant;
}

async function tab(room, displayName) {
    const participant = await browser.participant(displayName);
    cleanup.push(() => participant.page.close());
    await participant.join(room, { displayName, logLevel: 'info', withTracks: true, resolution: 360, p2p: false });
    return participant;
}

/** Polls the tab's JVB getStats until `check` holds: stats are sampled, there is no event. */
async function jvbStatsUntil(tab, check, what) {
    const deadline = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < deadline) {
        last = await tab.jvbStats();
        if (last && check(last)) {
            return last;
        }
        await tab.waitForNext(() => false, 'nothing', 250).catch(() => {});
    }
    throw new Error(`${tab.label}: timed out waiting for ${what}; last JVB stats ${JSON.stringify(last)}`);
}

/** The page's analyser on `id`'s audio until it hears more than noise that `check` accepts. */
async function browserHears(tab, id, check, what) {
    const deadline = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < deadline) {
        last = await tab.remoteTone(id);
        if (last && last.db > -60 && check(last)) {
            return last;
        }
        await tab.waitForNext(() => false, 'nothing', 100).catch(() => {});
    }
    throw new Error(`${tab.label} does not hear ${what} from ${id}; last analysis ${JSON.stringify(last)}`);
}

function browserHearsTone(tab, id, hz) {
    return browserHears(tab, id, tone => Math.abs(tone.hz - hz) < 6, `${hz} Hz`);
}

/** The browser decodes an SDK's audio and its 320x180 H.264 pattern on the bridge connection. */
async function browserReceivesSdk(tab, sender, hz) {
    const stats = await jvbStatsUntil(tab, s => s.from[sender.endpointId]?.audio?.packetsReceived > 50
        && s.from[sender.endpointId]?.video?.framesDecoded > 10, `audio and video from ${sender.label}`);
    const video = stats.from[sender.endpointId].video;
    assert.equal(video.codec?.mimeType, 'video/H264');
    assert.deepEqual([video.frameWidth, video.frameHeight], PATTERN);
    assert.equal(stats.from[sender.endpointId].audio.codec?.mimeType, 'audio/opus');
    const tone = await browserHearsTone(tab, sender.endpointId, hz);
    return { video, tone };
}

/** One browser hears the other's fake microphone beep and decodes its camera (H.264). */
async function browserReceivesBrowser(tab, sender) {
    const stats = await jvbStatsUntil(tab, s => s.from[sender.endpointId]?.audio?.packetsReceived > 50
        && s.from[sender.endpointId]?.video?.framesDecoded > 10, `audio and video from ${sender.label}`);
    const { audio, video } = stats.from[sender.endpointId];
    assert.equal(video.codec?.mimeType, 'video/H264');
    assert.ok(video.frameWidth > 0 && video.frameHeight > 0);
    const beep = await browserHears(tab, sender.endpointId, tone => Math.abs(tone.hz - BEEP_HZ) < 6,
        `the fake microphone's ${BEEP_HZ} Hz beep`);
    return { audio, video, beep };
}

function sdkStats(receiver, sender, kind, check, what) {
    return receiver.waitFor(e => e.event === 'media_stats' && e.endpoint_id === sender.endpointId
        && e.kind === kind && check(e), `${receiver.label}: ${what} from ${sender.label}`);
}

/** The SDK hears another SDK's tone at its frequency and decodes its pattern at its size. */
async function sdkReceivesSdk(receiver, sender, hz) {
    const heard = await sdkStats(receiver, sender, 'audio',
        e => e.frames_decoded > 50 && Math.abs(e.dominant_hz - hz) < 6 && e.level_rms > AUDIBLE_RMS, `${hz} Hz`);
    const seen = await sdkStats(receiver, sender, 'video',
        e => e.frames_decoded > 10 && e.width === PATTERN[0] && e.height === PATTERN[1], 'the 320x180 pattern');
    assert.equal(seen.source_name, `${sender.endpointId}-v0`);
    return { heard, seen };
}

/** The SDK hears the browser's fake microphone beep and decodes its camera as 16:9. */
async function sdkReceivesBrowser(receiver, sender) {
    const heard = await sdkStats(receiver, sender, 'audio', e => e.frames_decoded > 50
        && e.level_rms > AUDIBLE_RMS && Math.abs(e.dominant_hz - BEEP_HZ) < 8, `the ${BEEP_HZ} Hz beep`);
    const seen = await sdkStats(receiver, sender, 'video', e => e.frames_decoded > 10 && e.width > 0,
        'decoded pictures');
    assert.equal(seen.source_name, `${sender.endpointId}-v0`);
    assert.ok(Math.abs(seen.width / seen.height - 16 / 9) < 0.02, `${seen.width}x${seen.height} is 16:9`);
    return { heard, seen };
}

/** Waits for every directed pair at once and reports each one that failed, not only the first. */
async function everyPair(checks) {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(Object.values(checks));
    const failed = results.flatMap((r, i) => r.status === 'rejected' ? [`${names[i]}: ${r.reason?.message}`] : []);
    assert.deepEqual(failed, [], `${failed.length} of ${names.length} directions failed:\n${failed.join('\n')}`);
    return results.map(r => r.value);
}

async function onBridge(tab) {
    await jvbStatsUntil(tab, s => ['connected', 'completed'].includes(s.iceConnectionState)
        && s.signalingState === 'stable', 'the bridge connection with the offer applied');
}

describe('three participants through the testbed bridge', () => {
    test('one browser and two SDK clients: every pair hears and sees each other', async t => {
        const room = uniqueRoom('bridge-1b2s');
        const ann = await sdk(room, 'Ann SDK', 440);
        const cal = await sdk(room, 'Cal SDK', 660);
        const bea = await tab(room, 'Bea Browser');
        await onBridge(bea);

        const [annAtBea, calAtBea, beaAtAnn, beaAtCal] = await everyPair({
            'Bea receives Ann': browserReceivesSdk(bea, ann, 440),
            'Bea receives Cal': browserReceivesSdk(bea, cal, 660),
            'Ann receives Bea': sdkReceivesBrowser(ann, bea),
            'Cal receives Bea': sdkReceivesBrowser(cal, bea),
            'Ann receives Cal': sdkReceivesSdk(ann, cal, 660),
            'Cal receives Ann': sdkReceivesSdk(cal, ann, 440)
        });
        assert.equal(bea.events.count(e => e.type === 'page_error'), 0);
        t.diagnostic(`browser hears Ann at ${annAtBea.tone.hz.toFixed(1)} Hz, Cal at ${calAtBea.tone.hz.toFixed(1)} Hz`);
        t.diagnostic(`Ann decodes the browser at ${beaAtAnn.seen.width}x${beaAtAnn.seen.height}, `
            + `${beaAtAnn.heard.level_rms} RMS; Cal at ${beaAtCal.seen.width}x${beaAtCal.seen.height}, `
            + `${beaAtCal.heard.level_rms} RMS`);
    });

    test('two browsers and one SDK client: every pair hears and sees each other', async t => {
        const room = uniqueRoom('bridge-2b1s');
        const ann = await sdk(room, 'Ann SDK', 440);
        const bea = await tab(room, 'Bea Browser');
        const dan = await tab(room, 'Dan Browser');
        await onBridge(bea);
        await onBridge(dan);

        const [, , danAtBea, beaAtDan, beaAtAnn, danAtAnn] = await everyPair({
            'Bea receives Ann': browserReceivesSdk(bea, ann, 440),
            'Dan receives Ann': browserReceivesSdk(dan, ann, 440),
            'Bea receives Dan': browserReceivesBrowser(bea, dan),
            'Dan receives Bea': browserReceivesBrowser(dan, bea),
            'Ann receives Bea': sdkReceivesBrowser(ann, bea),
            'Ann receives Dan': sdkReceivesBrowser(ann, dan)
        });
        for (const tab of [bea, dan]) {
            assert.equal(tab.events.count(e => e.type === 'page_error'), 0);
        }
        t.diagnostic(`Bea hears Dan's beep at ${danAtBea.beep.hz.toFixed(1)} Hz ${danAtBea.beep.db.toFixed(1)} dBFS, `
            + `Dan hears Bea's at ${beaAtDan.beep.hz.toFixed(1)} Hz ${beaAtDan.beep.db.toFixed(1)} dBFS`);
        t.diagnostic(`Bea decodes Dan at ${danAtBea.video.frameWidth}x${danAtBea.video.frameHeight}, `
            + `Dan decodes Bea at ${beaAtDan.video.frameWidth}x${beaAtDan.video.frameHeight}`);
        t.diagnostic(`Ann decodes Bea at ${beaAtAnn.seen.width}x${beaAtAnn.seen.height} (${beaAtAnn.heard.level_rms} RMS), `
            + `Dan at ${danAtAnn.seen.width}x${danAtAnn.seen.height} (${danAtAnn.heard.level_rms} RMS)`);
    });
});
