//! Splits a long-lived XML stream (`<stream:stream>` over TCP, as XEP-0114 components use) into
//! top-level stanzas, each parsed with the stream header's namespace context.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::parse::{attr_value, parse_in_context, qname, NsContext, XmlError, XmlLimits};
use super::Element;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The opening `<stream:stream>` with its attributes (id, from, ...).
    Header(Vec<(String, String)>),
    Stanza(Element),
    End,
}

#[derive(Debug, Default)]
pub struct StreamSplitter {
    buf: Vec<u8>,
    limits: XmlLimits,
    ctx: Option<NsContext>,
    ended: bool,
    /// How far the stanza at the front of `buf` has been scanned.
    scan: Scan,
}

impl StreamSplitter {
    pub fn new(limits: XmlLimits) -> Self {
        StreamSplitter {
            limits,
            ..Default::default()
        }
    }

    /// Feeds received bytes and returns every complete event they finish.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, XmlError> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while !self.ended {
            match self.next_event()? {
                Some(ev) => out.push(ev),
                None => break,
            }
        }
        if self.buf.len() > self.limits.max_bytes {
            return Err(XmlError::TooLarge(self.buf.len()));
        }
        Ok(out)
    }

    fn next_event(&mut self) -> Result<Option<StreamEvent>, XmlError> {
        let Some(start) = self.buf.iter().position(|b| !b.is_ascii_whitespace()) else {
            self.buf.clear();
            return Ok(None);
        };
        self.buf.drain(..start);
        if self.buf.is_empty() {
            return Ok(None);
        }
        if self.ctx.is_none() {
            return self.read_header();
        }
        if self.buf.starts_with(b"</") {
            let Some(end) = find_tag_end(&self.buf, 0) else {
                return Ok(None);
            };
            self.buf.drain(..=end);
            self.ended = true;
            return Ok(Some(StreamEvent::End));
        }
        let Some(len) = self.scan.advance(&self.buf)? else {
            return Ok(None);
        };
        self.scan = Scan::default();
        let raw: Vec<u8> = self.buf.drain(..len).collect();
        let text =
            std::str::from_utf8(&raw).map_err(|_| XmlError::Malformed("invalid UTF-8".into()))?;
        let ctx = self.ctx.as_ref().expect("header read");
        parse_in_context(text, &self.limits, ctx).map(|el| Some(StreamEvent::Stanza(el)))
    }

    fn read_header(&mut self) -> Result<Option<StreamEvent>, XmlError> {
        loop {
            let Some(end) = find_tag_end(&self.buf, 0) else {
                return Ok(None);
            };
            let tag: Vec<u8> = self.buf.drain(..=end).collect();
            if tag.starts_with(b"<?") {
                continue;
            }
            if tag.starts_with(b"<!") {
                return Err(XmlError::DoctypeForbidden);
            }
            let mut reader = Reader::from_reader(&tag[..]);
            let Ok(Event::Start(start)) = reader.read_event() else {
                return Err(XmlError::Malformed("expected a stream header".into()));
            };
            let mut ctx = NsContext::default();
            let mut attrs = Vec::new();
            for attr in start.attributes() {
                let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
                // The same rules as inside a stanza: the namespaces declared here end up in
                // every stanza's elements.
                let key = qname(attr.key.as_ref())?;
                let value = attr_value(&attr)?;
                if key == "xmlns" {
                    ctx.default_ns = value;
                } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                    ctx.prefixes.push((prefix.to_string(), value));
                } else {
                    attrs.push((key, value));
                }
            }
            self.ctx = Some(ctx);
            return Ok(Some(StreamEvent::Header(attrs)));
        }
    }
}

/// Index of the `>` closing the tag that starts at `from`, skipping quoted attribute values.
fn find_tag_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in buf.iter().enumerate().skip(from) {
        match (quote, b) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Where the scan of a stanza stopped, so that each byte is looked at once however the stanza is
/// cut into reads: rescanning from its start on every read made a stanza trickled in small
/// pieces cost the square of its size.
#[derive(Debug, Default)]
struct Scan {
    pos: usize,
    depth: usize,
    within: Within,
}

#[derive(Debug, Default)]
enum Within {
    #[default]
    Content,
    /// A tag that opened at `start`, and the quote of the attribute value we are in.
    Tag { start: usize, quote: Option<u8> },
    /// CDATA or a comment, until this terminator.
    Until(&'static [u8]),
}

impl Scan {
    /// Length of the first complete element in `buf`, or None if more bytes are needed.
    fn advance(&mut self, buf: &[u8]) -> Result<Option<usize>, XmlError> {
        while self.pos < buf.len() {
            let b = buf[self.pos];
            match &mut self.within {
                Within::Content if b != b'<' => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed("text between stanzas".into()));
                    }
                    self.pos += 1;
                }
                Within::Content => {
                    let rest = &buf[self.pos..];
                    let opener = [
                        (&b"<![CDATA["[..], &b"]]>"[..]),
                        (&b"<!--"[..], &b"-->"[..]),
                    ]
                    .into_iter()
                    .find(|(open, _)| rest.starts_with(open) || open.starts_with(rest));
                    match opener {
                        Some((open, close)) if rest.starts_with(open) => {
                            self.within = Within::Until(close);
                            self.pos += open.len();
                        }
                        // Too few bytes yet to tell CDATA or a comment from a tag.
                        Some(_) => return Ok(None),
                        None => {
                            self.within = Within::Tag {
                                start: self.pos,
                                quote: None,
                            };
                            self.pos += 1;
                        }
                    }
                }
                Within::Until(close) => {
                    self.pos += 1;
                    if buf[..self.pos].ends_with(close) {
                        self.within = Within::Content;
                    }
                }
                Within::Tag { quote, .. } if *quote == Some(b) => {
                    *quote = None;
                    self.pos += 1;
                }
                Within::Tag { quote: Some(_), .. } => self.pos += 1,
                Within::Tag { quote, .. } if b == b'"' || b == b'\'' => {
                    *quote = Some(b);
                    self.pos += 1;
                }
                Within::Tag { start, .. } if b == b'>' => {
                    let tag = &buf[*start..=self.pos];
                    if tag.starts_with(b"</") {
                        self.depth = self
                            .depth
                            .checked_sub(1)
                            .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                    } else if tag.starts_with(b"<!") {
                        return Err(XmlError::DoctypeForbidden);
                    } else if !tag.starts_with(b"<?") && !tag.ends_with(b"/>") {
                        self.depth += 1;
                    }
                    self.within = Within::Content;
                    self.pos += 1;
                    if self.depth == 0 {
                        return Ok(Some(self.pos));
                    }
                }
                Within::Tag { .. } => self.pos += 1,
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_component_stream_fed_in_pieces() {
        let stream = "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' \
                      xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='focus.x'>\
                      <handshake/><iq type='get' id='1'><query xmlns='q' a='>'/></iq>\
                      <message><body>a &lt; b</body></message></stream:stream>";
        let mut splitter = StreamSplitter::new(XmlLimits::default());
        let mut events = Vec::new();
        for chunk in stream.as_bytes().chunks(7) {
            events.extend(splitter.feed(chunk).unwrap());
        }
        assert_eq!(events.len(), 5);
        assert!(
            matches!(&events[0], StreamEvent::Header(a) if a.contains(&("id".into(), "abc".into())))
        );
        let StreamEvent::Stanza(iq) = &events[2] else {
            panic!("expected iq")
        };
        assert!(iq.is("iq", "jabber:component:accept"));
        assert_eq!(iq.get_child("query", "q").unwrap().get_attr("a"), Some(">"));
        let StreamEvent::Stanza(msg) = &events[3] else {
            panic!("expected message")
        };
        assert_eq!(
            msg.child_text("body", "jabber:component:accept").as_deref(),
            Some("a < b")
        );
        assert_eq!(events[4], StreamEvent::End);
    }

    #[test]
    fn any_cut_of_the_stream_gives_the_same_stanzas() {
        let stream = "<stream:stream xmlns='jabber:component:accept' \
                      xmlns:stream='http://etherx.jabber.org/streams'>\
                      <message a=\"x>'y\"><body><![CDATA[<b></body>]]></body><!-- <c> --></message>\
                      <iq type='get'/> <presence><x>t</x></presence>";
        let whole = StreamSplitter::new(XmlLimits::default())
            .feed(stream.as_bytes())
            .unwrap();
        assert_eq!(whole.len(), 4);
        let StreamEvent::Stanza(message) = &whole[1] else {
            panic!("expected the message")
        };
        assert_eq!(message.get_attr("a"), Some("x>'y"));
        for size in 1..stream.len() {
            let mut splitter = StreamSplitter::new(XmlLimits::default());
            let mut events = Vec::new();
            for chunk in stream.as_bytes().chunks(size) {
                events.extend(splitter.feed(chunk).unwrap());
            }
            assert_eq!(events, whole, "cut every {size} bytes");
        }
    }

    #[test]
    fn the_header_s_namespaces_are_checked_like_a_stanza_s() {
        // Found by the xml_splitter fuzz target: the header's attributes were taken raw, so a
        // form feed or an unescaped entity in `xmlns` became every stanza's namespace.
        for header in [
            "<stream:stream xmlns='a\u{c}b' xmlns:stream='s'>",
            "<stream:stream xmlns='a&unknown;' xmlns:stream='s'>",
            "<stream:stream xmlns='a' 1x='s'>",
        ] {
            let mut splitter = StreamSplitter::new(XmlLimits::default());
            assert!(splitter.feed(header.as_bytes()).is_err(), "{header:?}");
        }
        let mut splitter = StreamSplitter::new(XmlLimits::default());
        let events = splitter
            .feed(b"<stream:stream xmlns='a&amp;b' xmlns:stream='s'><x/>")
            .unwrap();
        assert!(matches!(&events[1], StreamEvent::Stanza(x) if x.ns() == "a&b"));
    }

    #[test]
    fn bounds_an_unfinished_stanza() {
        let mut splitter = StreamSplitter::new(XmlLimits {
            max_bytes: 64,
            ..XmlLimits::default()
        });
        splitter.feed(b"<stream:stream xmlns:stream='s'>").unwrap();
        assert!(splitter.feed(b"<a>").is_ok());
        assert!(matches!(
            splitter.feed(&[b'x'; 100]),
            Err(XmlError::TooLarge(_))
        ));
    }
}
