//! JIDs and the Jitsi identifiers derived from them.

use std::fmt;

/// A parsed JID `node@domain/resource`. Only the shape is checked: the server enforces stringprep.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jid {
    node: Option<String>,
    domain: String,
    resource: Option<String>,
}

impl Jid {
    pub fn parse(s: &str) -> Option<Jid> {
        let (bare, resource) = match s.split_once('/') {
            Some((b, r)) if !r.is_empty() => (b, Some(r.to_string())),
            Some(_) => return None,
            None => (s, None),
        };
        let (node, domain) = match bare.split_once('@') {
            Some((n, d)) if !n.is_empty() => (Some(n.to_string()), d),
            Some(_) => return None,
            None => (None, bare),
        };
        if domain.is_empty() || domain.contains('@') || s.len() > 3071 {
            return None;
        }
        Some(Jid {
            node,
            domain: domain.to_string(),
            resource,
        })
    }

    pub fn new(node: Option<&str>, domain: &str, resource: Option<&str>) -> Jid {
        Jid {
            node: node.map(str::to_string),
            domain: domain.to_string(),
            resource: resource.map(str::to_string),
        }
    }

    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    pub fn bare(&self) -> Jid {
        Jid {
            resource: None,
            ..self.clone()
        }
    }

    pub fn with_resource(&self, resource: &str) -> Jid {
        Jid {
            resource: Some(resource.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(node) = &self.node {
            write!(f, "{node}@")?;
        }
        f.write_str(&self.domain)?;
        if let Some(res) = &self.resource {
            write!(f, "/{res}")?;
        }
        Ok(())
    }
}

/// A conference participant's id: its MUC nickname, 8 hex digits as lib-jitsi-meet makes them,
/// and the prefix of its media source names (`EP-a0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct EndpointId(String);

impl EndpointId {
    pub fn new(id: impl Into<String>) -> EndpointId {
        EndpointId(id.into())
    }

    pub fn random() -> EndpointId {
        EndpointId(format!("{:08x}", rand::random::<u32>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_full_bare_and_domain_jids() {
        for s in [
            "room@conference.meet.test/abcd1234",
            "focus.meet.test",
            "user@meet.test",
        ] {
            assert_eq!(Jid::parse(s).unwrap().to_string(), s);
        }
        let j = Jid::parse("room@conference.meet.test/nick/with/slash").unwrap();
        assert_eq!(j.resource(), Some("nick/with/slash"));
        assert_eq!(j.bare().to_string(), "room@conference.meet.test");
    }

    #[test]
    fn rejects_malformed_jids() {
        for s in ["", "@x", "a@", "a@b/", "a@b@c", "/r"] {
            assert!(Jid::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn random_endpoint_ids_have_jitsi_shape() {
        let id = EndpointId::random();
        assert_eq!(id.as_str().len(), 8);
        assert!(id.as_str().chars().all(|c| c.is_ascii_hexdigit()));
    }
}
