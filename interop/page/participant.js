// Runs inside the tab. Drives lib-jitsi-meet only through its public API (plus the signalling
// layer's view of a peer's mute state, which is what JitsiRemoteTrack reads when media exists)
// and reports every conference event to the Node driver through window.omniEvent.
'use strict';

(() => {
    const report = event => window.omniEvent(event);
    let connection;
    let conference;
    const tracks = {};
    /** performance.now() at CONFERENCE_JOINED, where time to media starts. */
    let joinedAt;
    /** Remote audio analysers by participant id. */
    const remoteAudio = new Map();

    // Presence "commands" lib-jitsi-meet hands to listeners on every presence, changed or not.
    const WATCHED_COMMANDS = ['email', 'audiomuted', 'videomuted', 'SourceInfo'];

    function connect({ serviceUrl, hosts, room, token }) {
        return new Promise((resolve, reject) => {
            const events = JitsiMeetJS.events.connection;
            connection = new JitsiMeetJS.JitsiConnection(null, token || null, {
                hosts,
                serviceUrl: `${serviceUrl}?room=${encodeURIComponent(room)}`
            });
            connection.addEventListener(events.CONNECTION_ESTABLISHED, resolve);
            connection.addEventListener(events.CONNECTION_FAILED, (error, message) =>
                reject(new Error(`connection failed: ${error} ${message || ''}`)));
            connection.addEventListener(events.CONNECTION_DISCONNECTED, () =>
                report({ type: 'connection_disconnected' }));
            connection.connect();
        });
    }

    function mediaState(id) {
        const layer = conference._signalingLayer;
        const info = kind => {
            try {
                return layer.getPeerMediaInfo(id, kind)?.muted;
            } catch (e) {
                return undefined;
            }
        };
        return { audioMuted: info('audio'), videoMuted: info('video') };
    }

    function listen() {
        const ev = JitsiMeetJS.events.conference;
        conference.on(ev.CONFERENCE_JOINED, () => report({ type: 'conference_joined' }));
        conference.on(ev.CONFERENCE_FAILED, error => report({ type: 'conference_failed', error }));
        conference.on(ev.USER_JOINED, (id, participant) => report({
            type: 'user_joined',
            id,
            name: participant.getDisplayName(),
            role: participant.getRole()
        }));
        conference.on(ev.USER_LEFT, (id, participant) => report({
            type: 'user_left',
            id,
            name: participant?.getDisplayName()
        }));
        conference.on(ev.DISPLAY_NAME_CHANGED, (id, name) =>
            report({ type: 'display_name_changed', id, name }));
        conference.on(ev.MESSAGE_RECEIVED, (id, text, ts, nick) =>
            report({ type: 'message', id, text, nick, private: false }));
        conference.on(ev.PRIVATE_MESSAGE_RECEIVED, (id, text) =>
            report({ type: 'message', id, text, private: true }));
        conference.on(ev.PARTICIPANT_PROPERTY_CHANGED, (participant, name, oldValue, value) => report({
            type: 'property_changed',
            id: participant.getId(),
            name,
            value
        }));
        conference.on(ev.LOCK_STATE_CHANGED, locked => report({ type: 'lock_state_changed', locked }));
        conference.on(ev.SUBJECT_CHANGED, subject => report({ type: 'subject_changed', subject }));
        conference.on(ev.KICKED, actor => report({ type: 'kicked', actor: actor?.getId() }));
        conference.on(ev.PARTICIPANT_KICKED, (actor, kicked) => report({
            type: 'participant_kicked',
            actor: actor?.getId(),
            id: kicked?.getId()
        }));
        conference.on(ev.USER_ROLE_CHANGED, (id, role) => report({ type: 'role_changed', id, role }));
        // Media moving between the P2P session and the bridge.
        conference.on(ev.P2P_STATUS, (_, active) => report({ type: 'p2p_status', active }));
        conference.on(ev.TRACK_ADDED, track => {
            if (track.isLocal()) {
                return;
            }
            const id = track.getParticipantId();
            report({ type: 'remote_track_added', id, kind: track.getType() });
            if (track.getType() === 'audio') {
                remoteAudio.set(id, listenTo(track.getOriginalStream()));
            }
        });
        for (const name of WATCHED_COMMANDS) {
            conference.addCommandListener(name, (node, id) => report({
                type: 'command',
                name,
                id,
                value: node.value,
                media: mediaState(id)
            }));
        }
    }

    /**
     * An analyser on a remote audio stream. Chromium feeds WebAudio from a remote WebRTC stream
     * only while a media element plays it, so a muted <audio> element plays it too.
     */
    function listenTo(stream) {
        const element = new Audio();
        element.muted = true;
        element.srcObject = stream;
        element.play().catch(() => {});
        const context = new AudioContext();
        const analyser = context.createAnalyser();
        analyser.fftSize = 16384;
        analyser.smoothingTimeConstant = 0;
        context.createMediaStreamSource(stream).connect(analyser);
        return { element, context, analyser };
    }

    /** The loudest frequency (bin centre, Hz) and its level (dBFS) in the last fftSize samples. */
    function dominantFrequency({ context, analyser }) {
        const bins = new Float32Array(analyser.frequencyBinCount);
        analyser.getFloatFrequencyData(bins);
        let loudest = 0;
        for (let i = 1; i < bins.length; i++) {
            if (bins[i] > bins[loudest]) {
                loudest = i;
            }
        }
        return {
            hz: loudest * context.sampleRate / analyser.fftSize,
            db: bins[loudest],
            contextState: context.state
        };
    }

    async function addTracks(resolution) {
        const created = await JitsiMeetJS.createLocalTracks({ devices: ['audio', 'video'], resolution });
        for (const track of created) {
            tracks[track.getType()] = track;
            await conference.addTrack(track);
        }
        return created.map(t => t.getType()).sort();
    }

    window.omni = {
        /** Connects, joins and resolves with our endpoint id and the join timings in ms. */
        async join({ serviceUrl, hosts, room, displayName, email, sourceNameSignaling, logLevel, password, withTracks, resolution, p2p = true, backToP2PDelay }) {
            JitsiMeetJS.init({ flags: { sourceNameSignaling: Boolean(sourceNameSignaling) } });
            JitsiMeetJS.setLogLevel(logLevel || JitsiMeetJS.logLevels.ERROR);
            const start = performance.now();
            await connect({ serviceUrl, hosts, room });
            const connected = performance.now();
            conference = connection.initJitsiConference(room, {
                openBridgeChannel: 'websocket',
                p2p: { enabled: p2p, backToP2PDelay }
            });
            listen();
            const joined = new Promise((resolve, reject) => {
                const ev = JitsiMeetJS.events.conference;
                conference.on(ev.CONFERENCE_JOINED, resolve);
                conference.on(ev.CONFERENCE_FAILED, error => reject(new Error(`join failed: ${error}`)));
            });
            if (displayName) {
                conference.setDisplayName(displayName);
            }
            if (email) {
                // As jitsi-meet's conference.js publishes the local email.
                conference.sendCommand('email', { value: email, attributes: { id: conference.myUserId() } });
            }
            if (withTracks) {
                // As jitsi-meet does: the camera and microphone are in the conference before it
                // is joined, so a P2P session starts with them and needs no renegotiation.
                await addTracks(resolution);
            }
            conference.join(password);
            await joined;
            const end = performance.now();
            joinedAt = end;
            return {
                endpointId: conference.myUserId(),
                connectMs: connected - start,
                joinMs: end - start
            };
        },

        addLocalTracks: addTracks,

        /**
         * As jitsi-meet 2021 shares the screen: a desktop track replaces the camera on the same
         * sender. Headless Chromium captures a fake 800x600 screen. Resolves with its size.
         */
        async shareScreen() {
            const created = await JitsiMeetJS.createLocalTracks({ devices: ['desktop'] });
            const desktop = created.find(t => t.getType() === 'video');
            for (const other of created.filter(t => t !== desktop)) {
                await other.dispose();
            }
            await conference.replaceTrack(tracks.video, desktop);
            tracks.video = desktop;
            const { width, height } = desktop.getTrack().getSettings();
            return { width, height, videoType: desktop.videoType };
        },

        async setMuted(kind, muted) {
            const track = tracks[kind];
            if (!track) {
                throw new Error(`no local ${kind} track`);
            }
            await (muted ? track.mute() : track.unmute());
            return track.isMuted();
        },

        /** As jitsi-meet raises a hand: a timestamp, cleared when lowered. */
        setHandRaised(raised) {
            conference.setLocalParticipantProperty('raisedHand', raised ? String(Date.now()) : '');
        },

        lock(password) {
            return conference.lock(password);
        },

        muteParticipant(id, kind) {
            conference.muteParticipant(id, kind);
        },

        kickParticipant(id) {
            conference.kickParticipant(id);
        },

        setDisplayName(name) {
            conference.setDisplayName(name);
        },

        /** An object travels as <json-message> (jitsi-meet uses these for reactions, polls...). */
        sendJson(payload) {
            conference.sendMessage(payload);
        },

        sendText(text) {
            conference.sendTextMessage(text);
        },

        sendPrivateText(id, text) {
            conference.sendPrivateTextMessage(id, text);
        },

        /** What the peer's entity caps announce, and what its disco#info answers for that node. */
        async discoverCaps(id) {
            const caps = conference.room.getLastPresence(id)
                ?.find(node => node.tagName === 'c')?.attributes;
            if (!caps) {
                throw new Error(`no caps in ${id}'s presence`);
            }
            const info = await conference.xmpp.caps.getFeaturesAndIdentities(
                `${conference.room.roomjid}/${id}`, `${caps.node}#${caps.ver}`);
            return {
                caps,
                features: [...info.features],
                identities: [...info.identities]
            };
        },

        hasP2PSession() {
            return Boolean(conference.p2pJingleSession);
        },

        /**
         * What the P2P PeerConnection's getStats says about the media received and sent: audio
         * bytes and packets in, video bytes, decoded frames and size in and out, and the codec
         * (mime type and fmtp line) of each video stream.
         */
        async p2pStats() {
            const pc = conference.p2pJingleSession?.peerconnection?.peerconnection;
            if (!pc) {
                return null;
            }
            const stats = await pc.getStats();
            const codec = report => {
                const c = report.codecId && stats.get(report.codecId);
                return c ? { mimeType: c.mimeType, payloadType: c.payloadType, fmtp: c.sdpFmtpLine } : null;
            };
            const result = {
                signalingState: pc.signalingState,
                iceConnectionState: pc.iceConnectionState,
                audioBytesReceived: 0,
                audioPacketsReceived: 0,
                videoIn: null,
                videoOut: null
            };
            stats.forEach(report => {
                if (report.type === 'inbound-rtp' && report.kind === 'audio') {
                    result.audioBytesReceived += report.bytesReceived || 0;
                    result.audioPacketsReceived += report.packetsReceived || 0;
                } else if (report.type === 'inbound-rtp' && report.kind === 'video') {
                    result.videoIn = {
                        bytesReceived: report.bytesReceived || 0,
                        framesDecoded: report.framesDecoded || 0,
                        frameWidth: report.frameWidth,
                        frameHeight: report.frameHeight,
                        decoder: report.decoderImplementation,
                        codec: codec(report)
                    };
                } else if (report.type === 'outbound-rtp' && report.kind === 'video') {
                    result.videoOut = {
                        bytesSent: report.bytesSent || 0,
                        framesEncoded: report.framesEncoded || 0,
                        frameWidth: report.frameWidth,
                        frameHeight: report.frameHeight,
                        encoder: report.encoderImplementation,
                        codec: codec(report)
                    };
                }
            });
            return result;
        },

        /**
         * What the bridge (JVB) PeerConnection's getStats says, per remote participant: inbound
         * audio bytes, packets and energy (and `audioPackets`, the packets over all its audio
         * SSRCs), inbound video bytes, decoded frames, size and codec.
         * Inbound streams are attributed through the receiving track, which lib-jitsi-meet
         * gave to the participant that owns the SSRC in the focus's signalling.
         */
        async jvbStats() {
            const pc = conference.jvbJingleSession?.peerconnection?.peerconnection;
            if (!pc) {
                return null;
            }
            const owners = new Map();
            for (const participant of conference.getParticipants()) {
                for (const track of participant.getTracks()) {
                    owners.set(track.getTrack().id, participant.getId());
                }
            }
            const stats = await pc.getStats();
            const codec = report => {
                const c = report.codecId && stats.get(report.codecId);
                return c ? { mimeType: c.mimeType, payloadType: c.payloadType, fmtp: c.sdpFmtpLine } : null;
            };
            const result = {
                signalingState: pc.signalingState,
                iceConnectionState: pc.iceConnectionState,
                from: {},
                unattributed: 0,
                videoOut: []
            };
            stats.forEach(report => {
                if (report.type === 'outbound-rtp' && report.kind === 'video') {
                    result.videoOut.push({
                        ssrc: report.ssrc,
                        framesEncoded: report.framesEncoded || 0,
                        frameWidth: report.frameWidth,
                        frameHeight: report.frameHeight,
                        codec: codec(report)
                    });
                }
                if (report.type !== 'inbound-rtp') {
                    return;
                }
                const owner = owners.get(report.trackIdentifier);
                if (!owner) {
                    result.unattributed += report.packetsReceived || 0;
                    return;
                }
                const from = result.from[owner] || (result.from[owner] = {});
                if (report.kind === 'audio') {
                    // Over every SSRC the owner sent from (a new bridge session brings new ones).
                    from.audioPackets = (from.audioPackets || 0) + (report.packetsReceived || 0);
                    from.audio = {
                        ssrc: report.ssrc,
                        bytesReceived: report.bytesReceived || 0,
                        packetsReceived: report.packetsReceived || 0,
                        totalAudioEnergy: report.totalAudioEnergy || 0,
                        audioLevel: report.audioLevel || 0,
                        codec: codec(report)
                    };
                } else {
                    from.video = {
                        ssrc: report.ssrc,
                        bytesReceived: report.bytesReceived || 0,
                        framesDecoded: report.framesDecoded || 0,
                        frameWidth: report.frameWidth,
                        frameHeight: report.frameHeight,
                        codec: codec(report)
                    };
                }
            });
            return result;
        },

        /**
         * Time from CONFERENCE_JOINED until inbound audio RTP has arrived from `senders` streams
         * and the first video frame was decoded, on the P2P PeerConnection (`jvb` false) or the
         * bridge's, polling getStats in the page every `pollMs` (stats are sampled: the result is
         * late by up to one interval). Null for what did not arrive within `timeoutMs`.
         */
        async timeToMedia({ pollMs, timeoutMs, jvb = false, senders = 1 }) {
            let audioMs = null;
            let videoMs = null;
            while (performance.now() - joinedAt < timeoutMs && (audioMs === null || videoMs === null)) {
                const session = jvb ? conference.jvbJingleSession : conference.p2pJingleSession;
                const pc = session?.peerconnection?.peerconnection;
                if (pc) {
                    const stats = await pc.getStats();
                    const at = performance.now() - joinedAt;
                    let audible = 0;
                    stats.forEach(report => {
                        if (report.type !== 'inbound-rtp') {
                            return;
                        }
                        if (report.kind === 'audio' && report.packetsReceived > 0) {
                            audible += 1;
                        }
                        if (videoMs === null && report.kind === 'video' && report.framesDecoded > 0) {
                            videoMs = at;
                        }
                    });
                    if (audioMs === null && audible >= senders) {
                        audioMs = at;
                    }
                }
                await new Promise(resolve => setTimeout(resolve, pollMs));
            }
            return { audioMs, videoMs };
        },

        /** The dominant frequency of a remote participant's audio as this page hears it. */
        remoteTone(id) {
            const audio = remoteAudio.get(id);
            return audio ? dominantFrequency(audio) : null;
        },

        participants() {
            return conference.getParticipants().map(p => ({ id: p.getId(), name: p.getDisplayName() }));
        },

        async leave() {
            await conference.leave();
            await connection.disconnect();
        }
    };
})();
