//! Floods and giants from a hostile server or occupant stay bounded. Each scenario states its
//! bound in heap bytes, counted exactly by this binary's allocator, and in time only where a
//! hang or a quadratic blow-up is the failure: there it compares a big input with a small one,
//! so the figure holds on a loaded machine and in a debug build. The figures are printed
//! (`cargo test -p omni-jitsi-core --test resource_bounds -- --nocapture`) for the README.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use omni_jitsi_core::conference::media_command::LocalSsrcs;
use omni_jitsi_core::conference::p2p::P2pPolicy;
use omni_jitsi_core::conference::state::{Conference, ConferenceConfig, Output};
use omni_jitsi_core::focus::ConferenceRequest;
use omni_jitsi_core::jingle::{
    jingle_to_sdp, limits, parse_jingle, remote_sources, JingleError, OfferOptions, Peer,
};
use omni_jitsi_core::muc::presence::{LocalPresence, MAX_PROFILE_TEXT_BYTES};
use omni_jitsi_core::muc::roster::MAX_OCCUPANTS;
use omni_jitsi_core::transport::Policy;
use omni_jitsi_core::xml::{self, Element, StreamSplitter, XmlError, XmlLimits};
use omni_jitsi_core::{ConferenceEvent, EndpointId, Jid, Timeouts};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call goes to the system allocator unchanged; only the sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static HEAP: Counting = Counting;

/// Scenarios run one at a time, so each peak is that scenario's own.
static SERIAL: Mutex<()> = Mutex::new(());

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

struct Measured<T> {
    value: T,
    /// Highest heap use above the start, at any moment.
    peak: usize,
    /// Heap still held at the end (what `value` keeps, plus what the scenario left behind).
    retained: isize,
    elapsed: Duration,
}

/// The count is process-wide: the harness's main thread, reporting a finished test meanwhile,
/// can move it by some KiB, so small bounds keep that much slack.
fn measure<T>(f: impl FnOnce() -> T) -> Measured<T> {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let started = Instant::now();
    let value = f();
    let elapsed = started.elapsed();
    Measured {
        value,
        peak: PEAK.load(Ordering::Relaxed).saturating_sub(base),
        retained: CURRENT.load(Ordering::Relaxed) as isize - base as isize,
        elapsed,
    }
}

/// The fastest of three runs: the least disturbed by the other work on the machine.
fn fastest(mut run: impl FnMut() -> Duration) -> Duration {
    (0..3).map(|_| run()).min().expect("three runs")
}

fn mib(bytes: impl TryInto<i64>) -> String {
    let bytes = bytes.try_into().unwrap_or(i64::MAX);
    format!("{:.2} MiB", bytes as f64 / MIB as f64)
}

const ROOM: &str = "standup@conference.meet.test";
const ME: &str = "me000001";
const FOCUS: &str = "standup@conference.meet.test/focus";

fn el(xml: &str) -> Element {
    xml::parse(xml, &XmlLimits::default()).expect("well-formed stanza")
}

fn drain(c: &mut Conference) -> Vec<Output> {
    std::iter::from_fn(|| c.poll_output()).collect()
}

fn config() -> ConferenceConfig {
    let room = Jid::parse(ROOM).unwrap();
    ConferenceConfig {
        room: room.clone(),
        room_name: "standup".into(),
        focus: "focus.meet.test".into(),
        domain: "meet.test".into(),
        presence: LocalPresence {
            endpoint_id: EndpointId::new(ME),
            display_name: Some("Me".into()),
            email: None,
            avatar_url: None,
            stats_id: "Me-1".into(),
            audio_muted: false,
            video_muted: false,
            audio_only: false,
            hand_raised_at: None,
            hand_ever_raised: false,
            screen_sharing: false,
        },
        password: None,
        subject: None,
        request: ConferenceRequest {
            room,
            machine_uid: "m".into(),
            token: None,
            start_audio_muted: false,
            start_video_muted: false,
        },
        timeouts: Timeouts::default(),
        local_ssrcs: LocalSsrcs {
            audio: 2002,
            video: 4004,
            screen: 6006,
        },
        p2p: P2pPolicy::default(),
    }
}

fn occupant(nick: &str, inner: &str) -> Element {
    el(&format!(
        "<presence xmlns='jabber:client' from='{ROOM}/{nick}'>\
         <x xmlns='http://jabber.org/protocol/muc#user'>\
         <item jid='{nick}@meet.test/r' role='participant' affiliation='none'/></x>{inner}</presence>"
    ))
}

/// In the room, with the focus and two others (so no P2P).
fn in_the_room() -> Conference {
    let now = Instant::now();
    let mut c = Conference::new(config(), now);
    let out = drain(&mut c);
    let Some(Output::Send(request)) = out.first() else {
        panic!("no conference request: {out:?}")
    };
    let id = request.get_attr("id").unwrap().to_string();
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='result' id='{id}' from='focus.meet.test'>\
             <conference xmlns='http://jitsi.org/protocol/focus' ready='true' \
             focusjid='focus@auth.meet.test'/></iq>"
        )),
        now,
    );
    c.handle_stanza(
        &el(&format!(
            "<presence xmlns='jabber:client' from='{FOCUS}'>\
             <x xmlns='http://jabber.org/protocol/muc#user'>\
             <item jid='focus@auth.meet.test/focus' role='moderator' affiliation='owner'/></x></presence>"
        )),
        now,
    );
    c.handle_stanza(&occupant("a8f7g30b", ""), now);
    c.handle_stanza(&occupant("c3d4e5f6", ""), now);
    c.handle_stanza(
        &el(&format!(
            "<presence xmlns='jabber:client' from='{ROOM}/{ME}'>\
             <x xmlns='http://jabber.org/protocol/muc#user'>\
             <item jid='me@meet.test/r' role='participant' affiliation='none'/>\
             <status code='110'/></x></presence>"
        )),
        now,
    );
    let out = drain(&mut c);
    assert!(out.contains(&Output::Joined), "{out:?}");
    c
}

/// A lib-jitsi-meet occupant's presence, with each profile text as long as the roster keeps.
fn full_profile_presence(i: usize) -> Element {
    let text = |c: char| c.to_string().repeat(MAX_PROFILE_TEXT_BYTES);
    let nick = format!("{i:08x}");
    occupant(
        &nick,
        &format!(
            "<nick xmlns='http://jabber.org/protocol/nick'>{}</nick><email>{}</email>\
             <avatar-url>{}</avatar-url><stats-id>{}</stats-id>\
             <SourceInfo>{{\"{nick}-a0\":{{\"muted\":false}},\"{nick}-v0\":{{\"muted\":true}}}}</SourceInfo>",
            text('n'),
            text('e'),
            text('u'),
            text('s')
        ),
    )
}

/// Feeds `count` newcomers' presences as the driver does, draining after each; returns how many
/// joined and the most outputs one presence produced.
fn presence_flood(
    c: &mut Conference,
    count: usize,
    presence: impl Fn(usize) -> Element,
) -> (usize, usize) {
    let now = Instant::now();
    let (mut joined, mut most) = (0, 0);
    for i in 0..count {
        c.handle_stanza(&presence(i), now);
        let out = drain(c);
        most = most.max(out.len());
        joined += out
            .iter()
            .filter(|o| matches!(o, Output::Event(ConferenceEvent::ParticipantJoined { .. })))
            .count();
    }
    (joined, most)
}

#[test]
fn ten_thousand_occupants_fill_the_roster_to_its_cap_and_no_further() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = in_the_room();
    let flood = measure(|| presence_flood(&mut c, 10_000, full_profile_presence));
    let (joined, most) = flood.value;
    println!(
        "10,000 occupants (4 x 2 KiB profile texts each): {joined} joined, peak {}, retained {}, {:?}",
        mib(flood.peak),
        mib(flood.retained),
        flood.elapsed
    );
    // The two the fixture brought count towards the cap.
    assert_eq!(joined, MAX_OCCUPANTS - 2);
    assert_eq!(c.participants().len(), MAX_OCCUPANTS);
    assert!(most <= 2, "one presence produced {most} outputs");
    // Per kept member: four 2 KiB texts, a short nick and real JID, map nodes: 8.5 KiB measured.
    let bound = MAX_OCCUPANTS * 12 * KIB;
    assert!(
        flood.retained <= bound as isize,
        "retained {}",
        mib(flood.retained)
    );
    assert!(flood.peak <= bound + MIB, "peak {}", mib(flood.peak));
    assert!(!c.is_ended(), "the flood ended the meeting");
    // What the app's `participants()` copies at the cap; the driver once made this copy for
    // every presence, and now patches its list instead.
    let copy = measure(|| c.participants());
    println!(
        "the participant list at the cap: {} copied in {:?}",
        mib(copy.peak),
        copy.elapsed
    );
    assert!(copy.peak <= bound, "copy {}", mib(copy.peak));

    // Below the cap, presences cost the same each however many are in the room: a copy of the
    // roster per presence (as deciding P2P once did) makes 1000 cost 25 times 200.
    let small = fastest(|| {
        let mut c = in_the_room();
        measure(|| presence_flood(&mut c, 200, full_profile_presence)).elapsed
    });
    let large = fastest(|| {
        let mut c = in_the_room();
        measure(|| presence_flood(&mut c, 1000, full_profile_presence)).elapsed
    });
    println!("presences into the room: 200 in {small:?}, 1000 in {large:?}");
    assert!(large < small * 12, "200 in {small:?}, 1000 in {large:?}");
}

#[test]
fn a_ten_megabyte_stanza_is_refused_once_the_limit_is_buffered() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let limits = XmlLimits::default();
    let mut giant = b"<message xmlns='jabber:client'><body>".to_vec();
    giant.resize(10 * MIB, b'x');
    let mut splitter = StreamSplitter::new(limits);
    splitter
        .feed(b"<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>")
        .unwrap();
    let chunk = 16 * KIB;
    let run = measure(|| {
        let mut fed = 0;
        for piece in giant.chunks(chunk) {
            fed += piece.len();
            if let Err(e) = splitter.feed(piece) {
                return (fed, e);
            }
        }
        panic!("10 MiB were buffered without complaint");
    });
    let (fed, error) = run.value;
    println!(
        "10 MiB stanza in 16 KiB chunks: refused after {} KiB, peak {}, {:?}",
        fed / KIB,
        mib(run.peak),
        run.elapsed
    );
    assert!(matches!(error, XmlError::TooLarge(_)), "{error:?}");
    assert!(fed <= limits.max_bytes + chunk, "fed {fed} bytes");
    // The buffer may double once past the limit before it is refused.
    assert!(
        run.peak <= 2 * (limits.max_bytes + chunk),
        "peak {}",
        mib(run.peak)
    );
    // Debug builds take about 10 ms.
    assert!(run.elapsed < Duration::from_secs(2), "{:?}", run.elapsed);
}

/// A server that answers the WebSocket handshake, then sends one text message of `len` bytes
/// (a stanza of `x`s) written from a reused buffer, so that its own memory does not count,
/// followed by a small stanza if it gets that far.
async fn serve_one_message(listener: tokio::net::TcpListener, len: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut tcp, _) = listener.accept().await.unwrap();
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut chunk).await.unwrap();
        request.extend_from_slice(&chunk[..n]);
    }
    let request = String::from_utf8(request).unwrap();
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
    );
    let frame = |len: usize| {
        let mut header = vec![0x81, 127];
        header.extend_from_slice(&(len as u64).to_be_bytes());
        header
    };
    let head = b"<message xmlns='jabber:client'><body>";
    let tail = b"</body></message>";
    let mut send = async || -> std::io::Result<()> {
        tcp.write_all(answer.as_bytes()).await?;
        tcp.write_all(&frame(len)).await?;
        tcp.write_all(head).await?;
        let filler = [b'x'; 16 * 1024];
        let mut left = len - head.len() - tail.len();
        while left > 0 {
            let n = left.min(filler.len());
            tcp.write_all(&filler[..n]).await?;
            left -= n;
        }
        tcp.write_all(tail).await?;
        let small = b"<message xmlns='jabber:client'><body>after</body></message>";
        tcp.write_all(&frame(small.len())).await?;
        tcp.write_all(small).await
    };
    // The client may hang up halfway through: that is what it should do with a giant.
    let _ = send().await;
}

#[test]
fn a_giant_websocket_message_is_refused_without_buffering_it() {
    use omni_jitsi_core::transport::websocket::{Incoming, XmppSocket};
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (len, what) in [(600 * KIB, "600 KiB"), (10 * MIB, "10 MiB")] {
        let run = measure(|| {
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = url::Url::parse(&format!(
                    "ws://{}/xmpp-websocket",
                    listener.local_addr().unwrap()
                ))
                .unwrap();
                let server = tokio::spawn(serve_one_message(listener, len));
                let mut socket =
                    XmppSocket::connect(&url, Duration::from_secs(10), &Policy::default())
                        .await
                        .unwrap();
                let first = socket.recv().await;
                let then = match &first {
                    Incoming::Closed(_) => None,
                    _ => Some(socket.recv().await),
                };
                drop(socket);
                server.await.unwrap();
                (first, then)
            })
        });
        let describe = |i: &Incoming| match i {
            Incoming::Element(e) => format!("a <{}> stanza", e.name()),
            Incoming::Dropped(why) => format!("dropped: {why}"),
            Incoming::Closed(why) => format!("closed: {why}"),
        };
        let (first, then) = &run.value;
        println!(
            "a {what} WebSocket message: {}{}; peak {}, {:?}",
            describe(first),
            then.as_ref()
                .map(|t| format!(", then {}", describe(t)))
                .unwrap_or_default(),
            mib(run.peak),
            run.elapsed
        );
        if len < XmlLimits::default().max_bytes * 4 {
            // Relayed from an occupant, it costs that one stanza, not the connection.
            assert!(matches!(first, Incoming::Dropped(_)), "{}", describe(first));
            assert!(matches!(then, Some(Incoming::Element(_))));
            assert!(run.peak <= 4 * len, "peak {}", mib(run.peak));
        } else {
            // Only the server can send this much in one message: the connection goes (and the
            // driver reconnects) before any of it is buffered.
            assert!(matches!(first, Incoming::Closed(_)), "{}", describe(first));
            assert!(run.peak <= MIB, "peak {}", mib(run.peak));
        }
    }
}

#[test]
fn a_stanza_trickled_one_byte_per_read_is_split_in_linear_time() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let limits = XmlLimits::default();
    let body = "x".repeat(limits.max_bytes - 100);
    let stanza = format!("<message xmlns='jabber:client'><body>{body}</body></message>");
    let mut splitter = StreamSplitter::new(limits);
    splitter
        .feed(b"<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>")
        .unwrap();
    let run = measure(|| {
        let mut events = Vec::new();
        for byte in stanza.as_bytes().chunks(1) {
            events.extend(splitter.feed(byte).unwrap());
        }
        events
    });
    println!(
        "a {} KiB stanza fed one byte per read: split in {:?}, peak {}",
        stanza.len() / KIB,
        run.elapsed,
        mib(run.peak)
    );
    assert_eq!(run.value.len(), 1);
    // Rescanning the stanza on every read took 90 s in a debug build; now about 0.1 s.
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
}

#[test]
fn a_hundred_thousand_nested_elements_are_refused_without_recursion() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let depth = 100_000;
    let nested = "<a>".repeat(depth) + &"</a>".repeat(depth);
    let defaults = XmlLimits::default();
    // With the size limit lifted, the depth limit must still hold, early and without a stack.
    let roomy = XmlLimits {
        max_bytes: 16 * MIB,
        max_elements: 1_000_000,
        ..defaults
    };
    let dom = measure(|| xml::parse(&nested, &roomy));
    println!(
        "100,000 nested elements, DOM parser: {:?}, peak {}, {:?}",
        dom.value,
        mib(dom.peak),
        dom.elapsed
    );
    assert_eq!(dom.value, Err(XmlError::TooDeep(defaults.max_depth)));
    assert!(dom.peak <= 64 * KIB, "peak {}", mib(dom.peak));
    assert!(matches!(
        xml::parse(&nested, &defaults),
        Err(XmlError::TooLarge(_))
    ));

    let mut splitter = StreamSplitter::new(defaults);
    splitter.feed(b"<stream:stream xmlns:stream='s'>").unwrap();
    let split = measure(|| {
        nested
            .as_bytes()
            .chunks(16 * KIB)
            .find_map(|piece| splitter.feed(piece).err())
    });
    println!(
        "100,000 nested elements, stream splitter: {:?}, peak {}, {:?}",
        split.value,
        mib(split.peak),
        split.elapsed
    );
    assert!(
        matches!(split.value, Some(XmlError::TooLarge(_))),
        "{:?}",
        split.value
    );
    assert!(
        split.peak <= 2 * (defaults.max_bytes + 16 * KIB),
        "peak {}",
        mib(split.peak)
    );
    assert!(
        split.elapsed < Duration::from_secs(2),
        "{:?}",
        split.elapsed
    );
}

/// Jicofo's session-initiate fixture with `extra` inserted into the audio content's
/// description or transport.
fn offer_with(description_extra: &str, transport_extra: &str) -> String {
    let fixture = include_str!("../src/jingle/fixtures/jicofo-session-initiate.xml");
    let jingle = &fixture[fixture.find("<jingle").unwrap()..];
    let audio = jingle.find("media=\"audio\"").unwrap();
    let description_end = audio + jingle[audio..].find("</description>").unwrap();
    let transport_end = audio + jingle[audio..].find("</transport>").unwrap();
    assert!(description_end < transport_end);
    format!(
        "{}{description_extra}{}{transport_extra}{}",
        &jingle[..description_end],
        &jingle[description_end..transport_end],
        &jingle[transport_end..]
    )
}

fn candidates(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "<candidate component='1' foundation='{i}' generation='0' id='c{i}' network='0' \
                 port='{}' priority='2130706431' protocol='udp' type='host' ip='10.{}.{}.{}'/>",
                10_000 + i % 50_000,
                i / 65_536 % 256,
                i / 256 % 256,
                i % 256
            )
        })
        .collect()
}

fn sources(n: usize, first_ssrc: u32) -> String {
    (0..n)
        .map(|i| {
            let ssrc = first_ssrc + i as u32;
            let owner = format!("{:08x}", i);
            format!(
                "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='{ssrc}' name='{owner}-a0'>\
                 <ssrc-info xmlns='http://jitsi.org/jitmeet' owner='{owner}'/>\
                 <parameter name='msid' value='{owner}-audio-0 {owner}-track'/></source>"
            )
        })
        .collect()
}

/// Parsed past the XML limits, which refuse these stanzas first, to reach the Jingle ones.
fn jingle_element(xml: &str) -> Element {
    let roomy = XmlLimits {
        max_bytes: 64 * MIB,
        max_elements: 1_000_000,
        ..XmlLimits::default()
    };
    xml::parse(xml, &roomy).expect("well-formed")
}

#[test]
fn ten_thousand_candidates_or_ssrcs_are_refused_with_typed_errors() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (what, xml, limit) in [
        (
            "candidates",
            offer_with("", &candidates(10_000)),
            limits::MAX_CANDIDATES,
        ),
        (
            "sources",
            offer_with(&sources(10_000, 100_000), ""),
            limits::MAX_SOURCES,
        ),
    ] {
        let stanza = measure(|| xml::parse(&xml, &XmlLimits::default()));
        assert!(
            matches!(stanza.value, Err(XmlError::TooLarge(_))),
            "{what}: {:?}",
            stanza.value
        );
        let element = jingle_element(&xml);
        let jingle = measure(|| parse_jingle(&element));
        println!(
            "10,000 {what} ({} KiB): XML refused in {:?} (peak {}); Jingle refused in {:?} \
             (peak {}): {:?}",
            xml.len() / KIB,
            stanza.elapsed,
            mib(stanza.peak),
            jingle.elapsed,
            mib(jingle.peak),
            jingle.value.as_ref().err()
        );
        assert!(
            stanza.peak <= 64 * KIB,
            "{what}: XML peak {}",
            mib(stanza.peak)
        );
        assert!(
            matches!(&jingle.value, Err(JingleError::TooMany { limit: l, .. }) if *l == limit),
            "{what}: {:?}",
            jingle.value.as_ref().err()
        );
        assert!(
            jingle.peak <= 4 * MIB,
            "{what}: Jingle peak {}",
            mib(jingle.peak)
        );
    }

    // Within the limits, translating an offer to SDP costs the same per source at any size.
    let translate = |n: usize| {
        let element = jingle_element(&offer_with(&sources(n, 100_000), ""));
        fastest(|| {
            measure(|| {
                let jingle = parse_jingle(&element).unwrap();
                let sdp = jingle_to_sdp(
                    &jingle,
                    &OfferOptions {
                        peer: Peer::Bridge,
                        session_id: 1,
                    },
                )
                .unwrap();
                let named = remote_sources(&jingle.contents, None).unwrap();
                (sdp.to_string(), named)
            })
            .elapsed
        })
    };
    let (small, large) = (translate(200), translate(2000));
    println!("offer to SDP: 200 sources in {small:?}, 2000 in {large:?}");
    assert!(large < small * 25, "200 in {small:?}, 2000 in {large:?}");
}

fn jingle_iq(id: &str, jingle: &str) -> Element {
    jingle_element(&format!(
        "<iq xmlns='jabber:client' type='set' id='{id}' from='{FOCUS}' to='{ROOM}/{ME}'>{jingle}</iq>"
    ))
}

/// A source-add or source-remove of `count` microphones, one per participant, from `first`.
fn source_update(action: &str, first: usize, count: usize) -> Element {
    let sources: String = (first..first + count)
        .map(|i| {
            let owner = format!("{i:08x}");
            format!(
                "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='{}' name='{owner}-a0'>\
                 <ssrc-info xmlns='http://jitsi.org/jitmeet' owner='{owner}'/>\
                 <parameter name='msid' value='{owner}-audio-0 {owner}-track'/></source>",
                500_000 + i
            )
        })
        .collect();
    jingle_iq(
        &format!("{action}{first}"),
        &format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='{action}' sid='7kq3b0c8ufhg6'>\
             <content name='audio'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>\
             {sources}</description></content></jingle>"
        ),
    )
}

/// In a bridge session Jicofo offered; each stanza's outputs are drained as the driver does.
/// Returns how many renegotiations the stanzas caused; each stanza's handling time goes to
/// `times`, allocated by the caller so that it does not count as the session's memory.
fn bridge_storm(
    c: &mut Conference,
    stanzas: impl Iterator<Item = Element>,
    times: &mut Vec<Duration>,
) -> usize {
    let now = Instant::now();
    let mut renegotiations = 0;
    for stanza in stanzas {
        let started = Instant::now();
        c.handle_stanza(&stanza, now);
        let out = drain(c);
        times.push(started.elapsed());
        let acked = out
            .iter()
            .any(|o| matches!(o, Output::Send(iq) if iq.get_attr("type") == Some("result")));
        assert!(acked, "a source update was not acknowledged");
        renegotiations += out.iter().filter(|o| matches!(o, Output::Media(_))).count();
    }
    renegotiations
}

fn in_a_bridge_session() -> Conference {
    let mut c = in_the_room();
    let fixture = include_str!("../src/jingle/fixtures/jicofo-session-initiate.xml");
    let offer = jingle_iq("offer", &fixture[fixture.find("<jingle").unwrap()..]);
    c.handle_stanza(&offer, Instant::now());
    drain(&mut c);
    c
}

fn mean(times: &[Duration]) -> Duration {
    times.iter().sum::<Duration>() / times.len() as u32
}

#[test]
fn a_source_add_storm_stops_at_the_remote_source_limit_and_costs_little_there() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = in_a_bridge_session();
    // Jicofo batches a large room's sources (`source-signaling-delays`): 20 per stanza fill the
    // session up to its limit; then thousands of small ones arrive.
    let batch = 20;
    let batches = limits::MAX_REMOTE_SOURCES / batch + 1;
    let storm = 2000;
    let (mut fill_times, mut past_times) = (Vec::with_capacity(batches), Vec::with_capacity(storm));
    let run = measure(|| {
        let fill = (0..batches).map(|b| source_update("source-add", b * batch, batch));
        let filled = bridge_storm(&mut c, fill, &mut fill_times);
        let past = (0..storm).map(|i| source_update("source-add", 100_000 + i, 1));
        (filled, bridge_storm(&mut c, past, &mut past_times))
    });
    let (filled, past) = run.value;
    let at_limit = mean(&past_times[storm / 2..]);
    let last_taken = fill_times[filled - 1];
    println!(
        "source-adds: {filled} of {batches} batches of {batch} taken, then {storm} refused at \
         {at_limit:?} each (the last batch taken: {last_taken:?}); peak {}, retained {}, {:?}",
        mib(run.peak),
        mib(run.retained),
        run.elapsed
    );
    // The offer brought a few sources; the storm's first ones take what the refused batch left.
    let taken = filled * batch + past;
    assert!(
        taken <= limits::MAX_REMOTE_SOURCES && taken > limits::MAX_REMOTE_SOURCES - 10,
        "{taken} sources taken"
    );
    assert!(past < batch, "{past} sources taken past the limit");
    assert!(!c.is_ended());
    // The remote SDP at the limit (an m-line of about 1 KiB per source) and its sources; the peak
    // adds the copy a source-add works on and the offer text handed to the engine.
    assert!(
        run.retained <= (8 * MIB) as isize,
        "retained {}",
        mib(run.retained)
    );
    assert!(run.peak <= 16 * MIB, "peak {}", mib(run.peak));
    // A refusal copies nothing of the session's (a copy of its SDP alone is over 2 MiB).
    let mut one = Vec::with_capacity(1);
    let refusal = measure(|| {
        let again = std::iter::once(source_update("source-add", 200_000, 1));
        bridge_storm(&mut c, again, &mut one)
    });
    println!(
        "one more source-add at the limit: refused in {:?}, peak {} bytes",
        refusal.elapsed, refusal.peak
    );
    assert_eq!(refusal.value, 0);
    assert!(
        refusal.peak <= 256 * KIB,
        "a refusal peaked at {}",
        mib(refusal.peak)
    );
}

#[test]
fn participants_coming_and_going_leave_the_bridge_session_its_size() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = in_a_bridge_session();
    let room = 50;
    let mut times = Vec::with_capacity(1);
    let joined = bridge_storm(
        &mut c,
        std::iter::once(source_update("source-add", 0, room)),
        &mut times,
    );
    assert_eq!(joined, 1);
    // Each stanza: one participant leaves, another arrives; 2500 of each.
    let churn = 2500;
    let stanzas = (0..churn).flat_map(|i| {
        [
            source_update("source-remove", i, 1),
            source_update("source-add", room + i, 1),
        ]
    });
    let mut times = Vec::with_capacity(2 * churn);
    let run = measure(|| bridge_storm(&mut c, stanzas, &mut times));
    let renegotiations = run.value;
    let (early, late) = (mean(&times[..500]), mean(&times[times.len() - 500..]));
    println!(
        "{} source-add/-remove in a room of {room}: retained {} bytes, peak {}, {:?}; \
         per stanza {early:?} at first, {late:?} at the end",
        2 * churn,
        run.retained,
        mib(run.peak),
        run.elapsed
    );
    assert_eq!(renegotiations, 2 * churn);
    // Removed sources leave their m-lines to the next arrival: nothing accumulates.
    assert!(
        run.retained <= (64 * KIB) as isize,
        "retained {} bytes",
        run.retained
    );
    assert!(late < early * 3, "{early:?} at first, {late:?} at the end");
}

#[test]
fn a_hundred_thousand_chat_messages_leave_a_fixed_memory_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = in_the_room();
    let now = Instant::now();
    let count = 100_000;
    // Long ids: the replay dedupe must not keep what the sender chose to send.
    let long_id = "i".repeat(KIB);
    let run = measure(|| {
        let mut delivered = 0;
        for i in 0..count {
            let sender = ["a8f7g30b", "c3d4e5f6"][i % 2];
            c.handle_stanza(
                &el(&format!(
                    "<message xmlns='jabber:client' type='groupchat' id='{i}{long_id}' \
                     from='{ROOM}/{sender}'><body>message {i}</body></message>"
                )),
                now,
            );
            delivered += drain(&mut c)
                .iter()
                .filter(|o| {
                    matches!(
                        o,
                        Output::Event(ConferenceEvent::ChatMessageReceived { .. })
                    )
                })
                .count();
        }
        delivered
    });
    println!(
        "100,000 chat messages with 1 KiB ids: {} delivered, peak {}, retained {} bytes, {:?}",
        run.value,
        mib(run.peak),
        run.retained,
        run.elapsed
    );
    assert_eq!(run.value, count);
    // 256 remembered digests of 20 bytes (5 KiB); the slack is for the test harness, whose main
    // thread may allocate meanwhile. Keeping the ids themselves took 270 KiB here.
    assert!(
        run.retained <= (64 * KIB) as isize,
        "retained {} bytes",
        run.retained
    );
    assert!(run.peak <= 256 * KIB, "peak {}", mib(run.peak));
}
