// lib-jitsi-meet (headless Chromium, fake microphone) and the SDK in a two-person room with P2P
// on: the browser (lower endpoint id) offers, the SDK answers, and each hears the other: the
// browser the SDK's tone at its frequency (WebAudio), the SDK the browser's beep (media_stats).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { useCast } from '../lib/cast.mjs';
import { WAIT_MS } from '../lib/env.mjs';
import { uniqueRoom } from '../lib/rooms.mjs';

/** The pitch of Chromium's fake microphone beep (`FakeAudioInputStream`). */
const BEEP_HZ = 400;
/** The beep's RMS over half a second around it is ~3000; silence and concealment are far below. */
const AUDIBLE_RMS = 100;

const cast = useCast();

/** Polls the tab's getStats until `check` holds: stats are sampled, there is no event for them. */
async function browserStatsUntil(tab, check, what) {
    const deadline = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < deadline) {
        last = await tab.page.evaluate(() => window.omni.p2pStats());
        if (last && check(last)) {
            return last;
        }
        await tab.waitForNext(() => false, 'nothing', 250).catch(() => {});
    }
    throw new Error(`timed out waiting for ${what}; last stats ${JSON.stringify(last)}`);
}

describe('browser and SDK with P2P on', () => {
    test('both establish the P2P session; the browser hears the SDK\'s tone at its frequency and the SDK the browser\'s beep', async t => {
        const room = uniqueRoom('media');
        // lib-jitsi-meet offers P2P in a two-person room when its endpoint id sorts lower.
        const ann = await cast().sdk(room, {
            displayName: 'Ann SDK',
            endpointId: 'ffffffff',
            set: ['p2p.enabled=true'],
            sendTone: 440
        });
        const bea = await cast().tab(room, 'Bea Browser', { logLevel: 'info', withTracks: true });
        assert.ok(bea.endpointId < ann.endpointId);

        await bea.waitFor(e => e.type === 'console' && e.text.includes('Peer to peer connection established'),
            'the browser\'s P2P connection');
        const added = await ann.waitFor(e => e.event === 'remote_track_added' && e.kind === 'audio'
            && e.endpoint_id === bea.endpointId, 'the browser\'s microphone as a remote track');
        assert.equal(added.source_name, `${bea.endpointId}-a0`);

        const stats = await browserStatsUntil(bea, s => s.audioBytesReceived > 2000,
            'inbound audio bytes from the SDK');
        assert.equal(stats.signalingState, 'stable', 'the browser applied our answer');
        const tone = await browserHearsTone(bea, ann.endpointId, 440);

        const heard = await sdkHearsBeep(ann, bea.endpointId);
        assert.equal(heard.source_name, added.source_name);
        assert.equal(bea.events.count(e => e.type === 'page_error'), 0);
        t.diagnostic(`browser hears ${tone.hz.toFixed(1)} Hz at ${tone.db.toFixed(1)} dBFS; `
            + `SDK hears ${heard.dominant_hz} Hz at ${heard.level_rms} RMS`);
    });
});

/** Polls the SDK's once-a-second media_stats lines until one matches (up to WAIT_MS). */
function sdkStatsFor(sdk, endpointId, kind, check, what) {
    return sdk.waitFor(e => e.event === 'media_stats' && e.endpoint_id === endpointId && e.kind === kind && check(e),
        what);
}

/** The SDK hears the browser's fake microphone: a report loud at the beep's pitch. */
function sdkHearsBeep(sdk, browserId) {
    return sdkStatsFor(sdk, browserId, 'audio', e => e.frames_decoded > 50 && e.level_rms > AUDIBLE_RMS
        && Math.abs(e.dominant_hz - BEEP_HZ) < 8,
    `the browser's ${BEEP_HZ} Hz beep above ${AUDIBLE_RMS} RMS`);
}

// The SDK encodes and decodes only H.264 (OpenH264). lib-jitsi-meet 2021 puts VP8 first in its
// P2P offer unless config.p2p.preferredCodec says otherwise, and our answer keeps only H.264, so
// the browser must send H.264 whichever side offers. Both directions are checked: the lower
// endpoint id offers.
for (const [who, sdkEndpointId] of [['the browser offers', 'ffffffff'], ['the SDK offers', '00000000']]) {
    describe(`P2P video when ${who}`, () => {
        test('each decodes the other\'s H.264 video at the sent size, and the browser hears the SDK\'s tone', async t => {
            const room = uniqueRoom('video');
            const ann = await cast().sdk(room, {
                displayName: 'Ann SDK',
                endpointId: sdkEndpointId,
                set: ['p2p.enabled=true'],
                sendTone: 440,
                sendPattern: true
            });
            const bea = await cast().tab(room, 'Bea Browser', { logLevel: 'info', withTracks: true, resolution: 360 });
            assert.equal(bea.endpointId < ann.endpointId, sdkEndpointId === 'ffffffff');

            await bea.waitFor(e => e.type === 'console' && e.text.includes('Peer to peer connection established'),
                'the browser\'s P2P connection');
            const fromSdk = await browserStatsUntil(bea, s => s.videoIn?.framesDecoded > 10,
                'decoded video from the SDK');
            assert.equal(fromSdk.signalingState, 'stable');
            assert.equal(fromSdk.videoIn.codec?.mimeType, 'video/H264');
            assert.ok(fromSdk.videoIn.bytesReceived > 0);
            // The SDK's --send-pattern is 320x180.
            assert.deepEqual([fromSdk.videoIn.frameWidth, fromSdk.videoIn.frameHeight], [320, 180]);

            const sending = await browserStatsUntil(bea, s => s.videoOut?.framesEncoded > 10 && s.videoOut.frameWidth,
                'the browser encoding its camera');
            assert.equal(sending.videoOut.codec?.mimeType, 'video/H264');
            const decoded = await sdkStatsFor(ann, bea.endpointId, 'video', e => e.frames_decoded > 10,
                'pictures decoded from the browser\'s camera');
            assert.equal(decoded.source_name, `${bea.endpointId}-v0`);
            // The browser may scale its camera down while its bandwidth estimate ramps up: the
            // SDK must decode pictures at the size the browser reports sending.
            const latest = await browserStatsUntil(bea, s => s.videoOut?.frameWidth, 'the browser\'s sent size');
            const atSentSize = await sdkStatsFor(ann, bea.endpointId, 'video',
                e => e.width === latest.videoOut.frameWidth && e.height === latest.videoOut.frameHeight,
                `pictures at the browser's sent size ${latest.videoOut.frameWidth}x${latest.videoOut.frameHeight}`);
            // Chromium scales in steps that may round a side: 16:9 within a pixel.
            assert.ok(Math.abs(atSentSize.width / atSentSize.height - 16 / 9) < 0.02,
                'the fake camera is 16:9 at resolution 360');

            const tone = await browserHearsTone(bea, ann.endpointId, 440);
            const heard = await sdkHearsBeep(ann, bea.endpointId);
            assert.equal(bea.events.count(e => e.type === 'page_error'), 0);
            t.diagnostic(`browser decodes ${JSON.stringify(fromSdk.videoIn)}; sends ${JSON.stringify(latest.videoOut)}`);
            t.diagnostic(`SDK decodes ${atSentSize.width}x${atSentSize.height}, ${heard.level_rms} RMS audio; `
                + `browser hears ${tone.hz.toFixed(1)} Hz at ${tone.db.toFixed(1)} dBFS`);
        });
    });
}

/** The page's analyser on `id`'s audio until it hears more than noise at `hz` (up to WAIT_MS). */
async function browserHearsTone(tab, id, hz) {
    const deadline = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < deadline) {
        last = await tab.remoteTone(id);
        if (last && last.db > -60 && Math.abs(last.hz - hz) < 6) {
            return last;
        }
        await tab.waitForNext(() => false, 'nothing', 250).catch(() => {});
    }
    throw new Error(`the browser does not hear ${hz} Hz from ${id}; last analysis ${JSON.stringify(last)}`);
}
