//! A large conference: the offer Jicofo sends when joining a room of 300 participants still fits
//! the stanza limits and translates quickly enough to stay off the join's critical path.

use std::time::{Duration, Instant};

use super::*;

fn conference_offer(participants: u32) -> Jingle {
    let mut offer = jingle("jicofo-session-initiate.xml");
    for content in &mut offer.contents[..2] {
        let d = content.description.as_mut().unwrap();
        d.sources.truncate(1);
        d.ssrc_groups.clear();
        for p in 0..participants {
            let ep = format!("{p:08x}");
            let base = 1_000_000 + p * 4;
            let video = d.media == Media::Video;
            let name = format!("{ep}-{}0", if video { 'v' } else { 'a' });
            let ssrcs: Vec<u32> = if video {
                vec![base, base + 1]
            } else {
                vec![base + 2]
            };
            for ssrc in &ssrcs {
                d.sources.push(Source {
                    ssrc: *ssrc,
                    name: Some(name.clone()),
                    video_type: video.then(|| "camera".to_string()),
                    parameters: vec![Parameter::new(
                        "msid",
                        format!("{ep}-{} {ep}-track", d.media),
                    )],
                    owner: Some(ep.clone()),
                });
            }
            if video {
                d.ssrc_groups.push(SsrcGroup {
                    semantics: "FID".into(),
                    ssrcs,
                });
            }
        }
    }
    offer
}

#[test]
fn a_300_participant_offer_fits_and_translates_fast() {
    let xml = encode_jingle(&conference_offer(300)).to_xml();
    assert!(
        xml.len() < XmlLimits::default().max_bytes,
        "{} bytes",
        xml.len()
    );

    let started = Instant::now();
    let j = parse_jingle(&element(&xml)).unwrap();
    let sdp = jingle_to_sdp(&j, &OFFER).unwrap();
    let sources = remote_sources(&j.contents, None).unwrap();
    let text = sdp.to_string();
    let elapsed = started.elapsed();

    assert_eq!(sdp.media.len(), 2 + 2 * 300 + 1);
    assert_eq!(Sdp::parse(&text).unwrap(), sdp);
    assert_eq!(sources.len(), 2 + 2 * 300);
    println!(
        "300 participants: stanza {} KiB, SDP {} KiB, {} m-lines, parse+translate {:?}",
        xml.len() / 1024,
        text.len() / 1024,
        sdp.media.len(),
        elapsed
    );
    // Generous for an unoptimised build on a shared machine; release runs take a few ms.
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}
