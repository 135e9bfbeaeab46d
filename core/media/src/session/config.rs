use crate::audio::Channels;
use crate::video::{BitrateLimits, H264EncoderConfig};

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Local UDP sockets for ICE host candidates (`0.0.0.0:0` binds all interfaces).
    pub udp_addrs: Vec<String>,
    /// STUN and TURN servers from the deployment (Jitsi hands them out in an XEP-0215 query).
    pub ice_servers: Vec<IceServer>,
    /// Gather relay candidates only (jitsi-meet's `p2p.iceTransportPolicy = relay`): the peer
    /// sees the TURN server's address, never ours.
    pub relay_only: bool,
    /// SSRCs of our streams; Jitsi signals them in Jingle `<source>` elements.
    pub audio_ssrc: u32,
    pub video_ssrc: u32,
    /// The screen share's SSRC; its track exists only once `add_screen_track` is called.
    pub screen_ssrc: u32,
    /// The msid of our tracks: Jitsi uses the stream id `<endpoint>-audio-0`/`-video-0` style and
    /// the source names `<endpoint>-a0`/`<endpoint>-v0`; the caller decides.
    pub stream_id: String,
    pub audio_track_id: String,
    pub video_track_id: String,
    pub screen_track_id: String,
    /// Layout of the PCM we send (the SDP always says Opus/48000/2, as RFC 7587 requires).
    pub audio_send_channels: Channels,
    /// Layout of the PCM delivered for remote audio.
    pub audio_receive_channels: Channels,
    /// Packets (20 ms each) buffered per remote source before playout.
    pub jitter_target_packets: usize,
    pub video_encoder: H264EncoderConfig,
    pub video_bitrate_limits: BitrateLimits,
}

impl SessionConfig {
    /// Random SSRCs, all interfaces, mono audio both ways, 800 kbit/s video.
    pub fn new(endpoint: &str) -> Self {
        SessionConfig {
            udp_addrs: vec!["0.0.0.0:0".into()],
            ice_servers: Vec::new(),
            relay_only: false,
            audio_ssrc: random_ssrc(),
            video_ssrc: random_ssrc(),
            screen_ssrc: random_ssrc(),
            stream_id: format!("{endpoint}-stream"),
            audio_track_id: format!("{endpoint}-a0"),
            video_track_id: format!("{endpoint}-v0"),
            screen_track_id: format!("{endpoint}-v1"),
            audio_send_channels: Channels::Mono,
            audio_receive_channels: Channels::Mono,
            jitter_target_packets: 2,
            video_encoder: H264EncoderConfig::default(),
            video_bitrate_limits: BitrateLimits::default(),
        }
    }
}

fn random_ssrc() -> u32 {
    // Zero is avoided: some stacks treat it as "no SSRC".
    rand::random::<u32>().max(1)
}

/// A STUN or TURN server, as a WebRTC `RTCIceServer` names it.
#[derive(Clone, PartialEq, Eq)]
pub struct IceServer {
    /// `stun:host:port`, `turn:host:port`, `turn:host:port?transport=tcp`, `turns:...`.
    pub url: String,
    pub username: String,
    /// A TURN password: kept out of logs.
    pub credential: String,
}

impl std::fmt::Debug for IceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceServer")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("credential", &"<redacted>")
            .finish()
    }
}
