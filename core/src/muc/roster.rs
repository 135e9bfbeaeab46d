//! Who is in the room. Turns occupant presences into joined/left/updated changes, recognises the
//! focus (by the real JID the focus reply named, else by its `focus` nick) and keeps it out of
//! the participant list, and tracks our own occupant.

use std::collections::{BTreeMap, BTreeSet};

use crate::events::{Participant, Role};
use crate::jid::{EndpointId, Jid};

use super::presence::OccupantPresence;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterChange {
    Joined(Participant),
    Left {
        endpoint_id: EndpointId,
        display_name: Option<String>,
    },
    Updated(Participant),
    /// Our own occupant entered the room.
    SelfJoined {
        role: Role,
    },
    SelfRoleChanged {
        role: Role,
    },
    /// Our own occupant left; the status codes and destroy flag say why.
    SelfLeft {
        statuses: Vec<u16>,
        destroyed: bool,
    },
    FocusLeft,
}

#[derive(Debug)]
pub struct Roster {
    me: EndpointId,
    focus_jids: Vec<String>,
    focus_nick: Option<EndpointId>,
    self_role: Option<Role>,
    members: BTreeMap<EndpointId, Participant>,
    /// Real JIDs the room reveals (Jitsi rooms are non-anonymous); moderators need them.
    real_jids: BTreeMap<EndpointId, Jid>,
    /// While rejoining: members the room has not announced again yet.
    unconfirmed: Option<BTreeSet<EndpointId>>,
    /// Newcomers are being turned away because the roster is full (logged once per episode).
    full: bool,
}

const FOCUS_NICK: &str = "focus";

/// The most other participants we keep. Jitsi rooms have hundreds at most: Jicofo sends those
/// beyond its `visitors.max-participants` to visitor rooms, and a bridge session carries at most
/// `jingle::limits::MAX_REMOTE_SOURCES` (2048) sources, an audio and a video for 1024 people.
/// Beyond that an occupant is a flood: its presence is dropped, and the participants already
/// there stay as they are. Each kept member costs at most about 20 KiB (its nick, held three
/// times, and its real JID, each within the 3 KiB of a JID; four profile texts of
/// `MAX_PROFILE_TEXT_BYTES`), so the roster stays within 20 MiB.
pub const MAX_OCCUPANTS: usize = 1024;

impl Roster {
    pub fn new(me: EndpointId) -> Self {
        Roster {
            me,
            focus_jids: Vec::new(),
            focus_nick: None,
            self_role: None,
            members: BTreeMap::new(),
            real_jids: BTreeMap::new(),
            unconfirmed: None,
            full: false,
        }
    }

    pub fn add_focus_jid(&mut self, jid: &str) {
        self.focus_jids.push(jid.to_string());
    }

    pub fn participants(&self) -> Vec<Participant> {
        self.members.values().cloned().collect()
    }

    /// The first participants by endpoint id, without copying the rest: a decision that only
    /// asks "is there exactly one other" must not cost a copy of a large room per presence.
    pub fn first_participants(&self, n: usize) -> impl Iterator<Item = &Participant> {
        self.members.values().take(n)
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn get(&self, id: &EndpointId) -> Option<&Participant> {
        self.members.get(id)
    }

    pub fn real_jid(&self, id: &EndpointId) -> Option<&Jid> {
        self.real_jids.get(id)
    }

    pub fn real_jids(&self) -> impl Iterator<Item = &Jid> {
        self.real_jids.values()
    }

    pub fn self_role(&self) -> Option<Role> {
        self.self_role
    }

    /// The focus's occupant nick, once it is in the room.
    pub fn focus_nick(&self) -> Option<&EndpointId> {
        self.focus_nick.as_ref()
    }

    fn is_focus(&self, p: &OccupantPresence) -> bool {
        let by_jid = p.real_jid.as_ref().is_some_and(|jid| {
            let jid = jid.to_string();
            self.focus_jids
                .iter()
                .any(|f| jid == *f || jid.starts_with(&format!("{f}/")))
        });
        by_jid || p.nick.as_str() == FOCUS_NICK
    }

    /// We are rejoining the room: keep the members, so those the room announces again unchanged
    /// give no change, and note which ones it has not announced yet. Returns our role before.
    pub fn begin_resync(&mut self) -> Option<Role> {
        self.unconfirmed = Some(self.members.keys().cloned().collect());
        self.focus_nick = None;
        self.self_role.take()
    }

    /// Our own presence came back: the room announced everyone in it before it, so the members
    /// it did not announce left while we were away.
    pub fn end_resync(&mut self) -> Vec<RosterChange> {
        let Some(gone) = self.unconfirmed.take() else {
            return Vec::new();
        };
        gone.into_iter()
            .filter_map(|id| {
                self.real_jids.remove(&id);
                self.members.remove(&id)
            })
            .map(|p| RosterChange::Left {
                endpoint_id: p.endpoint_id,
                display_name: p.display_name,
            })
            .collect()
    }

    pub fn apply(&mut self, p: &OccupantPresence) -> Vec<RosterChange> {
        if let Some(unconfirmed) = &mut self.unconfirmed {
            unconfirmed.remove(&p.nick);
        }
        if p.nick == self.me || p.statuses.contains(&110) {
            return self.apply_self(p);
        }
        if self.is_focus(p) {
            if p.available {
                self.focus_nick = Some(p.nick.clone());
                return vec![];
            }
            self.focus_nick = None;
            return vec![RosterChange::FocusLeft];
        }
        if !p.available {
            self.real_jids.remove(&p.nick);
            return match self.members.remove(&p.nick) {
                Some(gone) => vec![RosterChange::Left {
                    endpoint_id: gone.endpoint_id,
                    display_name: gone.display_name,
                }],
                None => vec![],
            };
        }
        if !self.members.contains_key(&p.nick) && self.members.len() >= MAX_OCCUPANTS {
            if !std::mem::replace(&mut self.full, true) {
                log::warn!(
                    "the room has more than {MAX_OCCUPANTS} participants: newcomers are ignored"
                );
            }
            return vec![];
        }
        self.full = false;
        let participant = Participant {
            endpoint_id: p.nick.clone(),
            display_name: p.display_name.clone(),
            email: p.email.clone(),
            avatar_url: p.avatar_url.clone(),
            role: p.role,
            affiliation: p.affiliation,
            audio_muted: p.audio_muted,
            video_muted: p.video_muted,
            hand_raised_at: p.hand_raised_at,
            stats_id: p.stats_id.clone(),
        };
        if let Some(jid) = &p.real_jid {
            self.real_jids.insert(p.nick.clone(), jid.clone());
        }
        match self.members.insert(p.nick.clone(), participant.clone()) {
            None => vec![RosterChange::Joined(participant)],
            Some(old) if old != participant => vec![RosterChange::Updated(participant)],
            Some(_) => vec![],
        }
    }

    fn apply_self(&mut self, p: &OccupantPresence) -> Vec<RosterChange> {
        if !p.available {
            self.self_role = None;
            return vec![RosterChange::SelfLeft {
                statuses: p.statuses.clone(),
                destroyed: p.destroyed,
            }];
        }
        match self.self_role.replace(p.role) {
            None => vec![RosterChange::SelfJoined { role: p.role }],
            Some(old) if old != p.role => vec![RosterChange::SelfRoleChanged { role: p.role }],
            Some(_) => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Affiliation;

    fn occupant(nick: &str, jid: Option<&str>) -> OccupantPresence {
        OccupantPresence {
            nick: EndpointId::new(nick),
            available: true,
            real_jid: jid.and_then(Jid::parse),
            role: Role::Participant,
            affiliation: Affiliation::None,
            statuses: vec![],
            display_name: Some(nick.to_uppercase()),
            email: None,
            avatar_url: None,
            stats_id: None,
            audio_muted: true,
            video_muted: true,
            hand_raised_at: None,
            destroyed: false,
        }
    }

    #[test]
    fn a_rejoin_reports_only_who_really_changed() {
        let mut r = Roster::new(EndpointId::new("me"));
        let bob = occupant("bob", Some("b@meet.test/x"));
        let cat = occupant("cat", Some("c@meet.test/y"));
        r.apply(&bob);
        r.apply(&cat);
        let me = OccupantPresence {
            role: Role::Moderator,
            ..occupant("me", None)
        };
        r.apply(&me);
        assert_eq!(r.begin_resync(), Some(Role::Moderator));
        // The room announces Bob unchanged, a newcomer, and then us; Cat left meanwhile.
        assert!(r.apply(&bob).is_empty());
        let dan = occupant("dan", None);
        assert!(
            matches!(&r.apply(&dan)[..], [RosterChange::Joined(p)] if p.endpoint_id.as_str() == "dan")
        );
        assert!(matches!(
            r.apply(&me)[..],
            [RosterChange::SelfJoined { .. }]
        ));
        let left = r.end_resync();
        assert!(
            matches!(&left[..], [RosterChange::Left { endpoint_id, .. }] if endpoint_id.as_str() == "cat"),
            "{left:?}"
        );
        assert!(r.end_resync().is_empty());
        let ids: Vec<String> = r
            .participants()
            .iter()
            .map(|p| p.endpoint_id.to_string())
            .collect();
        assert_eq!(ids, ["bob", "dan"]);
    }

    #[test]
    fn participants_join_update_and_leave_once() {
        let mut r = Roster::new(EndpointId::new("me"));
        let bob = occupant("bob", Some("b@meet.test/x"));
        assert!(matches!(r.apply(&bob)[..], [RosterChange::Joined(_)]));
        assert!(
            r.apply(&bob).is_empty(),
            "identical presence is not an update"
        );
        let unmuted = OccupantPresence {
            audio_muted: false,
            ..bob.clone()
        };
        assert!(matches!(&r.apply(&unmuted)[..], [RosterChange::Updated(p)] if !p.audio_muted));
        let gone = OccupantPresence {
            available: false,
            ..bob.clone()
        };
        assert_eq!(
            r.apply(&gone),
            vec![RosterChange::Left {
                endpoint_id: EndpointId::new("bob"),
                display_name: Some("BOB".into())
            }]
        );
        assert!(r.apply(&gone).is_empty());
        assert!(r.participants().is_empty());
    }

    #[test]
    fn a_full_roster_turns_newcomers_away_and_keeps_its_members() {
        let mut r = Roster::new(EndpointId::new("me"));
        for i in 0..MAX_OCCUPANTS {
            assert_eq!(r.apply(&occupant(&format!("p{i:06}"), None)).len(), 1);
        }
        let late = occupant("late0001", Some("l@meet.test/x"));
        assert!(r.apply(&late).is_empty());
        assert!(r.get(&late.nick).is_none() && r.real_jid(&late.nick).is_none());
        let first = OccupantPresence {
            audio_muted: false,
            ..occupant("p000000", None)
        };
        assert!(matches!(&r.apply(&first)[..], [RosterChange::Updated(_)]));
        let gone = OccupantPresence {
            available: false,
            ..first
        };
        assert!(matches!(&r.apply(&gone)[..], [RosterChange::Left { .. }]));
        assert!(matches!(&r.apply(&late)[..], [RosterChange::Joined(_)]));
        assert_eq!(r.participants().len(), MAX_OCCUPANTS);
    }

    #[test]
    fn the_focus_is_recognised_by_jid_or_nick_and_hidden() {
        let mut r = Roster::new(EndpointId::new("me"));
        r.add_focus_jid("focus@auth.meet.test");
        assert!(r
            .apply(&occupant("jicofo", Some("focus@auth.meet.test/focus")))
            .is_empty());
        assert!(r.apply(&occupant("focus", None)).is_empty());
        assert!(r.participants().is_empty());
        assert_eq!(r.focus_nick().map(EndpointId::as_str), Some("focus"));
        let left = OccupantPresence {
            available: false,
            ..occupant("focus", None)
        };
        assert_eq!(r.apply(&left), vec![RosterChange::FocusLeft]);
    }

    #[test]
    fn tracks_our_own_role() {
        let mut r = Roster::new(EndpointId::new("me"));
        let me = OccupantPresence {
            statuses: vec![110],
            ..occupant("me", None)
        };
        assert_eq!(
            r.apply(&me),
            vec![RosterChange::SelfJoined {
                role: Role::Participant
            }]
        );
        let promoted = OccupantPresence {
            role: Role::Moderator,
            ..me.clone()
        };
        assert_eq!(
            r.apply(&promoted),
            vec![RosterChange::SelfRoleChanged {
                role: Role::Moderator
            }]
        );
        let kicked = OccupantPresence {
            available: false,
            statuses: vec![307, 110],
            ..me
        };
        assert_eq!(
            r.apply(&kicked),
            vec![RosterChange::SelfLeft {
                statuses: vec![307, 110],
                destroyed: false
            }]
        );
    }
}
