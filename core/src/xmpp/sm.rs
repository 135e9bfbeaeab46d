//! XEP-0198 stream management: counts what we handled, answers the server's ack requests, and
//! keeps what we sent until the server acknowledges it, so a resumed stream loses nothing.

use std::collections::VecDeque;

use crate::xml::Element;

use super::{ns, stanza::is_stanza};

/// Ask for an ack after this many unacknowledged stanzas, as Strophe does.
const REQUEST_EVERY: u32 = 5;
/// Beyond this the server is not acking at all; keep memory bounded.
const MAX_UNACKED: usize = 1000;

#[derive(Debug, Default)]
pub struct StreamManagement {
    enabled: bool,
    /// Stanzas received and handled (our `h`).
    handled: u32,
    /// Stanzas sent since enable.
    sent: u32,
    /// The server's last acknowledged count.
    acked: u32,
    unacked: VecDeque<Element>,
}

impl StreamManagement {
    pub fn enabled() -> Self {
        StreamManagement {
            enabled: true,
            ..Default::default()
        }
    }

    pub fn disabled() -> Self {
        StreamManagement::default()
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub fn handled(&self) -> u32 {
        self.handled
    }

    /// Records an outgoing element; returns an ack request to send after it when one is due.
    pub fn on_send(&mut self, el: &Element) -> Option<Element> {
        if !self.enabled || !is_stanza(el) {
            return None;
        }
        self.sent = self.sent.wrapping_add(1);
        if self.unacked.len() == MAX_UNACKED {
            log::warn!(
                "server does not acknowledge stanzas; dropping the oldest from the replay queue"
            );
            self.unacked.pop_front();
        }
        self.unacked.push_back(el.clone());
        // A message is asked about at once: should the stream die, a message the server has
        // acknowledged is not sent again on a new session, so the window for a duplicate is
        // one round trip rather than five stanzas.
        let due =
            el.name() == "message" || (self.unacked.len() as u32).is_multiple_of(REQUEST_EVERY);
        due.then(|| Element::new("r", ns::SM))
    }

    /// The stream is gone for good (the server no longer knows it): what it never acknowledged,
    /// which the caller may still need to deliver on a new session.
    pub fn abandon(&mut self) -> Vec<Element> {
        self.unacked.drain(..).collect()
    }

    /// Looks at an incoming element. Returns `Some(reply)` when it was a stream-management
    /// element (the reply may be None); returns None for stanzas, which the caller handles.
    pub fn on_receive(&mut self, el: &Element) -> Option<Option<Element>> {
        if el.ns() == ns::SM {
            return Some(match el.name() {
                "r" => Some(Element::new("a", ns::SM).attr("h", self.handled.to_string())),
                "a" => {
                    if let Some(h) = el.get_attr("h").and_then(|h| h.parse().ok()) {
                        self.ack(h);
                    }
                    None
                }
                _ => None,
            });
        }
        if self.enabled && is_stanza(el) {
            self.handled = self.handled.wrapping_add(1);
        }
        None
    }

    /// The ack to send before closing the stream cleanly: without it the server bounces what it
    /// sent since our last ack back to the senders as undelivered (XEP-0198 section 4).
    pub fn closing_ack(&self) -> Option<Element> {
        self.enabled
            .then(|| Element::new("a", ns::SM).attr("h", self.handled.to_string()))
    }

    /// Stanzas the server had not handled when a stream resumed with its `h`.
    pub fn replay_after_resume(&mut self, h: u32) -> Vec<Element> {
        self.ack(h);
        self.sent = self.acked;
        self.unacked.drain(..).collect()
    }

    fn ack(&mut self, h: u32) {
        let newly = h.wrapping_sub(self.acked) as usize;
        if newly > self.unacked.len() {
            log::warn!("server acknowledged more stanzas than were sent");
        }
        for _ in 0..newly.min(self.unacked.len()) {
            self.unacked.pop_front();
        }
        self.acked = h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(i: u32) -> Element {
        Element::new("message", ns::CLIENT).attr("id", i.to_string())
    }

    #[test]
    fn a_clean_close_acknowledges_everything_handled() {
        let mut sm = StreamManagement::enabled();
        sm.on_receive(&msg(1));
        assert_eq!(sm.closing_ack().unwrap().get_attr("h"), Some("1"));
        assert_eq!(StreamManagement::disabled().closing_ack(), None);
    }

    #[test]
    fn counts_handled_stanzas_and_answers_requests() {
        let mut sm = StreamManagement::enabled();
        assert_eq!(sm.on_receive(&msg(1)), None);
        assert_eq!(sm.on_receive(&msg(2)), None);
        let reply = sm.on_receive(&Element::new("r", ns::SM)).unwrap().unwrap();
        assert_eq!(reply.get_attr("h"), Some("2"));
    }

    fn presence(i: u32) -> Element {
        Element::new("presence", ns::CLIENT).attr("id", i.to_string())
    }

    #[test]
    fn every_message_asks_for_an_ack_and_what_is_unacked_can_be_abandoned() {
        let mut sm = StreamManagement::enabled();
        assert!(sm.on_send(&presence(1)).is_none());
        assert!(sm.on_send(&msg(2)).is_some());
        sm.on_receive(&Element::new("a", ns::SM).attr("h", "1"));
        let left: Vec<_> = sm
            .abandon()
            .iter()
            .map(|e| e.get_attr("id").unwrap().to_string())
            .collect();
        assert_eq!(left, ["2"]);
        assert!(sm.abandon().is_empty());
    }

    #[test]
    fn requests_acks_and_replays_only_unacknowledged_stanzas() {
        let mut sm = StreamManagement::enabled();
        let requests: Vec<bool> = (1..=6)
            .map(|i| sm.on_send(&presence(i)).is_some())
            .collect();
        assert_eq!(requests, vec![false, false, false, false, true, false]);
        sm.on_receive(&Element::new("a", ns::SM).attr("h", "4"));
        let replay = sm.replay_after_resume(5);
        let ids: Vec<_> = replay.iter().map(|e| e.get_attr("id").unwrap()).collect();
        assert_eq!(ids, vec!["6"]);
    }

    #[test]
    fn nonzas_are_not_counted_and_disabled_sm_tracks_nothing() {
        let mut sm = StreamManagement::disabled();
        assert!(sm.on_send(&msg(1)).is_none());
        sm.on_receive(&msg(1));
        assert_eq!(sm.handled(), 0);
    }
}
