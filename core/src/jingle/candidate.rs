//! ICE candidates between Jingle and SDP (`a=candidate:` per RFC 8839 §5.1), as
//! lib-jitsi-meet's `SDPUtil.candidateToJingle`/`candidateFromJingle` map them. The same text is
//! what a PeerConnection takes and emits for trickled candidates.

use super::error::JingleError;
use super::model::{Candidate, CandidateType};
use super::sdp_text::is_token;

impl Candidate {
    /// The attribute value after `candidate:`.
    pub fn to_sdp_value(&self) -> String {
        let mut s = format!(
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.protocol,
            self.priority,
            self.ip,
            self.port,
            self.kind.as_str()
        );
        if let (Some(addr), Some(port)) = (&self.rel_addr, self.rel_port) {
            s.push_str(&format!(" raddr {addr} rport {port}"));
        }
        if let Some(tcptype) = &self.tcptype {
            s.push_str(&format!(" tcptype {tcptype}"));
        }
        s.push_str(&format!(" generation {}", self.generation));
        s
    }

    /// Parses `candidate:...`, `a=candidate:...` or the bare attribute value.
    pub fn from_sdp_value(line: &str) -> Result<Candidate, JingleError> {
        const E: &str = "candidate";
        let value = line.trim_end_matches(['\r', '\n']);
        let value = value.strip_prefix("a=").unwrap_or(value);
        let value = value.strip_prefix("candidate:").unwrap_or(value);
        let parts: Vec<&str> = value
            .split(' ')
            .filter(|p| !p.is_empty())
            .take(64)
            .collect();
        if parts.len() < 8 || parts[6] != "typ" {
            return Err(JingleError::invalid(E, "line", value));
        }
        let num = |attr: &'static str, v: &str| -> Result<u32, JingleError> {
            if !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(JingleError::invalid(E, attr, v));
            }
            v.parse().map_err(|_| JingleError::invalid(E, attr, v))
        };
        let tok = |attr: &'static str, v: &str| -> Result<String, JingleError> {
            if is_token(v) {
                Ok(v.to_string())
            } else {
                Err(JingleError::invalid(E, attr, v))
            }
        };
        let component = u8::try_from(num("component", parts[1])?)
            .map_err(|_| JingleError::invalid(E, "component", parts[1]))?;
        let port = u16::try_from(num("port", parts[5])?)
            .map_err(|_| JingleError::invalid(E, "port", parts[5]))?;
        let mut c = Candidate {
            component,
            foundation: tok("foundation", parts[0])?,
            generation: 0,
            id: None,
            ip: tok("ip", parts[4])?,
            port,
            priority: num("priority", parts[3])?,
            protocol: tok("protocol", parts[2])?.to_ascii_lowercase(),
            kind: CandidateType::parse(parts[7])
                .ok_or_else(|| JingleError::invalid(E, "type", parts[7]))?,
            rel_addr: None,
            rel_port: None,
            network: None,
            tcptype: None,
        };
        for pair in parts[8..].chunks(2) {
            let [key, v] = pair else { break };
            match *key {
                "raddr" => c.rel_addr = Some(tok("rel-addr", v)?),
                "rport" => {
                    c.rel_port = Some(
                        u16::try_from(num("rel-port", v)?)
                            .map_err(|_| JingleError::invalid(E, "rel-port", v))?,
                    )
                }
                "generation" => c.generation = num("generation", v)?,
                "tcptype" => c.tcptype = Some(tok("tcptype", v)?),
                "network-id" => c.network = Some(num("network", v)?),
                // ufrag, network-cost and future extensions have no Jingle attribute.
                _ => {}
            }
        }
        Ok(c)
    }
}
