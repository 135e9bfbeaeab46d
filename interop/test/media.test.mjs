// lib-jitsi-meet (headless Chromium, fake microphone) and the SDK in a two-person room with P2P
// on: the browser (lower endpoint id) offers, the SDK answers, and audio flows both ways.
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
    test('both establish the P2P session and each receives the other\'s audio', async () => {
        const room = uniqueRoom('media');
        // lib-jitsi-meet offers P2P in a two-person room when its endpoint id sorts lower.
        const ann = await SdkParticipant.join(room, {
            displayName: 'Ann SDK',
            endpointId: 'ffffffff',
            set: ['p2p.enabled=true'],
            sendTone: 440
        });
        cleanup.push(async () => ann.kill());
        const bea = await browser.participant('Bea Browser');
        cleanup.push(() => bea.page.close());
        await bea.join(room, { displayName: 'Bea Browser', logLevel: 'info', withTracks: true });
        assert.ok(bea.endpointId < ann.endpointId);

        await bea.waitFor(e => e.type === 'console' && e.text.includes('Peer to peer connection established'),
            'the browser\'s P2P connection');
        const added = await ann.waitFor(e => e.event === 'remote_track_added' && e.kind === 'audio'
            && e.endpoint_id === bea.endpointId, 'the browser\'s microphone as a remote track');
        assert.equal(added.source_name, `${bea.endpointId}-a0`);

        const stats = await browserStatsUntil(bea, s => s.audioBytesReceived > 2000,
            'inbound audio bytes from the SDK');
        assert.equal(stats.signalingState, 'stable', 'the browser applied our answer');

        const decoded = await ann.waitFor(e => e.event === 'media_stats' && e.kind === 'audio'
            && e.endpoint_id === bea.endpointId && e.frames_decoded > 50,
            'audio decoded from the browser\'s fake microphone');
        assert.equal(decoded.source_name, added.source_name);
        assert.ok(decoded.level_rms > 0, 'the fake microphone is not silence');
        assert.equal(bea.events.count(e => e.type === 'page_error'), 0);
    });
});
