//! Where to connect: from the app's server URL to the XMPP domain, MUC, focus and WebSocket.
//! A deployment publishes them in its config.js; that file is JavaScript, so it is scanned for
//! the few keys we need (comments stripped) and never evaluated.

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::redact;
use crate::room_name::RoomName;
use crate::transport::{http, Policy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub domain: String,
    pub muc: String,
    pub focus: String,
    /// The WebSocket URL without the per-join query (`room`, `token`).
    pub websocket: Url,
}

impl Endpoints {
    /// The URL to open for one join: lib-jitsi-meet adds `room` (sharded deployments route on
    /// it) and, for token auth, `token`.
    pub fn websocket_for(&self, room: &RoomName, token: Option<&str>) -> Url {
        let mut url = self.websocket.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("room", &room.muc_node());
            if let Some(t) = token {
                q.append_pair("token", t);
            }
        }
        url
    }
}

const CONFIG_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn resolve(
    server_url: &str,
    overrides: &BTreeMap<String, String>,
    policy: &Policy,
) -> Result<Endpoints, Error> {
    let url = parse_server_url(server_url)?;
    policy.check(&url)?;
    let found = match url.scheme() {
        "ws" | "wss" => ConfigKeys {
            websocket: Some(url.to_string()),
            ..hosts_beside_websocket(&url, overrides, policy).await
        },
        _ => {
            let mut config_url = url.clone();
            let base = url.path().trim_end_matches('/');
            config_url.set_path(&format!("{base}/config.js"));
            config_url.set_query(None);
            match http::get(&config_url, CONFIG_TIMEOUT, policy).await {
                Ok(js) => ConfigKeys::scan(&js),
                Err(e @ (Error::ServerUnreachable { .. } | Error::Tls { .. })) => return Err(e),
                Err(e) => {
                    log::warn!("could not read {config_url}: {e}; using the default endpoints");
                    ConfigKeys::default()
                }
            }
        }
    };
    endpoints(server_url, &url, found, overrides)
}

/// `resolve` with the deployment's config.js already read, for the fuzzer: everything but the
/// HTTP requests.
#[cfg(feature = "fuzzing")]
pub fn resolve_offline(server_url: &str, config_js: &str) -> Result<Endpoints, Error> {
    let url = parse_server_url(server_url)?;
    let mut found = ConfigKeys::scan(config_js);
    if matches!(url.scheme(), "ws" | "wss") {
        found.websocket = Some(url.to_string());
    }
    endpoints(server_url, &url, found, &BTreeMap::new())
}

fn invalid(server_url: &str, reason: &str) -> Error {
    Error::InvalidServerUrl {
        url: redact::url(server_url),
        reason: reason.to_string(),
    }
}

/// The app's URL, refused unless it names a host over a scheme we can follow.
fn parse_server_url(server_url: &str) -> Result<Url, Error> {
    let url = Url::parse(server_url.trim()).map_err(|e| invalid(server_url, &e.to_string()))?;
    if url.host_str().is_none() {
        return Err(invalid(server_url, "the URL has no host"));
    }
    match url.scheme() {
        "ws" | "wss" | "http" | "https" => Ok(url),
        other => Err(invalid(server_url, &format!("unsupported scheme {other}"))),
    }
}

/// The endpoints from what config.js named, the overrides, and defaults derived from the URL.
fn endpoints(
    server_url: &str,
    url: &Url,
    mut found: ConfigKeys,
    overrides: &BTreeMap<String, String>,
) -> Result<Endpoints, Error> {
    found.apply(overrides);
    let host = url.host_str().unwrap_or_default();
    let domain = found.domain.unwrap_or_else(|| host.to_string());
    let websocket = match found.websocket {
        Some(ws) => absolutize(&ws, url)
            .ok_or_else(|| invalid(server_url, "config.js names an invalid websocket URL"))?,
        None => {
            let scheme = if url.scheme() == "http" { "ws" } else { "wss" };
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            Url::parse(&format!("{scheme}://{host}{port}/xmpp-websocket"))
                .map_err(|e| invalid(server_url, &e.to_string()))?
        }
    };
    Ok(Endpoints {
        muc: found.muc.unwrap_or_else(|| format!("conference.{domain}")),
        focus: found.focus.unwrap_or_else(|| format!("focus.{domain}")),
        domain,
        websocket,
    })
}

/// For a direct WebSocket URL, the domain, MUC and focus the deployment's config.js names, read
/// from beside the WebSocket the way a browser client loads it from the same host (`wss://H/P/
/// xmpp-websocket` -> `https://H/P/config.js`): the URL's host is often not the XMPP domain (an
/// IP address, a load balancer). Nothing when `hosts.domain` is set or config.js cannot be read;
/// the WebSocket itself then reports an unreachable server.
async fn hosts_beside_websocket(
    ws: &Url,
    overrides: &BTreeMap<String, String>,
    policy: &Policy,
) -> ConfigKeys {
    if overrides.contains_key("hosts.domain") {
        return ConfigKeys::default();
    }
    let mut config_url = ws.clone();
    if config_url
        .set_scheme(if ws.scheme() == "ws" { "http" } else { "https" })
        .is_err()
    {
        return ConfigKeys::default();
    }
    let dir = ws.path().rsplit_once('/').map_or("", |(dir, _)| dir);
    config_url.set_path(&format!("{dir}/config.js"));
    config_url.set_query(None);
    match http::get(&config_url, CONFIG_TIMEOUT, policy).await {
        Ok(js) => ConfigKeys {
            websocket: None,
            ..ConfigKeys::scan(&js)
        },
        Err(e) => {
            log::debug!("no config.js beside the WebSocket at {config_url}: {e}");
            ConfigKeys::default()
        }
    }
}

/// config.js often gives `//host/path` or `wss://...`; make it a WebSocket URL.
fn absolutize(ws: &str, base: &Url) -> Option<Url> {
    let ws = ws.trim();
    let full = if let Some(rest) = ws.strip_prefix("//") {
        let scheme = if base.scheme() == "http" || base.scheme() == "ws" {
            "ws"
        } else {
            "wss"
        };
        format!("{scheme}://{rest}")
    } else {
        ws.to_string()
    };
    let url = Url::parse(&full).ok()?;
    matches!(url.scheme(), "ws" | "wss").then_some(url)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct ConfigKeys {
    domain: Option<String>,
    muc: Option<String>,
    focus: Option<String>,
    websocket: Option<String>,
}

impl ConfigKeys {
    fn scan(js: &str) -> ConfigKeys {
        let code = strip_comments(js);
        let hosts = code.find("hosts").map(|i| &code[i..]).unwrap_or("");
        ConfigKeys {
            domain: string_value(hosts, "domain"),
            muc: string_value(hosts, "muc"),
            focus: string_value(hosts, "focus"),
            websocket: string_value(&code, "websocket"),
        }
    }

    fn apply(&mut self, overrides: &BTreeMap<String, String>) {
        for (key, value) in overrides {
            let slot = match key.as_str() {
                "hosts.domain" => &mut self.domain,
                "hosts.muc" => &mut self.muc,
                "hosts.focus" => &mut self.focus,
                "websocket" => &mut self.websocket,
                other => {
                    log::debug!("config override {other} does not affect signalling");
                    continue;
                }
            };
            *slot = Some(value.clone());
        }
    }
}

/// Removes `//` and `/* */` comments outside string literals.
fn strip_comments(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut chars = js.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            ('\'' | '"' | '`', _) => {
                quote = Some(c);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The first `key: 'value'` (key optionally quoted) in `code`, as a string.
fn string_value(code: &str, key: &str) -> Option<String> {
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(pos) = code[from..].find(key) {
        let start = from + pos;
        from = start + key.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
            continue;
        }
        let rest = code[from..].trim_start_matches(['\'', '"']).trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let q = rest.chars().next()?;
        if !matches!(q, '\'' | '"' | '`') {
            continue;
        }
        let end = rest[1..].find(q)?;
        return Some(rest[1..1 + end].to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG_JS: &str = r#"
        /* eslint-disable */
        var config = {
            // Connection
            hosts: {
                // XMPP domain.
                domain: 'meet.example.org',
                // anonymousdomain: 'guest.example.org',
                muc: 'conference.' + subdir + 'meet.example.org', // dynamic on real installs
                focus: "focus.meet.example.org",
            },
            // websocket: 'wss://wrong.example.org/xmpp-websocket',
            bosh: '//meet.example.org/http-bind',
            websocket: 'wss://meet.example.org/xmpp-websocket', // the real one
            websocketKeepAliveUrl: 'https://x//y',
        };"#;

    #[test]
    fn scans_config_js_without_evaluating_it() {
        let keys = ConfigKeys::scan(CONFIG_JS);
        assert_eq!(keys.domain.as_deref(), Some("meet.example.org"));
        assert_eq!(keys.muc.as_deref(), Some("conference."));
        assert_eq!(keys.focus.as_deref(), Some("focus.meet.example.org"));
        assert_eq!(
            keys.websocket.as_deref(),
            Some("wss://meet.example.org/xmpp-websocket")
        );
    }

    #[test]
    fn hostile_or_empty_config_js_yields_nothing() {
        assert_eq!(ConfigKeys::scan(""), ConfigKeys::default());
        assert_eq!(
            ConfigKeys::scan("hosts: { domain: 'unterminated"),
            ConfigKeys::default()
        );
        assert_eq!(
            ConfigKeys::scan(&"/*".repeat(10_000)),
            ConfigKeys::default()
        );
    }

    #[tokio::test]
    async fn a_direct_websocket_url_derives_the_rest_and_overrides_win() {
        let mut overrides = BTreeMap::new();
        overrides.insert("hosts.domain".to_string(), "meet.test".to_string());
        let e = resolve(
            "ws://127.0.0.1:5280/xmpp-websocket",
            &overrides,
            &Policy::default(),
        )
        .await
        .unwrap();
        assert_eq!(e.domain, "meet.test");
        assert_eq!(e.muc, "conference.meet.test");
        assert_eq!(e.focus, "focus.meet.test");
        let room = RoomName::parse("Café").unwrap();
        assert_eq!(
            e.websocket_for(&room, Some("eyJ")).as_str(),
            "ws://127.0.0.1:5280/xmpp-websocket?room=caf%25c3%25a9&token=eyJ"
        );
    }

    #[tokio::test]
    async fn bad_urls_are_typed_errors() {
        for bad in ["", "not a url", "ftp://x", "https://"] {
            assert!(
                matches!(
                    resolve(bad, &BTreeMap::new(), &Policy::default()).await,
                    Err(Error::InvalidServerUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn plain_text_to_another_host_needs_the_apps_consent() {
        let mut overrides = BTreeMap::new();
        overrides.insert("hosts.domain".to_string(), "meet.test".to_string());
        for url in [
            "http://meet.example.org",
            "ws://192.0.2.7/xmpp-websocket",
            "ws://[2001:db8::1]/xmpp-websocket",
        ] {
            let err = resolve(url, &overrides, &Policy::default()).await;
            assert!(
                matches!(&err, Err(Error::InvalidServerUrl { reason, .. }) if reason.contains("in clear")),
                "{url}: {err:?}"
            );
        }
        let consent = Policy::new(&[], true).unwrap();
        let e = resolve("ws://192.0.2.7/xmpp-websocket", &overrides, &consent)
            .await
            .unwrap();
        assert_eq!(e.websocket.host_str(), Some("192.0.2.7"));
        for local in [
            "ws://localhost:5280/xmpp-websocket",
            "ws://127.0.0.2:5280/xmpp-websocket",
            "ws://[::1]:5280/xmpp-websocket",
        ] {
            assert!(
                resolve(local, &overrides, &Policy::default()).await.is_ok(),
                "{local}"
            );
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_is_reported_as_such() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = resolve(
            &format!("http://127.0.0.1:{port}"),
            &BTreeMap::new(),
            &Policy::default(),
        )
        .await;
        assert!(
            matches!(err, Err(Error::ServerUnreachable { .. })),
            "{err:?}"
        );
    }
}
