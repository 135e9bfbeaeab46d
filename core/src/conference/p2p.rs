//! When to talk peer to peer, decided the way lib-jitsi-meet's JitsiConference does it
//! (`_maybeStartOrStopP2P`, `_shouldBeInP2PMode`) so a browser on the other side agrees with us:
//! P2P while exactly one other participant is in the room (not a bot, no visitors); the side
//! with the smaller endpoint id sends the offer, the other waits for it; when the room shrinks
//! back to two, the restart waits `back_to_p2p_delay` (5 s in jitsi-meet's config) so a quick
//! rejoin does not bounce the media path; when a third participant arrives, P2P stops.

use std::time::Duration;

use crate::events::Role;
use crate::jid::EndpointId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P2pPolicy {
    pub enabled: bool,
    pub back_to_p2p_delay: Duration,
    /// Through a TURN relay only, so the peer never learns our address.
    pub relay_only: bool,
}

impl Default for P2pPolicy {
    fn default() -> Self {
        P2pPolicy {
            enabled: true,
            back_to_p2p_delay: Duration::from_secs(5),
            relay_only: false,
        }
    }
}

impl P2pPolicy {
    /// jitsi-meet's own config.js keys, given as `config_overrides`: `p2p.enabled` ("false" turns
    /// P2P off: every offer is declined and media waits for the bridge) and `p2p.backToP2PDelay`
    /// (seconds), `p2p.iceTransportPolicy` ("relay": P2P media only through the deployment's
    /// TURN servers). Anything unreadable keeps the default.
    pub fn from_overrides(overrides: &std::collections::BTreeMap<String, String>) -> P2pPolicy {
        let default = P2pPolicy::default();
        P2pPolicy {
            enabled: overrides
                .get("p2p.enabled")
                .map_or(default.enabled, |v| v.trim() != "false"),
            back_to_p2p_delay: overrides
                .get("p2p.backToP2PDelay")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && (0.0..=3600.0).contains(s))
                .map_or(default.back_to_p2p_delay, Duration::from_secs_f64),
            relay_only: overrides
                .get("p2p.iceTransportPolicy")
                .is_some_and(|v| v.trim() == "relay"),
        }
    }
}

/// What the decision needs to know of another participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub endpoint_id: EndpointId,
    pub role: Role,
    /// Jigasi, or a bot that joins as a participant ("poltergeist").
    pub is_bot: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum P2pDecision {
    /// Send session-initiate to this peer now.
    Initiate(EndpointId),
    /// Send it after this delay, if the decision still holds then.
    InitiateAfter(EndpointId, Duration),
    /// The peer has the smaller id: its offer is expected.
    AwaitOffer(EndpointId),
    /// Terminate the P2P session (a third participant arrived, or the peer became unsuitable).
    Stop,
    /// Nothing to change.
    Keep,
}

/// Why an incoming P2P offer is declined, as a Jingle reason and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub reason: &'static str,
    pub text: &'static str,
}

fn should_be_in_p2p(peers: &[Peer]) -> Option<&Peer> {
    match peers {
        [only] if !only.is_bot && only.role != Role::Visitor => Some(only),
        _ => None,
    }
}

/// `session`: the peer of the current P2P session, if any. `after_leave`: this decision follows
/// a participant leaving (the 3 -> 2 case).
pub fn decide(
    policy: &P2pPolicy,
    me: &EndpointId,
    peers: &[Peer],
    session: Option<&EndpointId>,
    after_leave: bool,
) -> P2pDecision {
    if !policy.enabled {
        return match session {
            Some(_) => P2pDecision::Stop,
            None => P2pDecision::Keep,
        };
    }
    match (should_be_in_p2p(peers), session) {
        (Some(peer), Some(current)) if &peer.endpoint_id == current => P2pDecision::Keep,
        (Some(_), Some(_)) | (None, Some(_)) => P2pDecision::Stop,
        (None, None) => P2pDecision::Keep,
        (Some(peer), None) => {
            // lib-jitsi-meet compares the ids as strings: the smaller one initiates.
            if me.as_str() > peer.endpoint_id.as_str() {
                P2pDecision::AwaitOffer(peer.endpoint_id.clone())
            } else if me == &peer.endpoint_id {
                log::error!("a peer has our own endpoint id {me}; not starting P2P");
                P2pDecision::Keep
            } else if after_leave {
                P2pDecision::InitiateAfter(peer.endpoint_id.clone(), policy.back_to_p2p_delay)
            } else {
                P2pDecision::Initiate(peer.endpoint_id.clone())
            }
        }
    }
}

/// Whether to accept a P2P session-initiate from `from`, given who is in the room.
pub fn accept_offer(
    policy: &P2pPolicy,
    from: &EndpointId,
    peers: &[Peer],
    session: Option<&EndpointId>,
) -> Result<(), Decline> {
    if !policy.enabled {
        return Err(Decline {
            reason: "decline",
            text: "P2P disabled",
        });
    }
    if session.is_some_and(|s| s != from) {
        return Err(Decline {
            reason: "busy",
            text: "P2P session with another participant in progress",
        });
    }
    match should_be_in_p2p(peers) {
        Some(peer) if &peer.endpoint_id == from => Ok(()),
        _ => Err(Decline {
            reason: "decline",
            text: "P2P mode not applicable",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: &str) -> Peer {
        Peer {
            endpoint_id: EndpointId::new(id),
            role: Role::Participant,
            is_bot: false,
        }
    }

    fn id(s: &str) -> EndpointId {
        EndpointId::new(s)
    }

    #[test]
    fn with_one_peer_the_smaller_id_offers_and_the_bigger_waits() {
        let policy = P2pPolicy::default();
        assert_eq!(
            decide(&policy, &id("0a0a0a0a"), &[peer("b1b1b1b1")], None, false),
            P2pDecision::Initiate(id("b1b1b1b1"))
        );
        assert_eq!(
            decide(&policy, &id("b1b1b1b1"), &[peer("0a0a0a0a")], None, false),
            P2pDecision::AwaitOffer(id("0a0a0a0a"))
        );
        assert_eq!(
            decide(&policy, &id("0a0a0a0a"), &[peer("b1b1b1b1")], None, true),
            P2pDecision::InitiateAfter(id("b1b1b1b1"), Duration::from_secs(5))
        );
    }

    #[test]
    fn a_third_participant_stops_p2p_and_an_empty_room_changes_nothing() {
        let policy = P2pPolicy::default();
        let both = [peer("b1b1b1b1"), peer("c2c2c2c2")];
        assert_eq!(
            decide(
                &policy,
                &id("0a0a0a0a"),
                &both,
                Some(&id("b1b1b1b1")),
                false
            ),
            P2pDecision::Stop
        );
        assert_eq!(
            decide(&policy, &id("0a0a0a0a"), &[], None, true),
            P2pDecision::Keep
        );
        assert_eq!(
            decide(
                &policy,
                &id("0a0a0a0a"),
                &[peer("b1b1b1b1")],
                Some(&id("b1b1b1b1")),
                false
            ),
            P2pDecision::Keep
        );
    }

    #[test]
    fn bots_visitors_and_a_disabled_policy_keep_media_on_the_bridge() {
        let policy = P2pPolicy::default();
        let mut jigasi = peer("b1b1b1b1");
        jigasi.is_bot = true;
        assert_eq!(
            decide(&policy, &id("0a0a0a0a"), &[jigasi], None, false),
            P2pDecision::Keep
        );
        let mut visitor = peer("b1b1b1b1");
        visitor.role = Role::Visitor;
        assert_eq!(
            decide(&policy, &id("0a0a0a0a"), &[visitor], None, false),
            P2pDecision::Keep
        );
        let off = P2pPolicy {
            enabled: false,
            ..P2pPolicy::default()
        };
        assert_eq!(
            decide(
                &off,
                &id("0a0a0a0a"),
                &[peer("b1b1b1b1")],
                Some(&id("b1b1b1b1")),
                false
            ),
            P2pDecision::Stop
        );
    }

    #[test]
    fn the_policy_follows_jitsi_meets_config_keys() {
        let overrides = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            P2pPolicy::from_overrides(&overrides(&[])),
            P2pPolicy::default()
        );
        let off = P2pPolicy::from_overrides(&overrides(&[
            ("p2p.enabled", "false"),
            ("p2p.backToP2PDelay", "2"),
        ]));
        assert!(!off.enabled);
        assert_eq!(off.back_to_p2p_delay, Duration::from_secs(2));
        let odd = P2pPolicy::from_overrides(&overrides(&[("p2p.backToP2PDelay", "-1e300")]));
        assert_eq!(odd.back_to_p2p_delay, Duration::from_secs(5));
        let relayed = P2pPolicy::from_overrides(&overrides(&[("p2p.iceTransportPolicy", "relay")]));
        assert!(relayed.relay_only && !off.relay_only);
    }

    #[test]
    fn offers_are_accepted_only_from_the_one_peer() {
        let policy = P2pPolicy::default();
        assert_eq!(
            accept_offer(&policy, &id("0a0a0a0a"), &[peer("0a0a0a0a")], None),
            Ok(())
        );
        assert_eq!(
            accept_offer(
                &policy,
                &id("0a0a0a0a"),
                &[peer("0a0a0a0a"), peer("c2")],
                None
            )
            .unwrap_err()
            .reason,
            "decline"
        );
        assert_eq!(
            accept_offer(
                &policy,
                &id("0a0a0a0a"),
                &[peer("0a0a0a0a")],
                Some(&id("c2"))
            )
            .unwrap_err()
            .reason,
            "busy"
        );
    }
}
