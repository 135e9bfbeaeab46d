use thiserror::Error;

/// Everything that can go wrong in the media engine. Bad input from the network (a malformed
/// SDP, a corrupt packet) is reported with one of these and never panics.
#[derive(Debug, Error)]
pub enum MediaError {
    #[error("invalid audio frame: {0}")]
    InvalidAudioFrame(String),
    #[error("invalid video frame: {0}")]
    InvalidVideoFrame(String),
    #[error("not an H.264 Annex B access unit: {0}")]
    InvalidAccessUnit(&'static str),
    #[error("opus: {0}")]
    Opus(#[from] opus::Error),
    #[error("h264: {0}")]
    H264(String),
    #[error("invalid SDP: {0}")]
    InvalidSdp(String),
    #[error("invalid ICE candidate: {0}")]
    InvalidCandidate(String),
    #[error("webrtc: {0}")]
    WebRtc(String),
    #[error("the session is closed")]
    Closed,
    #[error("{0} is not negotiated yet")]
    NotNegotiated(&'static str),
}

impl From<openh264::Error> for MediaError {
    fn from(err: openh264::Error) -> Self {
        MediaError::H264(err.to_string())
    }
}

impl From<webrtc::error::Error> for MediaError {
    fn from(err: webrtc::error::Error) -> Self {
        MediaError::WebRtc(err.to_string())
    }
}
