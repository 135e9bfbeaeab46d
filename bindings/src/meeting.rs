//! `join`, the `Meeting` object and the listener apps implement.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use omni_jitsi_core::EndpointId;

use crate::error::MeetingError;
use crate::events::{MeetingEvent, Participant};
use crate::options::MeetingOptions;
use crate::recording::RecordingRequest;
use crate::runtime;

/// Receives every event of one meeting, in order, on one dedicated thread per meeting
/// (`omni-jitsi-events`), never on the app's main thread. A slow listener delays only its own
/// events: the conference keeps running and events queue up.
#[uniffi::export(with_foreign)]
pub trait MeetingListener: Send + Sync {
    fn on_event(&self, event: MeetingEvent);
}

/// Joins a conference. Suspends until the room has confirmed the join; the listener receives
/// `ConferenceWillJoin` first and `ConferenceTerminated` last, also when the join fails.
#[uniffi::export]
pub async fn join(
    options: MeetingOptions,
    listener: Arc<dyn MeetingListener>,
) -> Result<Arc<Meeting>, MeetingError> {
    crate::platform::logging::install();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    deliver_events(rx, listener);
    let meeting = runtime::run(omni_jitsi_core::join(options.into(), tx)).await?;
    Ok(Arc::new(Meeting { inner: meeting }))
}

fn deliver_events(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<omni_jitsi_core::ConferenceEvent>,
    listener: Arc<dyn MeetingListener>,
) {
    let spawned = std::thread::Builder::new()
        .name("omni-jitsi-events".into())
        .spawn(move || {
            while let Some(event) = rx.blocking_recv() {
                let event = MeetingEvent::from(event);
                // An exception thrown by the app's listener must not stop later events.
                if catch_unwind(AssertUnwindSafe(|| listener.on_event(event))).is_err() {
                    log::error!("the meeting listener threw; continuing with the next event");
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("could not start the event thread: {e}");
    }
}

/// A joined meeting. Every call after the meeting ended fails with `MeetingEnded`.
#[derive(uniffi::Object)]
pub struct Meeting {
    pub(crate) inner: omni_jitsi_core::Meeting,
}

#[uniffi::export]
impl Meeting {
    /// Our id in the room (the MUC nickname), which others see as `endpointId`.
    pub fn endpoint_id(&self) -> String {
        self.inner.endpoint_id().to_string()
    }

    pub fn room(&self) -> String {
        self.inner.room().to_string()
    }

    /// Everyone else in the room, as of the last update.
    pub fn participants(&self) -> Vec<Participant> {
        self.inner
            .participants()
            .into_iter()
            .map(Participant::from)
            .collect()
    }

    /// Sends a chat message to the room, or privately to the participant `to` (an endpoint id).
    pub async fn send_chat(&self, text: String, to: Option<String>) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.send_chat(&text, to.map(EndpointId::new).as_ref()).await })
            .await
    }

    pub async fn set_audio_muted(&self, muted: bool) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.set_audio_muted(muted).await }).await
    }

    pub async fn set_video_muted(&self, muted: bool) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.set_video_muted(muted).await }).await
    }

    /// Raises or lowers our hand.
    pub async fn raise_hand(&self, raised: bool) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.set_hand_raised(raised).await }).await
    }

    /// Call when the device's network changes (Android `ConnectivityManager.NetworkCallback`,
    /// iOS `NWPathMonitor`): the SDK probes the server at once (2 s) and reconnects if the
    /// socket is dead, instead of waiting for keepalive, and restarts ICE with the bridge on
    /// the new network.
    pub async fn network_changed(&self) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.network_changed().await }).await
    }

    /// Moderators only.
    pub async fn set_subject(&self, subject: String) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.set_subject(&subject).await }).await
    }

    /// Locks the room with a password, or unlocks it with null. Moderators only.
    pub async fn set_room_password(&self, password: Option<String>) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.set_room_password(password.as_deref()).await }).await
    }

    /// Switches the lobby on or off. Moderators only.
    pub async fn set_lobby_enabled(&self, enabled: bool) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.set_lobby_enabled(enabled).await }).await
    }

    /// Removes a participant from the room. Moderators only.
    pub async fn kick(&self, endpoint_id: String) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.kick(&EndpointId::new(endpoint_id)).await }).await
    }

    /// Makes a participant a moderator. Moderators only.
    pub async fn grant_moderator(&self, endpoint_id: String) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.grant_moderator(&EndpointId::new(endpoint_id)).await }).await
    }

    /// Asks the deployment's Jibri to record or stream the room; returns once the focus accepted
    /// (`RecordingStatusChanged` events follow). Moderators only; `RecordingUnavailable` when the
    /// deployment has no free recorder.
    pub async fn start_recording(&self, request: RecordingRequest) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.start_recording(request.into()).await }).await
    }

    pub async fn stop_recording(&self) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.stop_recording().await }).await
    }

    /// Starts sharing the screen as a second video source (`ENDPOINT-v1`, videoType desktop),
    /// fed with `push_screen_frame`. It goes through the bridge: P2P pauses while sharing.
    /// Everyone, us included, gets `ScreenShareToggled`.
    pub async fn start_screen_share(&self) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.start_screen_share().await }).await
    }

    pub async fn stop_screen_share(&self) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.stop_screen_share().await }).await
    }

    /// What the bridge should forward to us: at most `last_n` videos (null: the bridge's
    /// default, -1: all), `selected_sources` first, none taller than `max_height` pixels.
    pub async fn set_receiver_constraints(
        &self,
        last_n: Option<i32>,
        selected_sources: Vec<String>,
        max_height: Option<u32>,
    ) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        let constraints = omni_jitsi_core::ReceiverConstraints {
            last_n,
            selected_sources,
            max_height,
        };
        runtime::run(async move { m.set_receiver_constraints(constraints).await }).await
    }

    /// Sends a JSON text over the bridge channel to one participant, or to everyone when `to`
    /// is null; it arrives as `EndpointMessageReceived`.
    pub async fn send_endpoint_message(
        &self,
        to: Option<String>,
        json: String,
    ) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move {
            m.send_endpoint_message(to.map(EndpointId::new), &json)
                .await
        })
        .await
    }

    /// Leaves the meeting; returns after `ConferenceTerminated` was delivered to the queue.
    pub async fn hang_up(&self) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.hang_up().await }).await
    }
}
