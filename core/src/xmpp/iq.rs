//! Tracks IQs in flight so every request gets exactly one outcome: its result, its error, or a
//! timeout.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::xml::Element;

use super::stanza::{stanza_error, StanzaError};

pub enum IqOutcome {
    Result(Element),
    Error(StanzaError),
}

pub struct IqTracker<P> {
    next: u64,
    prefix: String,
    pending: HashMap<String, (Instant, P)>,
}

impl<P> IqTracker<P> {
    pub fn new(prefix: &str) -> Self {
        IqTracker {
            next: 0,
            prefix: prefix.to_string(),
            pending: HashMap::new(),
        }
    }

    /// Registers a request and returns the id to put on it.
    pub fn track(&mut self, purpose: P, now: Instant, timeout: Duration) -> String {
        self.next += 1;
        let id = format!("{}{}", self.prefix, self.next);
        self.pending.insert(id.clone(), (now + timeout, purpose));
        id
    }

    /// Matches a `result` or `error` IQ to its request. Other stanzas and unknown ids give None.
    pub fn resolve(&mut self, iq: &Element) -> Option<(P, IqOutcome)> {
        let kind = iq.get_attr("type")?;
        if iq.name() != "iq" || !matches!(kind, "result" | "error") {
            return None;
        }
        let (_, purpose) = self.pending.remove(iq.get_attr("id")?)?;
        let outcome = if kind == "result" {
            IqOutcome::Result(iq.clone())
        } else {
            IqOutcome::Error(stanza_error(iq).unwrap_or(StanzaError {
                condition: "undefined-condition".into(),
                kind: None,
                text: None,
            }))
        };
        Some((purpose, outcome))
    }

    pub fn expire(&mut self, now: Instant) -> Vec<P> {
        let expired: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, (deadline, _))| *deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        expired
            .into_iter()
            .filter_map(|id| self.pending.remove(&id).map(|(_, p)| p))
            .collect()
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|(d, _)| *d).min()
    }

    pub fn drain(&mut self) -> impl Iterator<Item = P> + '_ {
        self.pending.drain().map(|(_, (_, p))| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn resolves_results_errors_and_timeouts_once() {
        let t0 = Instant::now();
        let mut iqs = IqTracker::new("t");
        let a = iqs.track("a", t0, Duration::from_secs(5));
        let b = iqs.track("b", t0, Duration::from_secs(5));
        let c = iqs.track("c", t0, Duration::from_secs(1));

        let result = parse(
            &format!("<iq xmlns='jabber:client' type='result' id='{a}'/>"),
            &Default::default(),
        )
        .unwrap();
        assert!(matches!(
            iqs.resolve(&result),
            Some(("a", IqOutcome::Result(_)))
        ));
        assert!(iqs.resolve(&result).is_none(), "resolved twice");

        let error = parse(
            &format!(
                "<iq xmlns='jabber:client' type='error' id='{b}'><error type='auth'>\
             <forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            ),
            &Default::default(),
        )
        .unwrap();
        match iqs.resolve(&error) {
            Some(("b", IqOutcome::Error(e))) => assert_eq!(e.condition, "forbidden"),
            _ => panic!("error not resolved"),
        }
        assert_eq!(iqs.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(iqs.expire(t0 + Duration::from_secs(2)), vec!["c"]);
        assert!(!c.is_empty());
        assert!(iqs.next_deadline().is_none());
    }
}
