use std::sync::Arc;
use std::time::Duration;

use rtc::interceptor::{Gcc, Slot};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind,
};
use webrtc::peer_connection::{
    configure_congestion_control, configure_rtcp_reports, CongestionFeedback, MediaEngine,
    PeerConnection, PeerConnectionBuilder, RTCConfigurationBuilder, RTCIceServer,
    RTCIceTransportPolicy, Registry, SettingEngineBuilder,
};

use super::feedback::{self, SenderFeedback};
use super::handler::Handler;
use super::Shared;
use crate::MediaError;

/// ICE calls a path `disconnected` 5 s after it last heard from it and `failed` 7 s later
/// (webrtc-rs, like browsers, waits 25 s more): a phone whose path died gets a new bridge
/// session that much sooner, while a shorter outage still recovers on the same path.
const ICE_DISCONNECTED_AFTER: Duration = Duration::from_secs(5);
const ICE_FAILED_AFTER: Duration = Duration::from_secs(7);

/// The payload types Jicofo offers by default (jicofo-selector reference.conf: Opus 111, H.264 107
/// with RTX 99; 126 is telephone-event there), so our P2P offers look like a Jitsi offer. In
/// answers the offerer's numbers win anyway.
const OPUS_PT: u8 = 111;
const H264_PT: u8 = 107;
pub(crate) const H264_FMTP: &str =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
pub(crate) const OPUS_FMTP: &str = "minptime=10;useinbandfec=1";

pub(crate) fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: "audio/opus".into(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: OPUS_FMTP.into(),
        rtcp_feedback: vec![],
    }
}

pub(crate) fn h264_codec() -> RTCRtpCodec {
    let feedback = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.into(),
        parameter: parameter.into(),
    };
    RTCRtpCodec {
        mime_type: "video/H264".into(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: H264_FMTP.into(),
        // Loss is repaired with keyframes (PLI, FIR); bandwidth follows REMB. NACK/RTX come later.
        rtcp_feedback: vec![
            feedback("nack", "pli"),
            feedback("ccm", "fir"),
            feedback("goog-remb", ""),
        ],
    }
}

pub(crate) async fn build_peer_connection(
    shared: &Arc<Shared>,
) -> Result<Arc<dyn PeerConnection>, MediaError> {
    let mut media_engine = MediaEngine::default();
    media_engine.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: opus_codec(),
            payload_type: OPUS_PT,
        },
        RtpCodecKind::Audio,
    )?;
    media_engine.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: h264_codec(),
            payload_type: H264_PT,
        },
        RtpCodecKind::Video,
    )?;
    // Sender/receiver reports feed round-trip and loss statistics. Congestion control numbers
    // what we send with transport-wide sequence numbers, reads the TWCC feedback coming back into
    // a GCC estimate (surfaced as the outbound `target_bitrate` statistic, which the session
    // feeds to the encoder) and paces departures; it also records arrivals so the bridge or a
    // browser peer can estimate what it sends us.
    let registry = configure_rtcp_reports(Registry::new());
    let limits = shared.config.video_bitrate_limits;
    let estimator = Gcc::new(
        f64::from(shared.config.video_encoder.bitrate_bps),
        f64::from(limits.min_bps),
        f64::from(limits.max_bps),
    );
    let registry = configure_congestion_control(
        registry,
        estimator,
        CongestionFeedback::Twcc,
        &mut media_engine,
    )?;
    let registry = registry.with(Slot::from(feedback::SLOT), SenderFeedback::default());

    let ice_servers: Vec<RTCIceServer> = shared
        .config
        .ice_servers
        .iter()
        .map(|server| RTCIceServer {
            urls: vec![server.url.clone()],
            username: server.username.clone(),
            credential: server.credential.clone(),
        })
        .collect();
    let policy = if shared.config.relay_only {
        RTCIceTransportPolicy::Relay
    } else {
        RTCIceTransportPolicy::All
    };
    let runtime =
        webrtc::runtime::default_runtime().ok_or(MediaError::WebRtc("no async runtime".into()))?;
    let pc = PeerConnectionBuilder::new()
        .with_configuration(
            RTCConfigurationBuilder::new()
                .with_ice_servers(ice_servers)
                .with_ice_transport_policy(policy)
                .build(),
        )
        .with_media_engine(media_engine)
        .with_setting_engine(
            SettingEngineBuilder::new()
                .with_ice_timeouts(Some(ICE_DISCONNECTED_AFTER), Some(ICE_FAILED_AFTER), None)
                // An ICE restart follows a network change: the sockets bound on the old network
                // are rebound, so the new generation gathers on the network the phone is on now.
                .with_discard_local_candidates_during_ice_restart(true)
                .build(),
        )
        .with_interceptor_registry(registry)
        .with_handler(Arc::new(Handler::new(shared.clone())))
        .with_runtime(runtime)
        .with_udp_addrs(shared.config.udp_addrs.clone())
        .build()
        .await?;
    Ok(Arc::new(pc))
}
