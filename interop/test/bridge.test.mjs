// Three participants through the testbed's bridge (Jicofo-like focus + videobridge), with
// lib-jitsi-meet in Chromium on one side and the SDK on the other: every receiver decodes every
// sender's audio (at its frequency) and H.264 video. P2P is off on every participant
// (`p2p.enabled=false`, as deployments that always use the bridge configure it), so media starts
// on the bridge; p2p-bridge.test.mjs has the same rooms with P2P on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { useCast } from '../lib/cast.mjs';
import {
    browserReceivesBrowser, browserReceivesSdk, everyPair, onBridge, sdkReceivesBrowser, sdkReceivesSdk
} from '../lib/pairs.mjs';
import { uniqueRoom } from '../lib/rooms.mjs';

const cast = useCast();

function sdk(room, displayName, tone) {
    return cast().sdk(room, { displayName, set: ['p2p.enabled=false'], sendTone: tone, sendPattern: true });
}

function tab(room, displayName) {
    return cast().tab(room, displayName, { logLevel: 'info', withTracks: true, resolution: 360, p2p: false });
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
