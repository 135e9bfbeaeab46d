//! An SDP (RFC 8866) model just rich enough for WebRTC offers and answers: the session part and
//! the media sections keep every line in order, unknown attributes included, so an SDP we did not
//! fully understand is written back unchanged. Parsing is strict about structure (`v=` first,
//! `type=value` lines, a well-formed `m=` line) and tolerant about line endings.

use std::fmt;

use super::limits;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP of {0} bytes exceeds the limit")]
    TooLarge(usize),
    #[error("SDP has more than {0} lines")]
    TooManyLines(usize),
    #[error("SDP has more than {0} media sections")]
    TooManyMedia(usize),
    #[error("SDP must start with v=0")]
    MissingVersion,
    #[error("malformed SDP line {line}")]
    MalformedLine { line: usize },
    #[error("malformed m= line {line}")]
    MalformedMedia { line: usize },
    #[error("malformed a={0} value")]
    MalformedAttribute(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdpLine {
    /// `a=name` or `a=name:value`.
    Attr { name: String, value: Option<String> },
    /// Any other `x=value` line (`o=`, `s=`, `c=`, `b=` ...).
    Field { kind: char, value: String },
}

impl SdpLine {
    pub fn attr(name: impl Into<String>, value: impl Into<String>) -> Self {
        SdpLine::Attr {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    pub fn flag(name: impl Into<String>) -> Self {
        SdpLine::Attr {
            name: name.into(),
            value: None,
        }
    }

    pub fn field(kind: char, value: impl Into<String>) -> Self {
        SdpLine::Field {
            kind,
            value: value.into(),
        }
    }

    fn parse(text: &str, line: usize) -> Result<SdpLine, SdpError> {
        let mut chars = text.chars();
        let kind = chars.next().filter(char::is_ascii_lowercase);
        let (Some(kind), Some('=')) = (kind, chars.next()) else {
            return Err(SdpError::MalformedLine { line });
        };
        let value = &text[2..];
        if kind != 'a' {
            return Ok(SdpLine::field(kind, value));
        }
        Ok(match value.split_once(':') {
            Some((name, v)) => SdpLine::attr(name, v),
            None => SdpLine::flag(value),
        })
    }
}

impl fmt::Display for SdpLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdpLine::Attr { name, value: None } => write!(f, "a={name}"),
            SdpLine::Attr {
                name,
                value: Some(v),
            } => write!(f, "a={name}:{v}"),
            SdpLine::Field { kind, value } => write!(f, "{kind}={value}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn parse(s: &str) -> Option<Direction> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

/// Attribute lookups shared by the session part and media sections.
pub trait Attributes {
    fn lines(&self) -> &[SdpLine];

    /// Values of every `a=name:value` line, in order.
    fn attrs<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines().iter().filter_map(move |l| match l {
            SdpLine::Attr { name: n, value } if n == name => Some(value.as_deref().unwrap_or("")),
            _ => None,
        })
    }

    fn attr<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.attrs(name).next()
    }

    fn has_attr(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    pub media: String,
    pub port: u16,
    pub proto: String,
    pub formats: Vec<String>,
    /// Everything after the `m=` line.
    pub lines: Vec<SdpLine>,
}

impl Attributes for MediaSection {
    fn lines(&self) -> &[SdpLine] {
        &self.lines
    }
}

impl MediaSection {
    fn parse_m_line(value: &str, line: usize) -> Result<MediaSection, SdpError> {
        let bad = || SdpError::MalformedMedia { line };
        let mut parts = value.split(' ').filter(|p| !p.is_empty());
        let media = parts.next().ok_or_else(bad)?;
        // `port/count` (RFC 8866 §5.14) is legal but never used by WebRTC; keep the port only.
        let port = parts.next().ok_or_else(bad)?;
        let port = port.split('/').next().unwrap_or(port);
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let port: u16 = port.parse().map_err(|_| bad())?;
        let proto = parts.next().ok_or_else(bad)?;
        let formats: Vec<String> = parts.map(str::to_string).collect();
        if formats.len() > limits::MAX_PAYLOAD_TYPES {
            return Err(bad());
        }
        Ok(MediaSection {
            media: media.to_string(),
            port,
            proto: proto.to_string(),
            formats,
            lines: Vec::new(),
        })
    }

    pub fn mid(&self) -> Option<&str> {
        self.attr("mid")
    }

    pub fn direction(&self) -> Option<Direction> {
        self.lines.iter().find_map(|l| match l {
            SdpLine::Attr { name, value: None } => Direction::parse(name),
            _ => None,
        })
    }

    pub fn set_direction(&mut self, direction: Direction) {
        let new = SdpLine::flag(direction.as_str());
        match self.lines.iter().position(
            |l| matches!(l, SdpLine::Attr { name, value: None } if Direction::parse(name).is_some()),
        ) {
            Some(i) => self.lines[i] = new,
            None => self.lines.push(new),
        }
    }

    pub fn set_attr(&mut self, name: &str, value: &str) {
        match self
            .lines
            .iter_mut()
            .find(|l| matches!(l, SdpLine::Attr { name: n, .. } if n == name))
        {
            Some(l) => *l = SdpLine::attr(name, value),
            None => self.lines.push(SdpLine::attr(name, value)),
        }
    }

    pub fn retain_lines(&mut self, keep: impl FnMut(&SdpLine) -> bool) {
        self.lines.retain(keep);
    }

    /// The SSRCs of `a=ssrc:` lines, each once, in first-seen order.
    /// `!ssrcs().is_empty()` without collecting them: asked of every m-line per source added.
    pub fn has_ssrcs(&self) -> bool {
        self.attrs("ssrc").any(|v| {
            v.split(' ')
                .next()
                .is_some_and(|s| s.parse::<u32>().is_ok())
        })
    }

    pub fn ssrcs(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for v in self.attrs("ssrc") {
            if let Some(ssrc) = v.split(' ').next().and_then(|s| s.parse().ok()) {
                if !out.contains(&ssrc) {
                    out.push(ssrc);
                }
            }
        }
        out
    }

    /// `a=ssrc:<ssrc> <attribute>:<value>` for one SSRC.
    pub fn ssrc_attr(&self, ssrc: u32, attribute: &str) -> Option<&str> {
        let prefix = ssrc.to_string();
        self.attrs("ssrc").find_map(|v| {
            let (s, rest) = v.split_once(' ')?;
            if s != prefix {
                return None;
            }
            match rest.split_once(':') {
                Some((a, value)) if a == attribute => Some(value),
                None if rest == attribute => Some(""),
                _ => None,
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// Session-level lines after `v=0`.
    pub session: Vec<SdpLine>,
    pub media: Vec<MediaSection>,
}

impl Attributes for Sdp {
    fn lines(&self) -> &[SdpLine] {
        &self.session
    }
}

impl Sdp {
    pub fn parse(text: &str) -> Result<Sdp, SdpError> {
        if text.len() > limits::MAX_SDP_BYTES {
            return Err(SdpError::TooLarge(text.len()));
        }
        let mut lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        match lines.next() {
            Some((_, "v=0")) => {}
            _ => return Err(SdpError::MissingVersion),
        }
        let mut sdp = Sdp {
            session: Vec::new(),
            media: Vec::new(),
        };
        for (count, (i, text)) in lines.enumerate() {
            let line = i + 1;
            if count >= limits::MAX_SDP_LINES {
                return Err(SdpError::TooManyLines(limits::MAX_SDP_LINES));
            }
            if text.contains(|c: char| c.is_control() && c != '\t') {
                return Err(SdpError::MalformedLine { line });
            }
            match SdpLine::parse(text, line)? {
                SdpLine::Field { kind: 'm', value } => {
                    if sdp.media.len() == limits::MAX_MEDIA_SECTIONS {
                        return Err(SdpError::TooManyMedia(limits::MAX_MEDIA_SECTIONS));
                    }
                    sdp.media.push(MediaSection::parse_m_line(&value, line)?);
                }
                parsed => match sdp.media.last_mut() {
                    Some(m) => m.lines.push(parsed),
                    None => sdp.session.push(parsed),
                },
            }
        }
        Ok(sdp)
    }

    /// Mids of the first `a=group:BUNDLE` line.
    pub fn bundle(&self) -> Option<Vec<&str>> {
        self.attrs("group").find_map(|g| {
            let mut parts = g.split(' ').filter(|p| !p.is_empty());
            (parts.next() == Some("BUNDLE")).then(|| parts.collect())
        })
    }

    pub fn set_bundle(&mut self, mids: &[&str]) {
        let value = std::iter::once("BUNDLE")
            .chain(mids.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let existing = self.session.iter_mut().find(|l| {
            matches!(l, SdpLine::Attr { name, value: Some(v) } if name == "group" && v.starts_with("BUNDLE"))
        });
        match existing {
            Some(l) => *l = SdpLine::attr("group", value),
            None => {
                // After o=/s=/t=, where browsers put it.
                let at = self
                    .session
                    .iter()
                    .position(|l| matches!(l, SdpLine::Attr { .. }))
                    .unwrap_or(self.session.len());
                self.session.insert(at, SdpLine::attr("group", value));
            }
        }
    }

    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaSection> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// One line per m-line (mid, media, port, direction, SSRCs, msid), for logs: what a
    /// renegotiation changed is visible without the whole SDP.
    pub fn outline(&self) -> String {
        self.media
            .iter()
            .map(|m| {
                let ssrcs = m.ssrcs();
                let msid = ssrcs.first().and_then(|s| m.ssrc_attr(*s, "msid"));
                format!(
                    "mid {} {} port {} {} ssrcs {:?} msid {:?}",
                    m.mid().unwrap_or("-"),
                    m.media,
                    m.port,
                    m.direction().map_or("-", Direction::as_str),
                    ssrcs,
                    msid
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=0\r\n")?;
        for l in &self.session {
            write!(f, "{l}\r\n")?;
        }
        for m in &self.media {
            write!(f, "m={} {} {}", m.media, m.port, m.proto)?;
            for fmt in &m.formats {
                write!(f, " {fmt}")?;
            }
            f.write_str("\r\n")?;
            for l in &m.lines {
                write!(f, "{l}\r\n")?;
            }
        }
        Ok(())
    }
}
