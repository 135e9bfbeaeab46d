//! Recording through the focus, against Prosody: the request travels through the MUC to the
//! focus occupant and the status comes back in the focus's presence, as with Jicofo and Jibri.

mod common;

use common::{join, options, testbed, testbed_with_focus, until_moderator, Client};
use omni_jitsi_core::{
    ConferenceEvent, Error, RecordingMode, RecordingRequest, RecordingState, RecordingStatus,
};
use omni_jitsi_testbed::{FocusBehaviour, Testbed};

/// Ann joins first (the focus makes her moderator), then Bob.
async fn ann_and_bob(tb: &Testbed, room: &str) -> Vec<Client> {
    let mut ann = join(options(tb, room, "Ann")).await;
    until_moderator(&mut ann).await;
    let bob = join(options(tb, room, "Bob")).await;
    ann.expect_joined_participant("Bob").await;
    vec![ann, bob]
}

async fn recording_status(client: &mut Client, status: RecordingStatus) -> RecordingState {
    client
        .expect("recording_status_changed", |e| match e {
            ConferenceEvent::RecordingStatusChanged { recording } if recording.status == status => {
                Some(recording.clone())
            }
            _ => None,
        })
        .await
}

#[tokio::test]
async fn without_a_jibri_a_recording_is_refused_with_a_typed_error() {
    let tb = testbed().await;
    let clients = ann_and_bob(&tb, "rec-none").await;
    assert!(matches!(
        clients[0]
            .meeting
            .start_recording(RecordingRequest::File)
            .await,
        Err(Error::RecordingUnavailable(_))
    ));
    assert_eq!(
        clients[1]
            .meeting
            .start_recording(RecordingRequest::File)
            .await,
        Err(Error::NotModerator)
    );
    for c in clients {
        c.hang_up().await;
    }
}

#[tokio::test]
async fn a_moderator_starts_and_stops_a_recording_and_everyone_sees_the_status() {
    let tb = testbed_with_focus(FocusBehaviour {
        jibri: true,
        ..FocusBehaviour::default()
    })
    .await;
    let mut clients = ann_and_bob(&tb, "rec-jibri").await;
    let ann = clients[0].id();

    clients[0]
        .meeting
        .start_recording(RecordingRequest::File)
        .await
        .expect("the focus accepts a moderator's request");
    for client in clients.iter_mut() {
        recording_status(client, RecordingStatus::Pending).await;
        let on = recording_status(client, RecordingStatus::On).await;
        assert_eq!(on.mode, Some(RecordingMode::File));
        assert_eq!(on.initiator.as_ref(), Some(&ann));
        assert!(on.session_id.is_some());
    }
    assert!(matches!(
        clients[0]
            .meeting
            .start_recording(RecordingRequest::File)
            .await,
        Err(Error::Refused(_))
    ));

    clients[0].meeting.stop_recording().await.expect("stopped");
    for client in clients.iter_mut() {
        let off = recording_status(client, RecordingStatus::Off).await;
        assert_eq!(off.initiator.as_ref(), Some(&ann));
    }
    for c in clients {
        c.hang_up().await;
    }
}
