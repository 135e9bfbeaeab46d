use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::media::io::sample_builder::SampleBuilder;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::codec::h264::H264Packet;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::events::SessionEvent;
use super::Shared;
use crate::audio::RemoteAudio;
use crate::video::{annexb, H264Decoder};

/// How long reassembly waits for a missing packet before giving the picture up as lost.
const MAX_REASSEMBLY_DELAY: Duration = Duration::from_millis(200);
/// Packets the sample builder holds while waiting for a gap to fill.
const MAX_LATE_PACKETS: u16 = 512;
/// While the picture is broken, ask again this often: a PLI can be lost too.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);

pub(crate) async fn run(track: Arc<dyn TrackRemote>, shared: Arc<Shared>) {
    let Some(ssrc) = track.ssrcs().await.first().copied() else {
        log::warn!("remote track without an SSRC ignored");
        return;
    };
    let mime = track
        .codec(ssrc)
        .await
        .map(|c| c.mime_type.to_ascii_lowercase());
    log::debug!(
        "{} receives remote track {ssrc} ({:?}) with codec {mime:?}",
        shared.config.stream_id,
        shared.source(ssrc).name
    );
    match (track.kind().await, mime.as_deref()) {
        (RtpCodecKind::Audio, Some("audio/opus")) => receive_audio(track, ssrc, shared).await,
        (RtpCodecKind::Video, Some("video/h264")) => receive_video(track, ssrc, shared).await,
        (kind, mime) => log::warn!("remote {kind} track {ssrc} with codec {mime:?} ignored"),
    }
}

async fn receive_audio(track: Arc<dyn TrackRemote>, ssrc: u32, shared: Arc<Shared>) {
    let audio = match RemoteAudio::new(
        shared.config.audio_receive_channels,
        shared.config.jitter_target_packets,
    ) {
        Ok(audio) => audio,
        Err(err) => {
            log::error!("no Opus decoder for remote audio {ssrc}: {err}");
            return;
        }
    };
    shared.emit(SessionEvent::RemoteAudio {
        source: shared.source(ssrc),
        audio: audio.clone(),
    });
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(packet) if !packet.payload.is_empty() => {
                audio.push_packet(packet.header.sequence_number, packet.payload.to_vec());
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
}

/// Reassembles access units (RFC 6184 via webrtc's sample builder), decodes them and delivers
/// pictures. After a loss the picture is frozen (nothing delivered) until a keyframe arrives,
/// which is requested with PLI, as browsers do without NACK.
async fn receive_video(track: Arc<dyn TrackRemote>, ssrc: u32, shared: Arc<Shared>) {
    let mut decoder = match H264Decoder::new() {
        Ok(decoder) => decoder,
        Err(err) => {
            log::error!("no H.264 decoder for remote video {ssrc}: {err}");
            return;
        }
    };
    let mut builder = SampleBuilder::new(MAX_LATE_PACKETS, H264Packet::default(), 90_000)
        .with_max_time_delay(MAX_REASSEMBLY_DELAY);
    let frames = shared.frame_counter(ssrc);
    let mut first_rtp_timestamp: Option<u32> = None;
    let mut broken = true;
    let mut last_request: Option<Instant> = None;
    while let Some(event) = track.poll().await {
        let packet = match event {
            TrackRemoteEvent::OnRtpPacket(packet) => packet,
            TrackRemoteEvent::OnEnded => break,
            _ => continue,
        };
        let now = Instant::now();
        builder.push(now, packet);
        while let Some(sample) = builder.pop(now) {
            if sample.prev_dropped_packets > 0 {
                log::debug!(
                    "video {ssrc}: {} packets lost before this picture",
                    sample.prev_dropped_packets
                );
                broken = true;
            }
            let keyframe = annexb::contains_idr(&sample.data).unwrap_or(false);
            if broken && !keyframe {
                continue;
            }
            let first = *first_rtp_timestamp.get_or_insert(sample.packet_timestamp);
            let timestamp = Duration::from_micros(
                u64::from(sample.packet_timestamp.wrapping_sub(first)) * 1000 / 90,
            );
            match decoder.decode(&sample.data, timestamp) {
                Ok(Some(frame)) => {
                    broken = false;
                    frames.fetch_add(1, Ordering::Relaxed);
                    shared.emit(SessionEvent::RemoteVideo {
                        source: shared.source(ssrc),
                        frame,
                    });
                }
                Ok(None) => {}
                Err(err) => {
                    log::debug!("video {ssrc}: undecodable access unit: {err}");
                    broken = true;
                }
            }
        }
        if broken
            && last_request.is_none_or(|at| now.duration_since(at) >= KEYFRAME_REQUEST_INTERVAL)
        {
            last_request = Some(now);
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ssrc,
            };
            match track.write_rtcp(vec![Box::new(pli)]).await {
                Ok(()) => {
                    shared
                        .keyframe_requests_sent
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(err) => log::debug!("video {ssrc}: PLI not sent: {err}"),
            }
        }
    }
}
