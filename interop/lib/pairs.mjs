// What "every directed pair hears and sees each other" means in a room of browser tabs and SDK
// clients, on the bridge connection or on the P2P one. Each check can start from a mark (an
// index into the receiver's event log and the tab's stats at that moment) so that only media
// that arrived after a move between P2P and the bridge counts.
import assert from 'node:assert/strict';

import { WAIT_MS } from './env.mjs';

/** The SDK's --send-pattern size. */
const PATTERN = [320, 180];
/** Chromium's fake microphone beeps; its half-second RMS was measured at ~3000. */
const AUDIBLE_RMS = 100;
/** The pitch of the fake microphone's beep (Chromium's `FakeAudioInputStream`). */
const BEEP_HZ = 400;

/** Polls `read` until `check` holds: stats are sampled, there is no event for them. */
async function statsUntil(tab, read, check, what, timeoutMs = WAIT_MS) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        last = await read();
        if (last && check(last)) {
            return last;
        }
        await tab.waitForNext(() => false, 'nothing', 250).catch(() => {});
    }
    throw new Error(`${tab.label}: timed out waiting for ${what}; last stats ${JSON.stringify(last)}`);
}

/** Polls the tab's JVB getStats until `check` holds. */
export function jvbStatsUntil(tab, check, what, timeoutMs) {
    return statsUntil(tab, () => tab.jvbStats(), check, what, timeoutMs);
}

/** The bridge connection is up with the focus's latest offer applied. */
export async function onBridge(tab) {
    await jvbStatsUntil(tab, s => ['connected', 'completed'].includes(s.iceConnectionState)
        && s.signalingState === 'stable', 'the bridge connection with the offer applied');
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

/**
 * Where each receiver stands now: its event count (SDK) or its JVB stats per sender (browser).
 * Checks given a mark count only what arrives after it.
 */
export async function mark(participants) {
    const marks = new Map();
    for (const p of participants) {
        marks.set(p, p.jvbStats ? { stats: await p.jvbStats() } : { index: p.events.events.length });
    }
    return marks;
}

function browserBase(marks, tab, sender) {
    return marks?.get(tab)?.stats?.from?.[sender.endpointId] ?? {};
}

/** Inbound audio packets and decoded video frames from `sender` on the tab's bridge connection. */
async function browserDecodesOnBridge(tab, sender, marks) {
    const base = browserBase(marks, tab, sender);
    const audioBase = base.audio?.packetsReceived ?? 0;
    const videoBase = base.video?.framesDecoded ?? 0;
    const stats = await jvbStatsUntil(tab, s => s.from[sender.endpointId]?.audio?.packetsReceived > audioBase + 50
        && s.from[sender.endpointId]?.video?.framesDecoded > videoBase + enoughFrames(sender),
    `audio and video from ${sender.label} on the bridge`);
    return stats.from[sender.endpointId];
}

/** The browser decodes an SDK's audio and its 320x180 H.264 pattern on the bridge connection. */
export async function browserReceivesSdk(tab, sender, hz, marks) {
    const { audio, video } = await browserDecodesOnBridge(tab, sender, marks);
    assert.equal(video.codec?.mimeType, 'video/H264');
    assert.deepEqual([video.frameWidth, video.frameHeight], PATTERN);
    assert.equal(audio.codec?.mimeType, 'audio/opus');
    const tone = await browserHears(tab, sender.endpointId, t => Math.abs(t.hz - hz) < 6, `${hz} Hz`);
    return { video, tone };
}

/**
 * Whether a picture of `width` x `height` is what `tab` sends: its fake camera at `resolution:
 * 360` is 16:9 (Chromium scales it in steps that may round a side); a tab sharing its screen
 * sets `videoSize` to the size its screen layer is encoded at.
 */
function sentBy(tab, width, height) {
    if (tab.videoSize) {
        return width === tab.videoSize[0] && height === tab.videoSize[1];
    }
    return width > 0 && height > 0 && Math.abs(width / height - 16 / 9) < 0.02;
}

/** Pictures to wait for: a shared screen that does not change goes out at a frame or two a second. */
function enoughFrames(tab) {
    return tab.videoSize ? 3 : 10;
}

function describeVideo(tab) {
    return tab.videoSize ? `${tab.videoSize.join('x')} pictures` : '16:9 pictures';
}

/** One browser hears the other's fake microphone beep and decodes its video (H.264). */
export async function browserReceivesBrowser(tab, sender, marks) {
    const { audio, video } = await browserDecodesOnBridge(tab, sender, marks);
    assert.equal(video.codec?.mimeType, 'video/H264');
    assert.ok(sentBy(sender, video.frameWidth, video.frameHeight),
        `${video.frameWidth}x${video.frameHeight} from ${sender.label}, not ${describeVideo(sender)}`);
    const beep = await browserHears(tab, sender.endpointId, t => Math.abs(t.hz - BEEP_HZ) < 6,
        `the fake microphone's ${BEEP_HZ} Hz beep`);
    return { audio, video, beep };
}

/**
 * The first `media_stats` line of `receiver` about `sender`'s `kind` after the mark that `check`
 * accepts. Video counts pictures decoded since the mark (the CLI's counter runs across sessions).
 */
function sdkStats(receiver, sender, kind, check, what, marks) {
    const from = marks?.get(receiver)?.index ?? 0;
    const about = e => e.event === 'media_stats' && e.endpoint_id === sender.endpointId && e.kind === kind;
    const before = receiver.events.events.slice(0, from).filter(about).at(-1);
    const base = kind === 'video' ? before?.frames_decoded ?? 0 : 0;
    const matches = e => about(e) && check({ ...e, frames_decoded: e.frames_decoded - base });
    const seen = receiver.events.events.slice(from).find(matches);
    if (seen) {
        return Promise.resolve(seen);
    }
    return receiver.waitForNext(matches, `${receiver.label}: ${what} from ${sender.label}`);
}

/** The SDK hears another SDK's tone at its frequency and decodes its pattern at its size. */
export async function sdkReceivesSdk(receiver, sender, hz, marks) {
    const heard = await sdkStats(receiver, sender, 'audio',
        e => e.frames_decoded > 50 && Math.abs(e.dominant_hz - hz) < 6 && e.level_rms > AUDIBLE_RMS, `${hz} Hz`, marks);
    const seen = await sdkStats(receiver, sender, 'video',
        e => e.frames_decoded > 10 && e.width === PATTERN[0] && e.height === PATTERN[1], 'the 320x180 pattern', marks);
    assert.equal(seen.source_name, `${sender.endpointId}-v0`);
    return { heard, seen };
}

/** The SDK hears the browser's fake microphone beep and decodes its video at its aspect. */
export async function sdkReceivesBrowser(receiver, sender, marks) {
    const heard = await sdkStats(receiver, sender, 'audio', e => e.frames_decoded > 50
        && e.level_rms > AUDIBLE_RMS && Math.abs(e.dominant_hz - BEEP_HZ) < 8, `the ${BEEP_HZ} Hz beep`, marks);
    const seen = await sdkStats(receiver, sender, 'video', e => e.frames_decoded > enoughFrames(sender)
        && sentBy(sender, e.width, e.height), describeVideo(sender), marks);
    assert.equal(seen.source_name, `${sender.endpointId}-v0`);
    return { heard, seen };
}

/** Waits for every directed pair at once and reports each one that failed, not only the first. */
export async function everyPair(checks) {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(Object.values(checks));
    const failed = results.flatMap((r, i) => r.status === 'rejected' ? [`${names[i]}: ${r.reason?.message}`] : []);
    assert.deepEqual(failed, [], `${failed.length} of ${names.length} directions failed:\n${failed.join('\n')}`);
    return results.map(r => r.value);
}

/**
 * Every directed pair among `participants` (SDK clients with a `tone`, tabs without), checked
 * on the bridge from `marks` on.
 */
export function everyPairOnBridge(participants, marks) {
    const checks = {};
    for (const receiver of participants) {
        for (const sender of participants) {
            if (receiver === sender) {
                continue;
            }
            const name = `${receiver.label} receives ${sender.label}`;
            const tab = Boolean(receiver.jvbStats);
            if (tab) {
                checks[name] = sender.jvbStats ? browserReceivesBrowser(receiver, sender, marks)
                    : browserReceivesSdk(receiver, sender, sender.tone, marks);
            } else {
                checks[name] = sender.jvbStats ? sdkReceivesBrowser(receiver, sender, marks)
                    : sdkReceivesSdk(receiver, sender, sender.tone, marks);
            }
        }
    }
    return everyPair(checks);
}

/** Polls the tab's P2P getStats until `check` holds. */
function p2pStatsUntil(tab, check, what, timeoutMs) {
    return statsUntil(tab, () => tab.p2pStats(), check, what, timeoutMs);
}

/**
 * A tab and an SDK client talking peer to peer: the tab decodes the SDK's pattern and hears its
 * tone on its P2P connection (a new one per P2P session, so its counters start there), and the
 * SDK hears the beep and decodes the camera after `marks`.
 */
export function bothWaysOnP2p(tab, sdk, marks) {
    return everyPair({
        [`${tab.label} receives ${sdk.label} (P2P)`]: (async () => {
            const stats = await p2pStatsUntil(tab, s => s.audioPacketsReceived > 50 && s.videoIn?.framesDecoded > 10,
                `audio and video from ${sdk.label} on P2P`);
            assert.equal(stats.videoIn.codec?.mimeType, 'video/H264');
            assert.deepEqual([stats.videoIn.frameWidth, stats.videoIn.frameHeight], PATTERN);
            const tone = await browserHears(tab, sdk.endpointId, t => Math.abs(t.hz - sdk.tone) < 6, `${sdk.tone} Hz`);
            return { video: stats.videoIn, tone };
        })(),
        [`${sdk.label} receives ${tab.label} (P2P)`]: sdkReceivesBrowser(sdk, tab, marks)
    });
}
