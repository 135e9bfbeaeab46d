//! User stories of the signalling core, against real Prosody and the testbed focus.

mod common;

use std::time::Duration;

use common::*;
use omni_jitsi_core::{
    ConferenceEvent, EndpointId, Error, RecordingRequest, RecordingStatus, Role, TerminationReason,
};
use omni_jitsi_testbed::token::{now_secs, Claims, TokenAuth};
use omni_jitsi_testbed::{FocusBehaviour, TestbedOptions};

#[tokio::test]
async fn two_participants_see_each_others_name_email_and_avatar() {
    let tb = testbed().await;
    let mut ann = join(options(&tb, "meet-two", "Ann")).await;
    let mut bob = join(options(&tb, "meet-two", "Bob")).await;

    let seen_by_ann = ann.expect_joined_participant("Bob").await;
    assert_eq!(seen_by_ann.endpoint_id, bob.id());
    assert_eq!(seen_by_ann.email.as_deref(), Some("bob@example.org"));
    assert_eq!(
        seen_by_ann.avatar_url.as_deref(),
        Some("https://example.org/bob.png")
    );
    let seen_by_bob = bob.expect_joined_participant("Ann").await;
    assert_eq!(seen_by_bob.email.as_deref(), Some("ann@example.org"));
    assert_eq!(
        seen_by_bob.role,
        Role::Moderator,
        "the focus makes the first participant moderator"
    );

    assert_eq!(
        ann.meeting.participants().len(),
        1,
        "the focus is not a participant"
    );
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test]
async fn five_participants_all_see_each_other() {
    let tb = testbed().await;
    let names = ["P1", "P2", "P3", "P4", "P5"];
    let clients = join_all(&tb, "meet-five", &names).await;
    for c in &clients {
        let mut seen: Vec<String> = c
            .meeting
            .participants()
            .into_iter()
            .filter_map(|p| p.display_name)
            .collect();
        seen.sort();
        let expected: Vec<String> = names
            .iter()
            .filter(|n| **n != c.name)
            .map(|n| n.to_string())
            .collect();
        assert_eq!(seen, expected, "{}'s participant list", c.name);
    }
    for c in clients {
        c.hang_up().await;
    }
}

#[tokio::test]
async fn room_and_private_chat_arrive_exactly_once_with_the_sender() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "meet-chat", &["Ann", "Bob", "Cid"]).await;
    let bob_id = clients[1].id();
    let ann_id = clients[0].id();

    clients[0]
        .meeting
        .send_chat("hello room", None)
        .await
        .unwrap();
    clients[0]
        .meeting
        .send_chat("for bob only", Some(&bob_id))
        .await
        .unwrap();
    clients[0].meeting.send_chat("end", None).await.unwrap();

    let bob_got = clients[1].chats_until("end").await;
    assert_eq!(bob_got.len(), 2, "{bob_got:?}");
    assert_eq!(bob_got[0].text, "hello room");
    assert!(!bob_got[0].private);
    assert_eq!(bob_got[0].from, ann_id);
    assert_eq!(bob_got[0].from_name.as_deref(), Some("Ann"));
    assert_eq!(bob_got[1].text, "for bob only");
    assert!(bob_got[1].private);

    let cid_got = clients[2].chats_until("end").await;
    let texts: Vec<&str> = cid_got.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["hello room"],
        "Cid must not see the private message"
    );

    // And back: Bob answers Ann privately.
    clients[1]
        .meeting
        .send_chat("hi ann", Some(&ann_id))
        .await
        .unwrap();
    clients[1].meeting.send_chat("end", None).await.unwrap();
    let ann_got = clients[0].chats_until("end").await;
    assert_eq!(ann_got.len(), 1);
    assert!(ann_got[0].private && ann_got[0].text == "hi ann" && ann_got[0].from == bob_id);

    for c in clients {
        c.hang_up().await;
    }
}

#[tokio::test]
async fn mute_and_raised_hand_propagate_to_others() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "meet-mute", &["Ann", "Bob"]).await;
    let ann_id = clients[0].id();

    clients[0].meeting.set_audio_muted(true).await.unwrap();
    clients[0]
        .expect("own audio_muted_changed", |e| {
            matches!(e, ConferenceEvent::AudioMutedChanged { muted: true }).then_some(())
        })
        .await;
    let p = clients[1]
        .expect("Ann audio muted", |e| match e {
            ConferenceEvent::ParticipantUpdated { participant }
                if participant.endpoint_id == ann_id && participant.audio_muted =>
            {
                Some(participant.clone())
            }
            _ => None,
        })
        .await;
    assert!(!p.video_muted);

    clients[0].meeting.set_video_muted(true).await.unwrap();
    clients[1]
        .expect("Ann video muted", |e| match e {
            ConferenceEvent::ParticipantUpdated { participant } if participant.video_muted => {
                Some(())
            }
            _ => None,
        })
        .await;

    clients[0].meeting.set_hand_raised(true).await.unwrap();
    clients[1]
        .expect("Ann's hand up", |e| match e {
            ConferenceEvent::ParticipantUpdated { participant }
                if participant.hand_raised_at.is_some() =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
    clients[0].meeting.set_hand_raised(false).await.unwrap();
    clients[1]
        .expect("Ann's hand down", |e| match e {
            ConferenceEvent::ParticipantUpdated { participant }
                if participant.hand_raised_at.is_none() =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
    for c in clients {
        c.hang_up().await;
    }
}

#[tokio::test]
async fn leaving_is_seen_by_the_others_and_ends_the_meeting() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "meet-leave", &["Ann", "Bob"]).await;
    let bob = clients.pop().unwrap();
    let bob_id = bob.id();
    bob.hang_up().await;
    let left = clients[0]
        .expect("participant_left Bob", |e| match e {
            ConferenceEvent::ParticipantLeft {
                endpoint_id,
                display_name,
            } => Some((endpoint_id.clone(), display_name.clone())),
            _ => None,
        })
        .await;
    assert_eq!(left, (bob_id, Some("Bob".into())));
    assert!(clients[0].meeting.participants().is_empty());

    let ann = clients.pop().unwrap();
    let handle = ann.meeting.clone();
    ann.hang_up().await;
    assert_eq!(
        handle.send_chat("anyone?", None).await,
        Err(Error::MeetingEnded)
    );
}

#[tokio::test]
async fn a_locked_room_needs_the_right_password() {
    let tb = testbed().await;
    let mut ann = join(options(&tb, "meet-locked", "Ann")).await;
    until_moderator(&mut ann).await;
    ann.meeting.set_room_password(Some("s3cret")).await.unwrap();

    let (result, _) = try_join(options(&tb, "meet-locked", "Bob")).await;
    assert_eq!(result.err(), Some(Error::PasswordRequired));

    let mut wrong = options(&tb, "meet-locked", "Bob");
    wrong.password = Some("guess".into());
    let (result, mut events) = try_join(wrong).await;
    assert_eq!(result.err(), Some(Error::WrongPassword));
    let mut terminated = None;
    while let Ok(e) = events.try_recv() {
        if let ConferenceEvent::ConferenceTerminated { reason, error, .. } = e {
            terminated = Some((reason, error));
        }
    }
    assert_eq!(
        terminated,
        Some((TerminationReason::JoinFailed, Some("wrong_password".into())))
    );

    let mut right = options(&tb, "meet-locked", "Bob");
    right.password = Some("s3cret".into());
    let bob = join(right).await;
    ann.expect_joined_participant("Bob").await;
    bob.hang_up().await;
    ann.hang_up().await;
}

#[tokio::test]
async fn a_room_with_a_lobby_refuses_newcomers_with_a_lobby_error() {
    let tb = testbed().await;
    let mut ann = join(options(&tb, "meet-lobby", "Ann")).await;
    until_moderator(&mut ann).await;
    ann.meeting.set_lobby_enabled(true).await.unwrap();

    let (result, mut events) = try_join(options(&tb, "meet-lobby", "Bob")).await;
    assert!(
        matches!(result, Err(Error::LobbyRequired { .. })),
        "{result:?}"
    );
    let mut lobby_event = false;
    while let Ok(e) = events.try_recv() {
        lobby_event |= matches!(e, ConferenceEvent::LobbyEntered { .. });
    }
    assert!(lobby_event, "the lobby state was surfaced as an event");
    ann.hang_up().await;
}

#[tokio::test]
async fn a_taken_nickname_is_a_conflict() {
    let tb = testbed().await;
    let ann = join(options(&tb, "meet-nick", "Ann")).await;
    let mut twin = options(&tb, "meet-nick", "Twin");
    twin.endpoint_id = Some(ann.id());
    let (result, _) = try_join(twin).await;
    assert_eq!(result.err(), Some(Error::NicknameConflict));
    ann.hang_up().await;
}

#[tokio::test]
async fn bad_servers_and_rooms_are_typed_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut o = omni_jitsi_core::MeetingOptions::new(format!("http://127.0.0.1:{port}"), "room");
    o.timeouts.connect = Duration::from_secs(5);
    let (result, _) = try_join(o).await;
    assert!(
        matches!(result, Err(Error::ServerUnreachable { .. })),
        "{result:?}"
    );

    let (result, _) = try_join(omni_jitsi_core::MeetingOptions::new(
        "https://meet.example",
        "my room",
    ))
    .await;
    assert!(
        matches!(result, Err(Error::InvalidRoomName(_))),
        "{result:?}"
    );

    let (result, _) = try_join(omni_jitsi_core::MeetingOptions::new("gopher://x", "room")).await;
    assert!(
        matches!(result, Err(Error::InvalidServerUrl { .. })),
        "{result:?}"
    );
}

fn token_testbed_options(auth: &TokenAuth) -> TestbedOptions {
    TestbedOptions {
        token_auth: Some(auth.clone()),
        ..TestbedOptions::default()
    }
}

fn claims(room: &str, valid_for_secs: i64) -> Claims {
    Claims {
        room: Some(room.into()),
        sub: "meet.test".into(),
        aud: "jitsi".into(),
        exp: (now_secs() as i64 + valid_for_secs).max(0) as u64,
        name: None,
    }
}

/// A deployment with token authentication (jitsi's mod_auth_token and mod_token_verification, as
/// the testbed's Prosody modules behave): a valid token joins, anything else is `not_authorized`
/// with the server's reason, and nothing is joined.
#[tokio::test]
async fn a_token_deployment_admits_a_valid_token_and_refuses_the_rest() {
    let auth = TokenAuth::random();
    let tb = testbed_with(token_testbed_options(&auth)).await;
    let attempt = |token: Option<String>| {
        let mut o = options(&tb, "meet-token", "Ann");
        o.token = token;
        o
    };
    let refusals = [
        ("no token", None, "token required"),
        (
            "a forged signature",
            Some(auth.forged(&claims("meet-token", 600))),
            "invalid token",
        ),
        (
            "an expired token",
            Some(auth.token(&claims("meet-token", -60))),
            "token expired",
        ),
        (
            "a token for another room",
            Some(auth.token(&claims("another-room", 600))),
            "Room and token mismatched",
        ),
        (
            "a token without a room claim",
            Some(auth.token(&Claims {
                room: None,
                ..claims("meet-token", 600)
            })),
            "'room' claim is missing",
        ),
    ];
    for (what, token, reason) in refusals {
        let (result, _) = try_join(attempt(token)).await;
        match result {
            Err(Error::NotAuthorized(message)) => {
                assert!(message.contains(reason), "{what}: {message}")
            }
            other => panic!("{what}: expected not_authorized, got {:?}", other.err()),
        }
    }
    let ann = join(attempt(Some(auth.token(&claims("meet-token", 600))))).await;
    let mut any_room = claims("*", 600);
    any_room.name = Some("Bob".into());
    let mut bob_options = options(&tb, "meet-token", "Bob");
    bob_options.token = Some(auth.token(&any_room));
    let bob = join(bob_options).await;
    ann.hang_up().await;
    bob.hang_up().await;
}

/// A real token, a room password and a stream key used for real (joining a token deployment,
/// locking the room, a wrong password, a live stream, a dropped socket resumed with the token in
/// its URL) never appear in any log
/// record at any level from any crate, nor in an event or an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_and_a_room_password_never_show_in_logs_events_or_errors() {
    let auth = TokenAuth::random();
    let tb = testbed_with(TestbedOptions {
        focus: FocusBehaviour {
            jibri: true,
            ..FocusBehaviour::default()
        },
        ..token_testbed_options(&auth)
    })
    .await;
    let nonce = format!("{:016x}", rand_nonce());
    let mut token_claims = claims("meet-secrets", 600);
    token_claims.name = Some(format!("NAME{nonce}"));
    let token = auth.token(&token_claims);
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let password = format!("PASSWORD{nonce}");
    let stream_key = format!("STREAMKEY{nonce}");
    let secrets = [
        token.as_str(),
        signed,
        signature,
        password.as_str(),
        stream_key.as_str(),
        nonce.as_str(),
    ];
    let capture = capture_logs();
    let mut errors = Vec::new();

    let with_token = |name: &str| {
        let mut o = options(&tb, "meet-secrets", name);
        o.token = Some(token.clone());
        o
    };
    let mut ann = join(with_token("Ann")).await;
    until_moderator(&mut ann).await;
    ann.meeting
        .set_room_password(Some(&password))
        .await
        .unwrap();
    ann.meeting
        .start_recording(RecordingRequest::Stream {
            stream_key: stream_key.clone(),
            broadcast_id: None,
        })
        .await
        .unwrap();
    ann.expect("the live stream on", |e| match e {
        ConferenceEvent::RecordingStatusChanged { recording }
            if recording.status == RecordingStatus::On =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    ann.meeting.stop_recording().await.unwrap();

    let mut wrong = with_token("Eve");
    wrong.password = Some(format!("{password}x"));
    let (result, mut eve_events) = try_join(wrong).await;
    let err = result.expect_err("a wrong password is refused");
    assert_eq!(err, Error::WrongPassword);
    errors.push(err.to_string());
    let mut other_events = Vec::new();
    while let Ok(e) = eve_events.try_recv() {
        other_events.push(e);
    }

    // Bob joins through a relay that drops his socket: the resumption URL carries the token too.
    let relay = relay_to(&tb).await;
    let mut bob_options = options_via(&tb, &relay, "meet-secrets", "Bob");
    bob_options.token = Some(token.clone());
    bob_options.password = Some(password.clone());
    let mut bob = join(bob_options).await;
    ann.expect_joined_participant("Bob").await;
    relay.cut();
    bob.reconnects().await;
    bob.meeting.send_chat("still here", None).await.unwrap();
    ann.chats_until("still here").await;

    let mut clients = vec![ann, bob];
    for c in &mut clients {
        errors.extend(
            c.meeting
                .send_chat("to nobody", Some(&EndpointId::new("nobody00")))
                .await
                .err()
                .map(|e| e.to_string()),
        );
    }
    let mut events = other_events;
    for mut c in clients {
        c.meeting.hang_up().await.expect("hang up");
        c.expect("conference_terminated", |e| {
            matches!(e, ConferenceEvent::ConferenceTerminated { .. }).then_some(())
        })
        .await;
        events.append(&mut c.history);
        while let Ok(e) = c.events.try_recv() {
            events.push(e);
        }
    }
    let logged = capture.finish();

    assert!(
        logged.iter().any(|l| l.starts_with("DEBUG")),
        "the capture saw every level the SDK logs at ({} lines)",
        logged.len()
    );
    assert!(events.len() > 10, "{} events", events.len());
    for secret in secrets {
        for line in &logged {
            assert!(!line.contains(secret), "logged: {line}");
        }
        for e in &events {
            let json = serde_json::to_string(e).unwrap();
            assert!(!json.contains(secret), "in an event: {json}");
            let debug = format!("{e:?}");
            assert!(!debug.contains(secret), "in an event: {debug}");
        }
        for e in &errors {
            assert!(!e.contains(secret), "in an error: {e}");
        }
    }
}

fn rand_nonce() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[tokio::test]
async fn endpoint_ids_are_unique_per_join() {
    let tb = testbed().await;
    let clients = join_all(&tb, "meet-ids", &["Ann", "Bob"]).await;
    assert_ne!(clients[0].id(), clients[1].id());
    assert_ne!(clients[0].id(), EndpointId::new("focus"));
    for c in clients {
        c.hang_up().await;
    }
}
