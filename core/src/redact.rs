//! Keeps tokens and bridge passwords out of logs and error strings: every URL that may carry `token=` passes through
//! here before it is formatted.

pub fn url(raw: &str) -> String {
    let Some((base, query)) = raw.split_once('?') else {
        return raw.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret(k) => format!("{k}=<redacted>"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn is_secret(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        // `pwd` authenticates an endpoint on jitsi-videobridge's colibri-ws URLs.
        "token" | "jwt" | "password" | "access_token" | "pwd"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn hides_token_query_values_only() {
        assert_eq!(
            super::url("wss://h/xmpp-websocket?room=abc&token=eyJ.x.y"),
            "wss://h/xmpp-websocket?room=abc&token=<redacted>"
        );
        assert_eq!(super::url("https://h/"), "https://h/");
        assert_eq!(
            super::url("wss://h/colibri-ws/jvb/c/ep?pwd=s3cret"),
            "wss://h/colibri-ws/jvb/c/ep?pwd=<redacted>"
        );
    }
}
