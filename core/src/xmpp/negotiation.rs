//! Opening an XMPP session over WebSocket (RFC 7395): open, SASL, re-open, then either resume a
//! XEP-0198 session or bind a resource and enable stream management.

use crate::error::Error;
use crate::jid::Jid;
use crate::xml::Element;

use super::ns;

/// What a finished negotiation hands to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Established {
    Bound {
        jid: Jid,
        /// The XEP-0198 resumption id, when the server enabled resumable management.
        sm_id: Option<String>,
        sm_enabled: bool,
    },
    /// The server resumed an earlier session; `h` is how many of our stanzas it had handled.
    Resumed { h: u32 },
}

#[derive(Debug, Clone)]
pub struct ResumeRequest {
    pub previd: String,
    pub h: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitOpen,
    AwaitFeatures,
    AwaitSasl,
    AwaitReopen,
    AwaitSessionFeatures,
    AwaitResumed,
    AwaitBind,
    AwaitEnabled,
    Done,
}

pub struct Negotiation {
    domain: String,
    state: State,
    resume: Option<ResumeRequest>,
    sm_offered: bool,
    bound: Option<Jid>,
    /// Set when resumption was refused and we fell back to a fresh session.
    pub resume_failed: bool,
}

pub enum Step {
    Send(Vec<Element>),
    Done(Established),
}

const BIND_ID: &str = "bind_1";

impl Negotiation {
    pub fn new(domain: &str, resume: Option<ResumeRequest>) -> Self {
        Negotiation {
            domain: domain.to_string(),
            state: State::AwaitOpen,
            resume,
            sm_offered: false,
            bound: None,
            resume_failed: false,
        }
    }

    pub fn open(&self) -> Element {
        Element::new("open", ns::FRAMING)
            .attr("to", &self.domain)
            .attr("version", "1.0")
    }

    pub fn handle(&mut self, el: &Element) -> Result<Step, Error> {
        if el.is("error", ns::STREAMS) {
            let condition = el
                .children()
                .next()
                .map(|c| c.name().to_string())
                .unwrap_or_default();
            return Err(stream_error(&condition, &self.domain));
        }
        if el.is("close", ns::FRAMING) {
            return Err(Error::ConnectionLost("the server closed the stream".into()));
        }
        match self.state {
            State::AwaitOpen | State::AwaitReopen if el.is("open", ns::FRAMING) => {
                self.state = if self.state == State::AwaitOpen {
                    State::AwaitFeatures
                } else {
                    State::AwaitSessionFeatures
                };
                Ok(Step::Send(vec![]))
            }
            State::AwaitFeatures if el.is("features", ns::STREAMS) => {
                let anonymous = el
                    .get_child("mechanisms", ns::SASL)
                    .map(|m| {
                        m.children_named("mechanism", ns::SASL)
                            .any(|c| c.text_content().trim() == "ANONYMOUS")
                    })
                    .unwrap_or(false);
                if !anonymous {
                    // Jitsi deployments, token-authenticated ones included, authenticate with
                    // ANONYMOUS (mod_auth_token); anything else needs credentials we do not have.
                    return Err(Error::AuthenticationRequired);
                }
                self.state = State::AwaitSasl;
                Ok(Step::Send(vec![
                    Element::new("auth", ns::SASL).attr("mechanism", "ANONYMOUS")
                ]))
            }
            State::AwaitSasl if el.is("success", ns::SASL) => {
                self.state = State::AwaitReopen;
                Ok(Step::Send(vec![self.open()]))
            }
            State::AwaitSasl if el.is("failure", ns::SASL) => {
                let condition = el
                    .children()
                    .find(|c| c.name() != "text")
                    .map(|c| c.name().to_string())
                    .unwrap_or_else(|| "not-authorized".into());
                // mod_auth_token says why ("token expired", "Invalid issuer ('iss' claim)").
                let reason = el
                    .get_child("text", ns::SASL)
                    .map(|t| t.text_content())
                    .map(|t| {
                        t.trim()
                            .chars()
                            .filter(|c| !c.is_control())
                            .take(200)
                            .collect::<String>()
                    })
                    .filter(|t| !t.is_empty());
                Err(Error::NotAuthorized(match reason {
                    Some(reason) => format!("{condition}: {reason}"),
                    None => condition,
                }))
            }
            State::AwaitSessionFeatures if el.is("features", ns::STREAMS) => {
                self.sm_offered = el.get_child("sm", ns::SM).is_some();
                match (&self.resume, self.sm_offered) {
                    (Some(r), true) => {
                        self.state = State::AwaitResumed;
                        Ok(Step::Send(vec![Element::new("resume", ns::SM)
                            .attr("h", r.h.to_string())
                            .attr("previd", &r.previd)]))
                    }
                    _ => {
                        if self.resume.is_some() {
                            self.resume_failed = true;
                        }
                        Ok(Step::Send(vec![self.bind()]))
                    }
                }
            }
            State::AwaitResumed if el.is("resumed", ns::SM) => {
                self.state = State::Done;
                let h = el.get_attr("h").and_then(|h| h.parse().ok()).unwrap_or(0);
                Ok(Step::Done(Established::Resumed { h }))
            }
            State::AwaitResumed if el.is("failed", ns::SM) => {
                self.resume_failed = true;
                Ok(Step::Send(vec![self.bind()]))
            }
            State::AwaitBind if el.name() == "iq" && el.get_attr("id") == Some(BIND_ID) => {
                if el.get_attr("type") != Some("result") {
                    return Err(Error::Protocol(
                        "the server refused to bind a resource".into(),
                    ));
                }
                let jid = el
                    .get_child("bind", ns::BIND)
                    .and_then(|b| b.child_text("jid", ns::BIND))
                    .and_then(|j| Jid::parse(j.trim()))
                    .ok_or_else(|| Error::Protocol("bind result without a valid JID".into()))?;
                if self.sm_offered {
                    self.bound = Some(jid);
                    self.state = State::AwaitEnabled;
                    Ok(Step::Send(vec![
                        Element::new("enable", ns::SM).attr("resume", "true")
                    ]))
                } else {
                    self.state = State::Done;
                    Ok(Step::Done(Established::Bound {
                        jid,
                        sm_id: None,
                        sm_enabled: false,
                    }))
                }
            }
            State::AwaitEnabled if el.is("enabled", ns::SM) || el.is("failed", ns::SM) => {
                self.state = State::Done;
                let enabled = el.name() == "enabled";
                let resumable =
                    enabled && matches!(el.get_attr("resume"), Some("true") | Some("1"));
                Ok(Step::Done(Established::Bound {
                    jid: self.bound.take().expect("bound before enable"),
                    sm_id: el.get_attr("id").filter(|_| resumable).map(str::to_string),
                    sm_enabled: enabled,
                }))
            }
            // Servers may push unrelated stanzas (e.g. Jitsi's pre-bind service messages).
            _ => Ok(Step::Send(vec![])),
        }
    }

    fn bind(&mut self) -> Element {
        self.state = State::AwaitBind;
        Element::new("iq", ns::CLIENT)
            .attr("type", "set")
            .attr("id", BIND_ID)
            .child(Element::new("bind", ns::BIND))
    }
}

/// `domain` is the XMPP domain we asked for. A `host-unknown` error names no URL (negotiation
/// does not know it): the join fills it in.
fn stream_error(condition: &str, domain: &str) -> Error {
    match condition {
        "not-authorized" | "policy-violation" => Error::NotAuthorized(condition.to_string()),
        "host-unknown" => Error::InvalidServerUrl {
            url: String::new(),
            reason: format!(
                "the XMPP domain {domain:?} is not served here (host-unknown); set the config \
                 override hosts.domain to the deployment's XMPP domain"
            ),
        },
        other => Error::ConnectionLost(format!("stream error: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    fn el(s: &str) -> Element {
        parse(s, &Default::default()).unwrap()
    }

    fn sends(step: Step) -> Vec<String> {
        match step {
            Step::Send(v) => v.iter().map(Element::to_xml).collect(),
            Step::Done(_) => panic!("unexpected done"),
        }
    }

    const OPEN: &str = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='meet.test' id='s1' version='1.0'/>";
    const SASL_FEATURES: &str = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
        <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>";
    const SESSION_FEATURES: &str = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
        <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>";

    fn through_sasl(n: &mut Negotiation) {
        assert!(sends(n.handle(&el(OPEN)).unwrap()).is_empty());
        assert_eq!(
            sends(n.handle(&el(SASL_FEATURES)).unwrap()),
            vec!["<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"ANONYMOUS\"/>"]
        );
        let reopen = sends(
            n.handle(&el("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"))
                .unwrap(),
        );
        assert_eq!(reopen, vec![n.open().to_xml()]);
        n.handle(&el(OPEN)).unwrap();
    }

    #[test]
    fn anonymous_login_binds_and_enables_resumable_stream_management() {
        let mut n = Negotiation::new("meet.test", None);
        through_sasl(&mut n);
        let bind = sends(n.handle(&el(SESSION_FEATURES)).unwrap());
        assert!(bind[0].contains("urn:ietf:params:xml:ns:xmpp-bind"));
        let enable = sends(
            n.handle(&el(
                "<iq xmlns='jabber:client' type='result' id='bind_1'>\
            <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>abc@meet.test/r1</jid></bind></iq>",
            ))
            .unwrap(),
        );
        assert_eq!(
            enable,
            vec!["<enable xmlns=\"urn:xmpp:sm:3\" resume=\"true\"/>"]
        );
        match n
            .handle(&el(
                "<enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>",
            ))
            .unwrap()
        {
            Step::Done(Established::Bound {
                jid,
                sm_id,
                sm_enabled,
            }) => {
                assert_eq!(jid.to_string(), "abc@meet.test/r1");
                assert_eq!(sm_id.as_deref(), Some("sm-1"));
                assert!(sm_enabled);
            }
            _ => panic!("not done"),
        }
    }

    #[test]
    fn resumes_when_asked_and_falls_back_to_bind_when_refused() {
        let mut n = Negotiation::new(
            "meet.test",
            Some(ResumeRequest {
                previd: "sm-1".into(),
                h: 7,
            }),
        );
        through_sasl(&mut n);
        let resume = sends(n.handle(&el(SESSION_FEATURES)).unwrap());
        assert_eq!(
            resume,
            vec!["<resume xmlns=\"urn:xmpp:sm:3\" h=\"7\" previd=\"sm-1\"/>"]
        );
        let bind = sends(n.handle(&el("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>")).unwrap());
        assert!(bind[0].contains("bind"));
        assert!(n.resume_failed);

        let mut n = Negotiation::new(
            "meet.test",
            Some(ResumeRequest {
                previd: "sm-1".into(),
                h: 7,
            }),
        );
        through_sasl(&mut n);
        n.handle(&el(SESSION_FEATURES)).unwrap();
        assert!(matches!(
            n.handle(&el("<resumed xmlns='urn:xmpp:sm:3' h='3' previd='sm-1'/>"))
                .unwrap(),
            Step::Done(Established::Resumed { h: 3 })
        ));
    }

    #[test]
    fn sasl_failure_and_missing_mechanism_are_typed() {
        let mut n = Negotiation::new("meet.test", None);
        n.handle(&el(OPEN)).unwrap();
        n.handle(&el(SASL_FEATURES)).unwrap();
        let err = n.handle(&el("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text>bad token</text></failure>")).err();
        assert_eq!(
            err,
            Some(Error::NotAuthorized("not-authorized: bad token".into()))
        );
        let mut n = Negotiation::new("meet.test", None);
        n.handle(&el(OPEN)).unwrap();
        n.handle(&el(SASL_FEATURES)).unwrap();
        let err = n
            .handle(&el(
                "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-allowed/></failure>",
            ))
            .err();
        assert_eq!(err, Some(Error::NotAuthorized("not-allowed".into())));

        let mut n = Negotiation::new("meet.test", None);
        n.handle(&el(OPEN)).unwrap();
        let plain_only = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
            <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
        assert_eq!(
            n.handle(&el(plain_only)).err(),
            Some(Error::AuthenticationRequired)
        );
    }

    #[test]
    fn stream_errors_end_negotiation() {
        let mut n = Negotiation::new("nope.test", None);
        let err = n
            .handle(&el(
                "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>\
            <host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
            ))
            .err();
        let Some(Error::InvalidServerUrl { reason, .. }) = err else {
            panic!("{err:?}");
        };
        assert!(
            reason.contains("\"nope.test\"") && reason.contains("hosts.domain"),
            "names the domain tried and what to set: {reason}"
        );
    }
}
