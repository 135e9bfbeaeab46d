// jitsi-meet's default: P2P on. Two participants talk peer to peer; when a third joins, everyone
// moves to the testbed bridge, and when it leaves the two go back to P2P. lib-jitsi-meet tabs
// remove their sources from the bridge session while P2P carries their media and add them back
// when media returns to the bridge. After each move every directed pair must hear the sender at
// its frequency and decode its video again, counting only media that arrived after the move.
//
// Each scenario runs in a fresh room with the participants of a Cast (cast.mjs), which ends
// them; test/p2p-bridge.test.mjs runs each once and bench-moves.mjs repeats them for a failure
// rate.
import assert from 'node:assert/strict';

import { bothWaysOnP2p, everyPairOnBridge, jvbStatsUntil, mark, onBridge } from './pairs.mjs';
import { uniqueRoom } from './rooms.mjs';
import { SdkParticipant } from './sdk.mjs';

/** Seconds both sides wait before going back to P2P when the room is down to two again. */
const BACK_TO_P2P_DELAY = 1;

/** SDK clients and tabs with P2P on, in `cast` (a Cast from cast.mjs). */
function starters(cast) {
    return {
        async sdk(room, displayName, tone) {
            const participant = await cast.sdk(room, {
                displayName,
                set: ['p2p.enabled=true', `p2p.backToP2PDelay=${BACK_TO_P2P_DELAY}`],
                sendTone: tone,
                sendPattern: true
            });
            participant.tone = tone;
            return participant;
        },
        tab(room, displayName) {
            return cast.tab(room, displayName, {
                logLevel: 'info',
                withTracks: true,
                resolution: 360,
                backToP2PDelay: BACK_TO_P2P_DELAY
            });
        }
    };
}

/** Resolves once the participant reports media on P2P (`active`) or on the bridge. */
function p2pStatus(participant, active) {
    if (participant.jvbStats) {
        return participant.waitForNext(e => e.type === 'p2p_status' && e.active === active,
            `P2P ${active ? 'active' : 'inactive'}`);
    }
    return participant.waitForNext(e => e.event === 'p2p_status_changed' && e.active === active,
        `p2p_status_changed ${active}`);
}

/** Two participants in a fresh room, talking peer to peer with media both ways. */
async function pairOnP2p(first, second) {
    const a = await first();
    const aOnP2p = p2pStatus(a, true);
    const b = await second();
    await Promise.all([aOnP2p, b.waitFor(e => (e.type === 'p2p_status' || e.event === 'p2p_status_changed')
        && e.active, 'P2P active')]);
    const [tabSide, sdkSide] = a.jvbStats ? [a, b] : [b, a];
    await bothWaysOnP2p(tabSide, sdkSide);
    return [a, b];
}

/** `join` brings a third participant; resolves when the first two have moved to the bridge. */
async function thirdJoins(pair, join) {
    const moved = Promise.all(pair.map(p => p2pStatus(p, false)));
    const third = await join();
    await moved;
    return third;
}

/** Every pair on the bridge from `marks` on, each tab's bridge connection up and stable first. */
async function checkBridge(participants, marks) {
    await Promise.all(participants.filter(p => p.jvbStats).map(onBridge));
    await everyPairOnBridge(participants, marks);
    for (const p of participants.filter(p => p.jvbStats)) {
        assert.equal(p.events.count(e => e.type === 'page_error'), 0, `${p.label} had page errors`);
    }
}

export const SCENARIOS = [
    {
        name: 'a browser and an SDK client on P2P, a second SDK client joins',
        bench: 'browser_sdk_then_sdk',
        async run(cast) {
            const { sdk, tab } = starters(cast);
            const room = uniqueRoom('p2p-move-1b2s');
            const [bea, ann] = await pairOnP2p(() => tab(room, 'Bea Browser'), () => sdk(room, 'Ann SDK', 440));
            const marks = await mark([bea, ann]);
            const cal = await thirdJoins([bea, ann], () => sdk(room, 'Cal SDK', 660));
            await checkBridge([bea, ann, cal], marks);
        }
    },
    {
        name: 'an SDK client and a browser on P2P, a second browser joins',
        bench: 'sdk_browser_then_browser',
        async run(cast) {
            const { sdk, tab } = starters(cast);
            const room = uniqueRoom('p2p-move-2b1s');
            const [ann, bea] = await pairOnP2p(() => sdk(room, 'Ann SDK', 440), () => tab(room, 'Bea Browser'));
            const marks = await mark([bea, ann]);
            const dan = await thirdJoins([ann, bea], () => tab(room, 'Dan Browser'));
            await checkBridge([ann, bea, dan], marks);
        }
    },
    {
        name: 'the third leaves and the two go back to P2P, then a third joins again: three moves',
        bench: 'three_moves',
        async run(cast) {
            const { sdk, tab } = starters(cast);
            const room = uniqueRoom('p2p-move-thrice');
            const [bea, ann] = await pairOnP2p(() => tab(room, 'Bea Browser'), () => sdk(room, 'Ann SDK', 440));

            let marks = await mark([bea, ann]);
            const cal = await thirdJoins([bea, ann], () => sdk(room, 'Cal SDK', 660));
            await checkBridge([bea, ann, cal], marks);

            marks = await mark([bea, ann]);
            const backOnP2p = Promise.all([p2pStatus(bea, true), p2pStatus(ann, true)]);
            await cal.leave();
            await backOnP2p;
            await bothWaysOnP2p(bea, ann, marks);

            marks = await mark([bea, ann]);
            const dom = await thirdJoins([bea, ann], () => sdk(room, 'Dom SDK', 550));
            await checkBridge([bea, ann, dom], marks);
        }
    },
    {
        name: 'a browser mutes its camera as the third joins and unmutes it on the bridge',
        bench: 'camera_muted_during_move',
        async run(cast) {
            const { sdk, tab } = starters(cast);
            const room = uniqueRoom('p2p-move-mute');
            const [bea, ann] = await pairOnP2p(() => tab(room, 'Bea Browser'), () => sdk(room, 'Ann SDK', 440));
            const cal = await thirdJoins([bea, ann], async () => {
                const [joined] = await Promise.all([sdk(room, 'Cal SDK', 660), bea.setMuted('video', true)]);
                return joined;
            });
            assert.equal(await bea.setMuted('video', false), false);
            const marks = await mark([bea, ann, cal]);
            await checkBridge([bea, ann, cal], marks);
        }
    },
    {
        name: 'a browser shares its screen right after the move',
        bench: 'screen_share_after_move',
        async run(cast) {
            const { sdk, tab } = starters(cast);
            const room = uniqueRoom('p2p-move-screen');
            const [ann, bea] = await pairOnP2p(() => sdk(room, 'Ann SDK', 440), () => tab(room, 'Bea Browser'));
            const dan = await thirdJoins([ann, bea], () => tab(room, 'Dan Browser'));
            const screen = await bea.shareScreen();
            assert.equal(screen.videoType, 'desktop');
            // The screen goes out on another simulcast layer than the camera did, larger than
            // the 640x360 camera can be: what it is encoded at is what receivers must decode.
            const sending = await jvbStatsUntil(bea, s => s.videoOut.some(o => o.frameWidth > 640 && o.framesEncoded > 0),
                'the screen encoded on the bridge connection');
            const layer = sending.videoOut.find(o => o.frameWidth > 640 && o.framesEncoded > 0);
            bea.videoSize = [layer.frameWidth, layer.frameHeight];
            const marks = await mark([ann, bea, dan]);
            await checkBridge([ann, bea, dan], marks);
        }
    }
];
