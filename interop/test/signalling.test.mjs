// lib-jitsi-meet (headless Chromium) and the omni-jitsi SDK (its CLI) in the same rooms on the
// testbed: the signalling scenarios. Media sessions may start alongside (P2P, the testbed
// bridge's offer); nothing here depends on them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { useCast } from '../lib/cast.mjs';
import { uniqueRoom } from '../lib/rooms.mjs';
import { SdkParticipant } from '../lib/sdk.mjs';

const cast = useCast();

// The SDK runs with P2P on, as jitsi-meet's default: in a two-person room the browser opens a
// P2P session to it (see media.test.mjs); the decline scenario turns it off explicitly.
function sdk(room, displayName, email, endpointId, password, set = []) {
    return cast().sdk(room, { displayName, email, endpointId, password, set });
}

function tab(room, displayName, email, options = {}) {
    return cast().tab(room, displayName, { email, ...options });
}

const sdkSees = (id, check) => e =>
    (e.event === 'participant_joined' || e.event === 'participant_updated')
    && e.participant.endpoint_id === id && check(e.participant);

const browserSeesCommand = (id, check) => e => e.type === 'command' && e.id === id && check(e);

describe('browser and SDK in one room', () => {
    test('each sees the other join with the right display name and email', async () => {
        const room = uniqueRoom('join');
        const ann = await sdk(room, 'Ann SDK', 'ann@example.org');
        const bea = await tab(room, 'Bea Browser', 'bea@example.org');

        const seen = await ann.waitFor(
            sdkSees(bea.endpointId, p => p.display_name === 'Bea Browser' && p.email === 'bea@example.org'),
            'Bea with her name and email');
        assert.equal(seen.participant.role, 'participant');

        const joined = await bea.waitFor(e => e.type === 'user_joined' && e.id === ann.endpointId,
            'USER_JOINED for Ann');
        assert.equal(joined.name, 'Ann SDK', 'lib-jitsi-meet reads the display name from the join presence');
        assert.equal(joined.role, 'moderator', 'the focus made the first participant a moderator');
        await bea.waitFor(browserSeesCommand(ann.endpointId, e => e.name === 'email' && e.value === 'ann@example.org'),
            'Ann\'s email');

        const inBrowser = await bea.page.evaluate(() => window.omni.participants());
        assert.deepEqual(inBrowser, [{ id: ann.endpointId, name: 'Ann SDK' }], 'the focus is not a participant');
        ann.command('participants');
        const listed = await ann.waitFor(e => e.event === 'participants', 'the participants answer');
        assert.deepEqual(listed.participants.map(p => p.endpoint_id), [bea.endpointId]);
    });

    test('the SDK answers the browser\'s disco#info for its caps node, matching the caps hash', async () => {
        const room = uniqueRoom('caps');
        const ann = await sdk(room, 'Ann SDK');
        const bea = await tab(room, 'Bea Browser');
        const { caps, features, identities } = await bea.page.evaluate(id => window.omni.discoverCaps(id),
            ann.endpointId);
        assert.equal(caps.hash, 'sha-1');
        assert.ok(features.includes('http://jabber.org/protocol/disco#info'), features.join(' '));
        // XEP-0115 section 5.1: identities category/type/lang/name, then features, sorted, each followed by '<'.
        const ids = identities.map(i => `${i.category}/${i.type}/${i.lang || ''}/${i.name || ''}<`).sort();
        const input = ids.join('') + [...features].sort().map(f => `${f}<`).join('');
        assert.equal(createHash('sha1').update(input).digest('base64'), caps.ver);
    });

    for (const sourceNameSignaling of [false, true]) {
        const mode = sourceNameSignaling ? 'SourceInfo' : 'legacy audiomuted/videomuted';
        test(`each sees the other's audio and video mute state and its changes (${mode})`, async () => {
            const room = uniqueRoom('mute');
            const ann = await sdk(room, 'Ann SDK');
            // Tracks before the join, as jitsi-meet adds them: added after it, they race the
            // 2021 lib-jitsi-meet's own unqueued renegotiation that follows its P2P setAnswer.
            const bea = await tab(room, 'Bea Browser', undefined, { sourceNameSignaling, withTracks: true });

            // The SDK as lib-jitsi-meet sees it: unmuted on join, then every change.
            const media = check => browserSeesCommand(ann.endpointId, e => check(e.media));
            await bea.waitFor(media(m => m.audioMuted === false && m.videoMuted === false), 'Ann unmuted');
            ann.command('mute audio on');
            await bea.waitForNext(media(m => m.audioMuted === true && m.videoMuted === false), 'Ann audio-muted');
            ann.command('mute video on');
            await bea.waitForNext(media(m => m.audioMuted === true && m.videoMuted === true), 'Ann video-muted');
            ann.command('mute audio off');
            await bea.waitForNext(media(m => m.audioMuted === false && m.videoMuted === true), 'Ann audio back');

            // The browser as the SDK sees it. Before a Jingle session, lib-jitsi-meet publishes a
            // track's state only once it was unmuted (an absent state means muted, as jicofo reads
            // it), so the first mute is silent and the unmute is the first visible change.
            const state = check => sdkSees(bea.endpointId, check);
            const toggle = async (kind, muted, check, what) => {
                const seen = ann.waitForNext(state(check), what);
                seen.catch(() => {});
                assert.equal(await bea.setMuted(kind, muted), muted);
                await seen;
            };
            assert.equal(await bea.setMuted('audio', true), true);
            assert.equal(await bea.setMuted('video', true), true);
            await toggle('audio', false, p => p.audio_muted === false && p.video_muted === true, 'Bea audio on');
            await toggle('video', false, p => p.audio_muted === false && p.video_muted === false, 'Bea video on');
            await toggle('audio', true, p => p.audio_muted === true && p.video_muted === false, 'Bea audio off');
            await toggle('video', true, p => p.audio_muted === true && p.video_muted === true, 'Bea video off');
        });
    }

    test('each sees the other raise and lower a hand', async () => {
        const room = uniqueRoom('hand');
        const ann = await sdk(room, 'Ann SDK');
        const bea = await tab(room, 'Bea Browser');
        await ann.waitFor(sdkSees(bea.endpointId, () => true), 'Bea');

        const before = Date.now();
        ann.command('hand up');
        const up = await bea.waitFor(e => e.type === 'property_changed' && e.id === ann.endpointId
            && e.name === 'raisedHand' && Number(e.value) > 0, 'Ann\'s raised hand');
        assert.ok(Number(up.value) >= before - 1000, `a timestamp in ms, got ${up.value}`);
        ann.command('hand down');
        await bea.waitForNext(e => e.type === 'property_changed' && e.id === ann.endpointId
            && e.name === 'raisedHand' && !e.value, 'Ann\'s lowered hand');

        const raised = ann.waitForNext(sdkSees(bea.endpointId, p => p.hand_raised_at !== null), 'Bea\'s hand');
        await bea.setHandRaised(true);
        assert.ok((await raised).participant.hand_raised_at >= before - 1000);
        const lowered = ann.waitForNext(sdkSees(bea.endpointId, p => p.hand_raised_at === null), 'Bea\'s hand down');
        await bea.setHandRaised(false);
        await lowered;
    });

    test('room and private chat both ways, each received once from the right sender', async () => {
        const room = uniqueRoom('chat');
        const ann = await sdk(room, 'Ann SDK');
        const bea = await tab(room, 'Bea Browser');
        await ann.waitFor(sdkSees(bea.endpointId, p => p.display_name === 'Bea Browser'), 'Bea');

        const sdkGot = (text, isPrivate) => e => e.event === 'chat_message_received'
            && e.message.text === text && e.message.private === isPrivate;
        const browserGot = (text, isPrivate) => e => e.type === 'message'
            && e.text === text && e.private === isPrivate;

        await bea.sendText('hello room from the browser');
        const toSdk = await ann.waitFor(sdkGot('hello room from the browser', false), 'the browser\'s room message');
        assert.equal(toSdk.message.from, bea.endpointId);
        assert.equal(toSdk.message.from_name, 'Bea Browser');

        ann.command('chat hello room from the SDK');
        const toBrowser = await bea.waitFor(browserGot('hello room from the SDK', false), 'the SDK\'s room message');
        assert.equal(toBrowser.id, ann.endpointId);

        await bea.sendPrivateText(ann.endpointId, 'psst, SDK');
        const privToSdk = await ann.waitFor(sdkGot('psst, SDK', true), 'the browser\'s private message');
        assert.equal(privToSdk.message.from, bea.endpointId);

        ann.command(`chat-to ${bea.endpointId} psst, browser`);
        const privToBrowser = await bea.waitFor(browserGot('psst, browser', true), 'the SDK\'s private message');
        assert.equal(privToBrowser.id, ann.endpointId);

        // Messages between two clients stay in order, so once a later marker has arrived any
        // duplicate of the earlier ones would have arrived too.
        await bea.sendText('marker from the browser');
        await ann.waitFor(sdkGot('marker from the browser', false), 'the browser\'s marker');
        ann.command('chat marker from the SDK');
        await bea.waitFor(browserGot('marker from the SDK', false), 'the SDK\'s marker');
        assert.equal(ann.events.count(sdkGot('hello room from the browser', false)), 1);
        assert.equal(ann.events.count(sdkGot('psst, SDK', true)), 1);
        assert.equal(bea.events.count(browserGot('hello room from the SDK', false)), 1);
        assert.equal(bea.events.count(browserGot('psst, browser', true)), 1);
        assert.equal(ann.events.count(e => e.event === 'chat_message_received' && e.message.private
            && e.message.text !== 'psst, SDK'), 0, 'a room message never arrives as a private one');
    });

    test('with P2P off in the SDK, the browser\'s offer is declined and the browser lets it go', async () => {
        const room = uniqueRoom('p2p');
        // lib-jitsi-meet offers P2P in a two-person room when its endpoint id sorts lower.
        const ann = await sdk(room, 'Ann SDK', undefined, 'ffffffff', undefined, ['p2p.enabled=false']);
        const bea = await tab(room, 'Bea Browser', undefined, { logLevel: 'info' });
        assert.ok(bea.endpointId < ann.endpointId);
        await bea.waitFor(e => e.type === 'console' && e.text.includes(`Will start P2P with: ${room}@`),
            'the browser offering P2P');
        await bea.waitFor(e => e.type === 'console' && e.text.includes('Call ended: decline - P2P disabled'),
            'the browser seeing the offer declined');
        assert.equal(await bea.page.evaluate(() => window.omni.hasP2PSession()), false);
        assert.equal(bea.events.count(e => e.type === 'conference_failed'), 0);

        // Both stay in the room and keep talking.
        ann.command('chat still here');
        await bea.waitFor(e => e.type === 'message' && e.text === 'still here' && e.id === ann.endpointId,
            'chat after the declined offer');
    });

    test('room history, a JSON message and a renamed browser reach the SDK as they should', async () => {
        const room = uniqueRoom('history');
        const bea = await tab(room, 'Bea Browser');
        await bea.sendText('said before Ann came');
        const ann = await sdk(room, 'Ann SDK');
        const history = await ann.waitFor(e => e.event === 'chat_message_received'
            && e.message.text === 'said before Ann came', 'the room history');
        assert.equal(history.message.delayed, true);
        assert.equal(history.message.from_name, 'Bea Browser');

        await bea.page.evaluate(() => window.omni.sendJson({ type: 'reaction', value: 'clap' }));
        await bea.page.evaluate(() => window.omni.setDisplayName('Beatrice'));
        await ann.waitFor(sdkSees(bea.endpointId, p => p.display_name === 'Beatrice'), 'Bea\'s new name');
        await bea.sendText('marker');
        const marker = await ann.waitFor(e => e.event === 'chat_message_received' && e.message.text === 'marker',
            'the marker');
        assert.equal(marker.message.from_name, 'Beatrice');
        assert.deepEqual(ann.events.events.filter(e => e.event === 'chat_message_received')
            .map(e => e.message.text), ['said before Ann came', 'marker'], 'a JSON message is not chat');
        assert.equal(ann.events.count(e => e.event === 'conference_terminated'), 0);
    });

    test('the browser sees the SDK leave', async () => {
        const room = uniqueRoom('sdk-leaves');
        const ann = await sdk(room, 'Ann SDK');
        const bea = await tab(room, 'Bea Browser');
        await bea.waitFor(e => e.type === 'user_joined' && e.id === ann.endpointId, 'Ann');
        const { code } = await ann.leave();
        assert.equal(code, 0, 'a clean leave exits 0');
        await bea.waitFor(e => e.type === 'user_left' && e.id === ann.endpointId, 'USER_LEFT for Ann');
    });

    test('the SDK sees the browser leave, and a closed tab', async () => {
        const room = uniqueRoom('browser-leaves');
        const ann = await sdk(room, 'Ann SDK');
        const bea = await tab(room, 'Bea Browser');
        const cid = await tab(room, 'Cid Browser');
        for (const b of [bea, cid]) {
            await ann.waitFor(sdkSees(b.endpointId, () => true), `${b.label} joining`);
        }
        await bea.leave();
        const left = await ann.waitFor(e => e.event === 'participant_left' && e.endpoint_id === bea.endpointId,
            'Bea leaving');
        assert.equal(left.display_name, 'Bea Browser');
        // A closed tab gets no chance to call leave(): lib-jitsi-meet's unload handler must do it.
        await cid.closeTab();
        await ann.waitFor(e => e.event === 'participant_left' && e.endpoint_id === cid.endpointId,
            'Cid\'s closed tab leaving');
    });
});

describe('two browsers and one SDK client', () => {
    test('everyone sees everyone', async () => {
        const room = uniqueRoom('three');
        const bea = await tab(room, 'Bea Browser', 'bea@example.org');
        const ann = await sdk(room, 'Ann SDK', 'ann@example.org');
        const cid = await tab(room, 'Cid Browser', 'cid@example.org');

        for (const b of [bea, cid]) {
            await ann.waitFor(sdkSees(b.endpointId, p => p.display_name === `${b.label}`), `${b.label} in the SDK`);
        }
        const expect = (viewer, others) => Promise.all(others.map(([id, name]) => viewer.waitFor(
            e => (e.type === 'user_joined' || e.type === 'display_name_changed') && e.id === id && e.name === name,
            `${name} in ${viewer.label}`)));
        await expect(bea, [[ann.endpointId, 'Ann SDK'], [cid.endpointId, 'Cid Browser']]);
        await expect(cid, [[ann.endpointId, 'Ann SDK'], [bea.endpointId, 'Bea Browser']]);

        const names = async b => (await b.page.evaluate(() => window.omni.participants()))
            .map(p => p.name).sort();
        assert.deepEqual(await names(bea), ['Ann SDK', 'Cid Browser']);
        assert.deepEqual(await names(cid), ['Ann SDK', 'Bea Browser']);
        ann.command('participants');
        const listed = await ann.waitFor(e => e.event === 'participants', 'the participants answer');
        assert.deepEqual(listed.participants.map(p => p.display_name).sort(), ['Bea Browser', 'Cid Browser']);
    });
});

describe('moderation between browser and SDK', () => {
    test('a moderator in the browser mutes the SDK through the focus, then kicks it', async () => {
        const room = uniqueRoom('browser-moderates');
        const bea = await tab(room, 'Bea Browser');
        await bea.waitFor(e => e.type === 'role_changed' && e.id === bea.endpointId && e.role === 'moderator',
            'Bea made moderator by the focus');
        const ann = await sdk(room, 'Ann SDK');
        await bea.waitFor(e => e.type === 'user_joined' && e.id === ann.endpointId, 'Ann');

        await bea.page.evaluate(id => window.omni.muteParticipant(id, 'audio'), ann.endpointId);
        await ann.waitFor(e => e.event === 'audio_muted_changed' && e.muted === true, 'Ann muted by Bea');
        await bea.waitFor(browserSeesCommand(ann.endpointId, e => e.media.audioMuted === true),
            'Ann\'s presence saying muted');

        await bea.page.evaluate(id => window.omni.kickParticipant(id), ann.endpointId);
        const ended = await ann.waitFor(e => e.event === 'conference_terminated', 'Ann\'s meeting ending');
        assert.equal(ended.reason, 'kicked');
        // lib-jitsi-meet tells the kicker only that the participant left (onMemberKicked).
        await bea.waitFor(e => e.type === 'user_left' && e.id === ann.endpointId, 'USER_LEFT for Ann');
    });

    test('a moderator SDK sets the subject, grants moderator and kicks, as browsers see it', async () => {
        const room = uniqueRoom('sdk-moderates');
        const ann = await sdk(room, 'Ann SDK');
        await ann.waitFor(e => e.event === 'role_changed' && e.role === 'moderator', 'Ann made moderator');
        const bea = await tab(room, 'Bea Browser');
        const cid = await tab(room, 'Cid Browser');
        await ann.waitFor(sdkSees(cid.endpointId, () => true), 'Cid');

        ann.command('subject Weekly standup');
        await bea.waitFor(e => e.type === 'subject_changed' && e.subject === 'Weekly standup', 'the subject');

        ann.command(`grant ${bea.endpointId}`);
        await bea.waitFor(e => e.type === 'role_changed' && e.id === bea.endpointId && e.role === 'moderator',
            'Bea granted moderator');

        ann.command(`kick ${cid.endpointId}`);
        await cid.waitFor(e => e.type === 'kicked', 'KICKED in Cid\'s tab');
        await bea.waitFor(e => e.type === 'participant_kicked' && e.id === cid.endpointId, 'Cid kicked, for Bea');
        await ann.waitFor(e => e.event === 'participant_left' && e.endpoint_id === cid.endpointId, 'Cid gone');
    });

    test('a room the SDK locks admits a browser only with the password', async () => {
        const room = uniqueRoom('locked-by-sdk');
        const ann = await sdk(room, 'Ann SDK');
        await ann.waitFor(e => e.event === 'role_changed' && e.role === 'moderator', 'Ann made moderator');
        const bea = await tab(room, 'Bea Browser');
        ann.command('password s3cret');
        await bea.waitFor(e => e.type === 'lock_state_changed' && e.locked === true, 'the room locked');

        const refused = await cast().browser.participant('Cid without password');
        cast().add(() => refused.page.close());
        await assert.rejects(refused.join(room, { displayName: 'Cid Browser' }), /conference\.passwordRequired/);

        const cid = await tab(room, 'Cid Browser', undefined, { password: 's3cret' });
        await ann.waitFor(sdkSees(cid.endpointId, p => p.display_name === 'Cid Browser'), 'Cid with the password');
    });

    test('a room the browser locks admits the SDK only with the password', async () => {
        const room = uniqueRoom('locked-by-browser');
        const bea = await tab(room, 'Bea Browser');
        await bea.waitFor(e => e.type === 'role_changed' && e.id === bea.endpointId && e.role === 'moderator',
            'Bea made moderator');
        await bea.page.evaluate(() => window.omni.lock('b4nana'));

        const refused = SdkParticipant.spawn(room, { displayName: 'Ann without password' });
        cast().add(async () => refused.kill());
        const ended = await refused.waitFor(e => e.event === 'conference_terminated', 'the refusal');
        assert.equal(ended.error, 'password_required');
        assert.equal((await refused.exited).code, 1, 'a failed join exits 1');

        const ann = await sdk(room, 'Ann SDK', undefined, undefined, 'b4nana');
        await bea.waitFor(e => e.type === 'user_joined' && e.id === ann.endpointId, 'Ann with the password');
    });
});
