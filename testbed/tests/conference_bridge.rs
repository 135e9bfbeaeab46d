//! Conferences of three and more SDK participants through the testbed bridge, with the public
//! API only: everyone hears everyone's tone at its own frequency, the test pattern arrives intact
//! through the bridge, the dominant speaker follows the loudest, last-N 1 forwards one video,
//! endpoint messages cross the bridge channel, and media moves from P2P to the bridge when a
//! third participant joins and back when it leaves, without a long gap. Real Prosody, real Jingle
//! with the testbed focus, real UDP through the testbed SFU.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{join, join_all, options, pictures_of, testbed, Client, WAIT};
use omni_jitsi_core::media::audio::{Channels, FrameDuration, RemoteAudio, SAMPLE_RATE};
use omni_jitsi_core::media::signal::{dominant_frequency, psnr, rms, TestPattern, ToneGenerator};
use omni_jitsi_core::{ConferenceEvent, ReceiverConstraints};
use omni_jitsi_testbed::Testbed;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::{interval, Interval, MissedTickBehavior};

const FRAME: FrameDuration = FrameDuration::Ms20;
/// The test's audio device: 20 ms ticks. A clock, not a synchronisation sleep.
const TICK: Duration = Duration::from_millis(20);
/// Ticks allowed for every session to connect (ICE + DTLS) before every tone must be heard.
const MAX_TICKS: usize = 30_000 / 20;
/// A tone at amplitude 8000 has an RMS near 5660; silence and concealment stay far below.
const AUDIBLE_RMS: f64 = 500.0;
/// Frames in a row that count as steady audio, and that a frequency is measured over.
const STEADY: usize = 25;

fn frequency_of(i: usize) -> f64 {
    // Far apart enough that neighbours never blur in a 500 ms window.
    300.0 + 150.0 * i as f64
}

/// What one participant hears from each of the others, pulled like an audio callback.
struct Ears {
    sources: Vec<String>,
    audio: HashMap<String, RemoteAudio>,
    heard: HashMap<String, Vec<Vec<i16>>>,
}

impl Ears {
    fn new(sources: Vec<String>) -> Ears {
        Ears {
            sources,
            audio: HashMap::new(),
            heard: HashMap::new(),
        }
    }

    fn pull(&mut self, client: &Client) {
        for source in &self.sources {
            // Ask again every time: the handle changes when media moves between P2P and bridge.
            if let Some(a) = client.meeting.remote_audio(source) {
                self.audio.insert(source.clone(), a);
            }
            let samples = match self.audio.get(source) {
                Some(a) => a.pull(FRAME.samples_per_channel()).unwrap().samples,
                None => vec![0; FRAME.samples_per_channel()],
            };
            self.heard.entry(source.clone()).or_default().push(samples);
        }
    }

    fn steady(&self, source: &str) -> bool {
        self.heard.get(source).is_some_and(|h| {
            h.len() >= STEADY && h[h.len() - STEADY..].iter().all(|f| rms(f) > AUDIBLE_RMS)
        })
    }

    fn all_steady(&self) -> bool {
        self.sources.iter().all(|s| self.steady(s))
    }

    fn frequency(&self, source: &str) -> f64 {
        let h = &self.heard[source];
        dominant_frequency(&h[h.len() - STEADY..].concat(), SAMPLE_RATE)
    }

    /// The longest run of inaudible frames after `from` (a frame index).
    fn longest_gap_since(&self, source: &str, from: usize) -> usize {
        let mut longest = 0;
        let mut run = 0;
        for f in self.heard[source].iter().skip(from) {
            if rms(f) > AUDIBLE_RMS {
                run = 0;
            } else {
                run += 1;
                longest = longest.max(run);
            }
        }
        longest
    }
}

/// Every client sends its tone each tick and pulls what it hears.
struct Room {
    clients: Vec<Client>,
    tones: Vec<ToneGenerator>,
    ears: Vec<Ears>,
    clock: Interval,
    /// Kept alive as long as the room when the room started it.
    testbed: Option<Testbed>,
}

impl Room {
    fn new(clients: Vec<Client>, amplitudes: &[i16]) -> Room {
        let tones = (0..clients.len())
            .map(|i| ToneGenerator::new(frequency_of(i), amplitudes[i], Channels::Mono))
            .collect();
        let ears = clients
            .iter()
            .map(|me| {
                Ears::new(
                    clients
                        .iter()
                        .filter(|c| c.id() != me.id())
                        .map(|c| format!("{}-a0", c.id()))
                        .collect(),
                )
            })
            .collect();
        let mut clock = interval(TICK);
        clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Room {
            clients,
            tones,
            ears,
            clock,
            testbed: None,
        }
    }

    async fn tick(&mut self) {
        self.clock.tick().await;
        for (client, tone) in self.clients.iter().zip(&mut self.tones) {
            client
                .meeting
                .push_audio(&tone.next_frame(FRAME))
                .await
                .unwrap();
        }
        for (client, ears) in self.clients.iter().zip(&mut self.ears) {
            ears.pull(client);
        }
    }

    /// Ticks until everyone hears everyone steadily; returns how many ticks that took.
    async fn until_everyone_hears_everyone(&mut self) -> usize {
        let mut ticks = 0;
        while !self.ears.iter().all(Ears::all_steady) {
            if ticks >= MAX_TICKS {
                let missing: Vec<String> = self
                    .clients
                    .iter()
                    .zip(&self.ears)
                    .flat_map(|(c, e)| {
                        e.sources
                            .iter()
                            .filter(|s| !e.steady(s))
                            .map(move |s| format!("{} misses {s}", c.name))
                    })
                    .collect();
                panic!("no steady audio within {MAX_TICKS} frames: {missing:?}");
            }
            self.tick().await;
            ticks += 1;
        }
        ticks
    }

    fn assert_frequencies(&self) {
        for (me, ears) in self.clients.iter().zip(&self.ears) {
            for (i, other) in self.clients.iter().enumerate() {
                if other.id() == me.id() {
                    continue;
                }
                let heard = ears.frequency(&format!("{}-a0", other.id()));
                assert!(
                    (heard - frequency_of(i)).abs() <= 5.0,
                    "{} hears {} at {heard:.1} Hz, not {}",
                    me.name,
                    other.name,
                    frequency_of(i)
                );
            }
        }
    }

    /// Ticks (keeping audio flowing) until `client` sees the event `pred` picks.
    async fn tick_until<T>(
        &mut self,
        client: usize,
        what: &str,
        mut pred: impl FnMut(&ConferenceEvent) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            while let Ok(event) = self.clients[client].events.try_recv() {
                if let Some(t) = pred(&event) {
                    return t;
                }
                seen.push(event.name());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} never got {what}; saw {seen:?}",
                self.clients[client].name
            );
            self.tick().await;
        }
    }
}

impl Room {
    async fn hang_up(mut self) {
        for c in self.clients.drain(..) {
            c.hang_up().await;
        }
    }
}

/// Ann, Bob and Cat in `room`, sending tones at `amplitudes`, once everyone hears everyone.
async fn ann_bob_and_cat(room: &str, amplitudes: &[i16]) -> Room {
    let tb = testbed().await;
    let clients = join_all(&tb, room, &["Ann", "Bob", "Cat"]).await;
    let mut room = Room::new(clients, amplitudes);
    room.until_everyone_hears_everyone().await;
    room.testbed = Some(tb);
    room
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("P{i}")).collect()
}

async fn everyone_hears_everyone(n: usize) -> Room {
    let tb = testbed().await;
    let names = names(n);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let room_name = format!("bridge{n}");
    let mut clients = Vec::new();
    for name in &refs {
        clients.push(join(options(&tb, &room_name, name)).await);
    }
    let joined_last = Instant::now();
    for c in clients.iter_mut() {
        c.expect_joined_participants(&refs).await;
    }
    let mut room = Room::new(clients, &vec![8000; n]);
    room.until_everyone_hears_everyone().await;
    println!(
        "{n} participants: the last to join heard all {} others {} ms after joining",
        n - 1,
        joined_last.elapsed().as_millis()
    );
    room.assert_frequencies();
    room.testbed = Some(tb);
    room
}

/// Every participant sends its camera pattern; every one decodes every other's, each picture
/// matching the sent one (PSNR > 30 dB) and in order.
async fn everyone_sees_everyone(room: &mut Room) {
    const PICTURES: usize = 8;
    let pattern = TestPattern::new(160, 90);
    let mut receivers: Vec<_> = room
        .clients
        .iter()
        .map(|c| c.meeting.remote_video())
        .collect();
    let cameras: Vec<String> = room
        .clients
        .iter()
        .map(|c| format!("{}-v0", c.id()))
        .collect();
    // decoded[receiver][source name] = picture indices in arrival order
    let mut decoded: Vec<HashMap<String, Vec<u32>>> = vec![HashMap::new(); room.clients.len()];
    let complete = |decoded: &[HashMap<String, Vec<u32>>]| {
        decoded.iter().enumerate().all(|(r, got)| {
            cameras
                .iter()
                .enumerate()
                .filter(|(s, _)| *s != r)
                .all(|(_, camera)| got.get(camera).is_some_and(|v| v.len() >= PICTURES))
        })
    };
    let mut tick: u32 = 0;
    while !complete(&decoded) {
        assert!(
            (tick as usize) < MAX_TICKS,
            "pictures decoded per receiver: {:?}",
            decoded
                .iter()
                .map(|d| d.values().map(Vec::len).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        room.tick().await;
        // 12.5 pictures a second each on the 50 Hz audio clock: enough to prove the path.
        if tick.is_multiple_of(4) {
            for c in &room.clients {
                c.meeting
                    .push_video(&pattern.frame(tick / 4))
                    .await
                    .unwrap();
            }
        }
        tick += 1;
        for (rx, got) in receivers.iter_mut().zip(&mut decoded) {
            loop {
                match rx.try_recv() {
                    Ok(p) => {
                        let n = pattern
                            .read_index(&p.frame)
                            .expect("a decoded picture without a readable index");
                        let score = psnr(&pattern.frame(n), &p.frame).expect("same size");
                        assert!(score > 30.0, "{} picture {n}: {score:.1} dB", p.source_name);
                        got.entry(p.source_name.clone()).or_default().push(n);
                    }
                    Err(TryRecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        }
    }
    for got in decoded.iter().flat_map(|d| d.values()) {
        assert!(got.windows(2).all(|w| w[1] > w[0]), "out of order: {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_participants_hear_and_see_each_other_through_the_bridge() {
    let mut room = everyone_hears_everyone(3).await;
    everyone_sees_everyone(&mut room).await;
    room.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_participants_hear_and_see_each_other_through_the_bridge() {
    let mut room = everyone_hears_everyone(5).await;
    everyone_sees_everyone(&mut room).await;
    room.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loudest_is_dominant_last_n_limits_video_and_endpoint_messages_cross() {
    // Cat is far louder than the others.
    let mut room = ann_bob_and_cat("dominant", &[1500, 1500, 12000]).await;
    let cat = room.clients[2].id();
    for i in 0..2 {
        let wanted = cat.clone();
        room.tick_until(i, "dominant_speaker_changed to Cat", |e| match e {
            ConferenceEvent::DominantSpeakerChanged { endpoint_id } if *endpoint_id == wanted => {
                Some(())
            }
            _ => None,
        })
        .await;
    }

    // Ann asks for one video; Bob and Cat both send theirs.
    room.clients[0]
        .meeting
        .set_receiver_constraints(ReceiverConstraints {
            last_n: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let forwarded = room
        .tick_until(
            0,
            "forwarded_sources_changed with one source",
            |e| match e {
                ConferenceEvent::ForwardedSourcesChanged { sources } if sources.len() == 1 => {
                    Some(sources[0].clone())
                }
                _ => None,
            },
        )
        .await;
    let mut pictures = room.clients[0].meeting.remote_video();
    let pattern = TestPattern::new(160, 90);
    let mut from: HashMap<String, usize> = HashMap::new();
    let mut ticks: u32 = 0;
    while from.values().sum::<usize>() < 20 {
        assert!(ticks < MAX_TICKS as u32, "Ann decoded only {from:?}");
        room.tick().await;
        if ticks.is_multiple_of(2) {
            for sender in 1..3 {
                room.clients[sender]
                    .meeting
                    .push_video(&pattern.frame(ticks / 2))
                    .await
                    .unwrap();
            }
        }
        ticks += 1;
        while let Ok(p) = pictures.try_recv() {
            *from.entry(p.source_name).or_default() += 1;
        }
    }
    assert_eq!(
        from.keys().collect::<Vec<_>>(),
        vec![&forwarded],
        "with last-N 1 Ann decodes one source only"
    );

    // An endpoint message from Bob to Ann, over the bridge channel.
    let ann = room.clients[0].id();
    room.clients[1]
        .meeting
        .send_endpoint_message(Some(ann), "{\"type\":\"hello\",\"n\":1}")
        .await
        .unwrap();
    let bob = room.clients[1].id();
    let json = room
        .tick_until(0, "endpoint_message_received from Bob", |e| match e {
            ConferenceEvent::EndpointMessageReceived { from, json } if *from == bob => {
                Some(json.clone())
            }
            _ => None,
        })
        .await;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["type"], "hello");
    room.hang_up().await;
}

impl Room {
    /// How much each participant has heard of its first source so far.
    fn marks(&self) -> Vec<usize> {
        self.ears
            .iter()
            .map(|e| e.heard[&e.sources[0]].len())
            .collect()
    }

    /// After media moved (P2P `active` or not): everyone hears the right tones again, and the
    /// longest silence since `marks` stays under 2 s.
    async fn after_switch(&mut self, what: &str, marks: Vec<usize>, active: bool) {
        for client in 0..self.clients.len() {
            p2p_status(self, client, active).await;
        }
        for _ in 0..STEADY {
            self.tick().await;
        }
        self.until_everyone_hears_everyone().await;
        self.assert_frequencies();
        let gaps: Vec<usize> = self
            .ears
            .iter()
            .zip(&marks)
            .map(|(e, from)| e.longest_gap_since(&e.sources[0], *from))
            .collect();
        println!(
            "{what}: longest silence at {}",
            gaps.iter()
                .zip(&self.clients)
                .map(|(g, c)| format!("{} {} ms", c.name, g * 20))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert!(
            gaps.iter().all(|g| *g * 20 <= 2000),
            "{what}: a gap longer than 2 s: {gaps:?} frames"
        );
    }
}

async fn p2p_status(room: &mut Room, client: usize, active: bool) {
    room.tick_until(
        client,
        &format!("p2p_status_changed {active}"),
        |e| match e {
            ConferenceEvent::P2pStatusChanged { active: a } if *a == active => Some(()),
            _ => None,
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_moves_to_the_bridge_for_three_and_back_to_p2p_for_two() {
    let tb = testbed().await;
    let with_fast_return = |name: &str| {
        let mut o = options(&tb, "switch", name);
        // lib-jitsi-meet waits backToP2PDelay (5 s) before going back to P2P; 1 s keeps the test
        // short without changing what happens.
        o.config_overrides
            .insert("p2p.backToP2PDelay".into(), "1".into());
        o
    };
    let mut ann = join(with_fast_return("Ann")).await;
    let mut bob = join(with_fast_return("Bob")).await;
    ann.expect_joined_participant("Bob").await;
    bob.expect_joined_participant("Ann").await;
    let mut room = Room::new(vec![ann, bob], &[8000, 8000]);
    p2p_status(&mut room, 0, true).await;
    p2p_status(&mut room, 1, true).await;
    room.until_everyone_hears_everyone().await;
    room.assert_frequencies();

    // Cat joins: P2P ends and Ann and Bob keep hearing each other through the bridge.
    let before = room.marks();
    let cat = join(with_fast_return("Cat")).await;
    room.after_switch("P2P -> bridge", before, false).await;

    // Cat leaves: back to P2P after backToP2PDelay, still hearing each other.
    let before = room.marks();
    cat.hang_up().await;
    room.after_switch("bridge -> P2P", before, true).await;
    room.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_share_reaches_the_others_beside_the_camera() {
    let mut room = ann_bob_and_cat("screens", &[8000, 8000, 8000]).await;

    let ann = room.clients[0].id();
    room.clients[0].meeting.start_screen_share().await.unwrap();
    for i in 1..3 {
        let wanted = ann.clone();
        room.tick_until(i, "screen_share_toggled on for Ann", |e| match e {
            ConferenceEvent::ScreenShareToggled {
                endpoint_id,
                on: true,
            } if *endpoint_id == wanted => Some(()),
            _ => None,
        })
        .await;
    }

    // Ann's camera (320x180) and screen (640x360) patterns both reach Bob intact.
    let (camera, screen) = (format!("{ann}-v0"), format!("{ann}-v1"));
    let camera_pattern = TestPattern::new(320, 180);
    let screen_pattern = TestPattern::new(640, 360);
    let mut pictures = room.clients[1].meeting.remote_video();
    let mut decoded: HashMap<String, Vec<u32>> = HashMap::new();
    let mut index: u32 = 0;
    let enough = |d: &HashMap<String, Vec<u32>>| {
        [&camera, &screen]
            .iter()
            .all(|s| d.get(*s).is_some_and(|v| v.len() >= 10))
    };
    while !enough(&decoded) {
        assert!(
            (index as usize) < MAX_TICKS,
            "Bob decoded {:?}",
            decoded
                .iter()
                .map(|(k, v)| (k, v.len()))
                .collect::<Vec<_>>()
        );
        room.tick().await;
        if index.is_multiple_of(2) {
            let ann = &room.clients[0].meeting;
            ann.push_video(&camera_pattern.frame(index / 2))
                .await
                .unwrap();
            ann.push_screen_frame(&screen_pattern.frame(index / 2))
                .await
                .unwrap();
        }
        index += 1;
        loop {
            match pictures.try_recv() {
                Ok(p) => {
                    let pattern = if p.source_name == screen {
                        &screen_pattern
                    } else if p.source_name == camera {
                        &camera_pattern
                    } else {
                        continue;
                    };
                    let n = pattern
                        .read_index(&p.frame)
                        .expect("a decoded picture without a readable index");
                    let score = psnr(&pattern.frame(n), &p.frame).expect("same size");
                    assert!(score > 30.0, "{} picture {n}: {score:.1} dB", p.source_name);
                    decoded.entry(p.source_name.clone()).or_default().push(n);
                }
                Err(TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    }

    room.clients[0].meeting.stop_screen_share().await.unwrap();
    for i in 1..3 {
        let wanted = ann.clone();
        room.tick_until(i, "screen_share_toggled off for Ann", |e| match e {
            ConferenceEvent::ScreenShareToggled {
                endpoint_id,
                on: false,
            } if *endpoint_id == wanted => Some(()),
            _ => None,
        })
        .await;
    }
    room.hang_up().await;
}

/// Video frames the client's active session has encoded and sent so far (camera only: nobody
/// shares a screen here).
async fn camera_frames_sent(client: &Client) -> u64 {
    let stats = client.meeting.media_stats().await.expect("a media session");
    stats
        .sent
        .iter()
        .filter(|s| s.kind == omni_jitsi_core::media::session::MediaKind::Video)
        .map(|s| s.frames)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_nobody_watches_the_camera_stops_sending_and_resumes_when_wanted() {
    let mut room = ann_bob_and_cat("watchers", &[8000, 8000, 8000]).await;
    let pattern = TestPattern::new(160, 90);
    let mut index: u32 = 0;
    let camera = format!("{}-v0", room.clients[0].id());

    // While Bob watches, Ann's camera goes out and Bob decodes it.
    let before = camera_frames_sent(&room.clients[0]).await;
    let mut pictures = room.clients[1].meeting.remote_video();
    let decoded = decode_ann_at_bob(&mut room, &mut pictures, &pattern, &mut index, &camera).await;
    let flowing = camera_frames_sent(&room.clients[0]).await;
    assert!(
        flowing > before,
        "Ann's camera sent nothing while Bob decoded {decoded} of her pictures"
    );

    // Bob and Cat now want no video at all.
    for watcher in 1..3 {
        room.clients[watcher]
            .meeting
            .set_receiver_constraints(ReceiverConstraints {
                last_n: Some(0),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    // Frames stop going out: two reads 20 pictures apart see the same count.
    let mut last = camera_frames_sent(&room.clients[0]).await;
    loop {
        assert!(
            (index as usize) < MAX_TICKS,
            "Ann kept sending video nobody watches"
        );
        for _ in 0..20 {
            room.tick().await;
            room.clients[0]
                .meeting
                .push_video(&pattern.frame(index))
                .await
                .unwrap();
            index += 1;
        }
        let now = camera_frames_sent(&room.clients[0]).await;
        if now == last {
            break;
        }
        last = now;
    }

    // Bob wants video again: Ann's camera resumes and Bob decodes it.
    room.clients[1]
        .meeting
        .set_receiver_constraints(ReceiverConstraints {
            last_n: Some(-1),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut pictures = room.clients[1].meeting.remote_video();
    decode_ann_at_bob(&mut room, &mut pictures, &pattern, &mut index, &camera).await;
    assert!(camera_frames_sent(&room.clients[0]).await > last);
    room.hang_up().await;
}

/// Ann sends her camera each tick until Bob has decoded 5 of her pictures; returns how many.
async fn decode_ann_at_bob(
    room: &mut Room,
    pictures: &mut tokio::sync::broadcast::Receiver<omni_jitsi_core::RemoteVideoFrame>,
    pattern: &TestPattern,
    index: &mut u32,
    camera: &str,
) -> usize {
    let mut decoded = 0;
    let mut ticks = 0;
    while decoded < 5 {
        assert!(
            ticks < MAX_TICKS,
            "Bob decoded {decoded} of Ann's pictures in {ticks} frames"
        );
        room.tick().await;
        room.clients[0]
            .meeting
            .push_video(&pattern.frame(*index))
            .await
            .unwrap();
        *index += 1;
        ticks += 1;
        decoded += pictures_of(pictures, camera);
    }
    decoded
}
