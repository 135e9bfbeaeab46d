//! How the SDK copes with the focus (Jicofo) being slow or gone.

mod common;

use std::time::Duration;

use common::*;
use omni_jitsi_core::{ConferenceEvent, Error, TerminationReason};
use omni_jitsi_testbed::FocusBehaviour;

#[tokio::test]
async fn a_focus_that_is_not_ready_yet_is_asked_again() {
    let tb = testbed_with_focus(FocusBehaviour {
        not_ready_replies: 2,
        ..FocusBehaviour::default()
    })
    .await;
    let ann = join(options(&tb, "meet-patience", "Ann")).await;
    assert_eq!(
        tb.conference_requests(),
        3,
        "two refusals with ready='false', then the request that got the room"
    );
    ann.hang_up().await;
}

#[tokio::test]
async fn a_silent_focus_times_out_with_a_typed_error() {
    let tb = testbed_with_focus(FocusBehaviour {
        silent: true,
        ..FocusBehaviour::default()
    })
    .await;
    let mut o = options(&tb, "meet-silence", "Ann");
    o.timeouts.focus = Duration::from_secs(2);
    let (result, mut events) = try_join(o).await;
    assert_eq!(result.err(), Some(Error::FocusTimeout));
    let mut names = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let ConferenceEvent::ConferenceTerminated { reason, .. } = &e {
            assert_eq!(*reason, TerminationReason::JoinFailed);
        }
        names.push(e.name());
    }
    assert_eq!(names.first(), Some(&"conference_will_join"));
    assert!(names.contains(&"conference_terminated"), "{names:?}");
}
