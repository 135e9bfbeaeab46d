//! XEP-0215 external services: the STUN and TURN servers a Jitsi deployment hands out (Prosody's
//! `mod_external_services`, `mod_turn_external`, or the older `mod_turncredentials`), asked for
//! as lib-jitsi-meet asks (`getStunAndTurnCredentials`: `extdisco:2`, then `extdisco:1`) and
//! turned into ICE servers as its `_parseService` does. Entries whose host, port or transport
//! could not be a server's are left out, so nothing hostile reaches the ICE agent's URL parser.

use omni_jitsi_media::session::IceServer;

use crate::xml::Element;
use crate::xmpp::stanza::iq;

pub const V2: &str = "urn:xmpp:extdisco:2";
pub const V1: &str = "urn:xmpp:extdisco:1";

/// The query to the domain, in namespace `version` (`V2` or `V1`).
pub fn query(id: &str, domain: &str, version: &'static str) -> Element {
    iq("get", id, domain).child(Element::new("services", version))
}

/// The servers in a result, in its order. TURN servers carry the time-limited credentials the
/// server generated for us.
pub fn parse(result: &Element) -> Vec<IceServer> {
    let Some(services) = result
        .children()
        .find(|c| c.name() == "services" && (c.ns() == V2 || c.ns() == V1))
    else {
        return Vec::new();
    };
    services
        .children()
        .filter(|s| s.name() == "service")
        .filter_map(|s| {
            let server = service(s);
            if server.is_none() {
                log::info!("ignoring an external service we cannot use");
            }
            server
        })
        .collect()
}

fn service(s: &Element) -> Option<IceServer> {
    let kind = s.get_attr("type")?;
    let host = s.get_attr("host").filter(|h| host_ok(h))?;
    let port = match s.get_attr("port") {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0)?),
        None => None,
    };
    let transport = s.get_attr("transport").unwrap_or("udp");
    if !matches!(transport, "udp" | "tcp") {
        return None;
    }
    // IPv6 literals need brackets in a URL.
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let mut url = format!("{kind}:{host}");
    if let Some(port) = port {
        url.push_str(&format!(":{port}"));
    }
    match kind {
        "stun" => Some(IceServer {
            url,
            username: String::new(),
            credential: String::new(),
        }),
        "turn" | "turns" => {
            if transport != "udp" {
                url.push_str(&format!("?transport={transport}"));
            }
            Some(IceServer {
                url,
                username: s.get_attr("username").unwrap_or("").to_string(),
                credential: s.get_attr("password").unwrap_or("").to_string(),
            })
        }
        _ => None,
    }
}

/// A DNS name or an IP literal: nothing that could end or extend the URL.
fn host_ok(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse as parse_xml, XmlLimits};

    fn result(xml: &str) -> Element {
        parse_xml(xml, &XmlLimits::default()).unwrap()
    }

    /// What Prosody 0.12's `mod_turn_external` answers (docker-jitsi-meet's setup).
    #[test]
    fn prosody_s_stun_and_turn_become_ice_servers() {
        let servers = parse(&result(
            "<iq xmlns='jabber:client' type='result' id='e1'>\
             <services xmlns='urn:xmpp:extdisco:2'>\
             <service type='stun' transport='udp' host='turn.meet.test' port='3478'/>\
             <service type='turn' transport='udp' host='turn.meet.test' port='3478' \
              username='1765000000' password='c2VjcmV0IQ==' expires='2026-12-06T06:00:00Z' restricted='1'/>\
             <service type='turns' transport='tcp' host='turn.meet.test' port='5349' \
              username='1765000000' password='c2VjcmV0IQ=='/>\
             <service type='turn' transport='tcp' host='2001:db8::1' port='443' username='u' password='p'/>\
             </services></iq>",
        ));
        let urls: Vec<&str> = servers.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "stun:turn.meet.test:3478",
                "turn:turn.meet.test:3478",
                "turns:turn.meet.test:5349?transport=tcp",
                "turn:[2001:db8::1]:443?transport=tcp",
            ]
        );
        assert_eq!(servers[1].username, "1765000000");
        assert_eq!(servers[1].credential, "c2VjcmV0IQ==");
        assert!(servers[0].username.is_empty());
        assert!(
            !format!("{servers:?}").contains("c2VjcmV0IQ=="),
            "credentials stay out of logs"
        );
    }

    #[test]
    fn hostile_or_unknown_services_are_left_out() {
        let servers = parse(&result(
            "<iq xmlns='jabber:client' type='result' id='e1'>\
             <services xmlns='urn:xmpp:extdisco:1'>\
             <service type='turn' host='evil.test?transport=tcp' port='3478'/>\
             <service type='turn' host='a b' port='3478'/>\
             <service type='turn' host='ok.test' port='99999'/>\
             <service type='turn' host='ok.test' port='0'/>\
             <service type='turn' host='ok.test' transport='sctp'/>\
             <service type='xmpp' host='ok.test'/>\
             <service host='ok.test'/>\
             <service type='stun' host='ok.test'/>\
             </services></iq>",
        ));
        let urls: Vec<&str> = servers.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, ["stun:ok.test"]);
        assert!(parse(&result("<iq xmlns='jabber:client' type='result' id='e1'/>")).is_empty());
    }

    #[test]
    fn the_query_goes_to_the_domain() {
        let q = query("e1", "meet.test", V2);
        assert_eq!(q.get_attr("to"), Some("meet.test"));
        assert_eq!(q.get_attr("type"), Some("get"));
        assert!(q.get_child("services", V2).is_some());
    }
}
