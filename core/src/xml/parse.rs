//! A bounded XML parser for single stanzas. RFC 7395 frames exactly one element per WebSocket
//! message, so a stanza is parsed as a whole document; the limits keep a hostile server or
//! occupant from exhausting memory (size, depth, element and attribute counts) and DTDs are
//! refused outright, so there is no entity expansion of any kind.

use std::borrow::Cow;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::element::{is_xml_char, Element};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_elements: usize,
    pub max_attributes: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        // Prosody's default c2s stanza limit is 256 KiB; a Jingle session-initiate for a large
        // conference is the biggest stanza a client legitimately receives and stays well below.
        XmlLimits {
            max_bytes: 256 * 1024,
            max_depth: 32,
            max_elements: 8192,
            max_attributes: 64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("stanza of {0} bytes exceeds the limit")]
    TooLarge(usize),
    #[error("stanza nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("stanza has more than {0} elements")]
    TooManyElements(usize),
    #[error("element has more than {0} attributes")]
    TooManyAttributes(usize),
    #[error("document type declarations are not allowed in XMPP")]
    DoctypeForbidden,
    #[error("unknown entity reference &{0};")]
    UnknownEntity(String),
    #[error("undeclared namespace prefix {0}")]
    UnboundPrefix(String),
    #[error("expected exactly one root element")]
    NotOneRoot,
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// Namespace context inherited from an enclosing stream, for stanzas split out of a long-lived
/// XML stream (XEP-0114 components) rather than framed one per message.
#[derive(Debug, Clone, Default)]
pub struct NsContext {
    pub default_ns: String,
    pub prefixes: Vec<(String, String)>,
}

pub fn parse(input: &str, limits: &XmlLimits) -> Result<Element, XmlError> {
    parse_in_context(input, limits, &NsContext::default())
}

pub fn parse_in_context(
    input: &str,
    limits: &XmlLimits,
    ctx: &NsContext,
) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(input.len()));
    }
    let mut reader = Reader::from_str(input);
    reader.config_mut().check_end_names = true;

    let mut scopes: Vec<Scope> = vec![Scope {
        default_ns: ctx.default_ns.clone(),
        prefixes: ctx.prefixes.clone(),
    }];
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) => {
                elements += 1;
                check_open(elements, stack.len() + 1, root.is_some(), limits)?;
                let (el, scope) = open_element(&start, scopes.last().expect("scope"), limits)?;
                scopes.push(scope);
                stack.push(el);
            }
            Event::Empty(start) => {
                elements += 1;
                check_open(elements, stack.len() + 1, root.is_some(), limits)?;
                let (el, _) = open_element(&start, scopes.last().expect("scope"), limits)?;
                attach(&mut stack, &mut root, el);
            }
            Event::End(_) => {
                scopes.pop();
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(text) => {
                let decoded = text
                    .decode()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                push_text(&mut stack, decoded)?;
            }
            Event::CData(data) => {
                let decoded = data
                    .decode()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                push_text(&mut stack, decoded)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?
                {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference
                            .decode()
                            .map_err(|e| XmlError::Malformed(e.to_string()))?;
                        predefined_entity(&name)
                            .ok_or_else(|| XmlError::UnknownEntity(truncate(&name)))?
                            .to_string()
                    }
                };
                push_text(&mut stack, Cow::Owned(resolved))?;
            }
            Event::DocType(_) => return Err(XmlError::DoctypeForbidden),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or(XmlError::NotOneRoot)
}

struct Scope {
    default_ns: String,
    prefixes: Vec<(String, String)>,
}

fn check_open(
    elements: usize,
    depth: usize,
    have_root: bool,
    limits: &XmlLimits,
) -> Result<(), XmlError> {
    if have_root && depth == 1 {
        return Err(XmlError::NotOneRoot);
    }
    if elements > limits.max_elements {
        return Err(XmlError::TooManyElements(limits.max_elements));
    }
    if depth > limits.max_depth {
        return Err(XmlError::TooDeep(limits.max_depth));
    }
    Ok(())
}

fn open_element(
    start: &BytesStart<'_>,
    parent: &Scope,
    limits: &XmlLimits,
) -> Result<(Element, Scope), XmlError> {
    let mut scope = Scope {
        default_ns: parent.default_ns.clone(),
        prefixes: Vec::new(),
    };
    let mut attrs: Vec<(String, String)> = Vec::new();
    for (count, attr) in start.attributes().with_checks(true).enumerate() {
        if count >= limits.max_attributes {
            return Err(XmlError::TooManyAttributes(limits.max_attributes));
        }
        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
        let key = qname(attr.key.as_ref())?;
        let value = attr_value(&attr)?;
        if key == "xmlns" {
            scope.default_ns = value;
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            scope.prefixes.push((prefix.to_string(), value));
        } else {
            attrs.push((key, value));
        }
    }
    let qname = qname(start.name().as_ref())?;
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l.to_string()),
        None => (None, qname.clone()),
    };
    let ns = match prefix {
        None => scope.default_ns.clone(),
        Some(p) => {
            lookup_prefix(p, &scope, parent).ok_or_else(|| XmlError::UnboundPrefix(truncate(p)))?
        }
    };
    // Inherit the parent's prefixes so nested elements resolve them too.
    let mut inherited = parent.prefixes.clone();
    inherited.extend(scope.prefixes);
    scope.prefixes = inherited;

    let mut el = Element::new(local, ns);
    for (k, v) in attrs {
        el.set_attr(k, v);
    }
    Ok((el, scope))
}

/// quick-xml takes whatever stands between `<` and the first space as the name; a name that is
/// not one (`<>`, `<a:>`, `<1>`) would be written back out as XML no server accepts.
pub(super) fn qname(raw: &[u8]) -> Result<String, XmlError> {
    let name = utf8(raw)?;
    let mut parts = name.split(':');
    let valid = match (parts.next(), parts.next(), parts.next()) {
        (Some(local), None, _) => is_ncname(local),
        (Some(prefix), Some(local), None) => is_ncname(prefix) && is_ncname(local),
        _ => false,
    };
    if valid {
        Ok(name.to_string())
    } else {
        Err(XmlError::Malformed(format!(
            "invalid name {:?}",
            truncate(name)
        )))
    }
}

/// XML 1.0's Name productions (section 2.3) without the colon, as Namespaces in XML require.
fn is_ncname(s: &str) -> bool {
    let start = |c: char| {
        matches!(c, 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
            | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
            | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
            | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
            | '\u{10000}'..='\u{EFFFF}')
    };
    let mut chars = s.chars();
    chars.next().is_some_and(start)
        && chars.all(|c| {
            start(c)
                || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}'
                    | '\u{203F}'..='\u{2040}')
        })
}

fn lookup_prefix(prefix: &str, own: &Scope, parent: &Scope) -> Option<String> {
    if prefix == "xml" {
        return Some("http://www.w3.org/XML/1998/namespace".to_string());
    }
    own.prefixes
        .iter()
        .rev()
        .chain(parent.prefixes.iter().rev())
        .find(|(p, _)| p == prefix)
        .map(|(_, ns)| ns.clone())
}

pub(super) fn attr_value(attr: &Attribute<'_>) -> Result<String, XmlError> {
    let raw = utf8(&attr.value)?;
    let value = quick_xml::escape::unescape_with(raw, predefined_entity)
        .map(Cow::into_owned)
        .map_err(|e| match e {
            quick_xml::escape::EscapeError::UnrecognizedEntity(_, name) => {
                XmlError::UnknownEntity(truncate(&name))
            }
            other => XmlError::Malformed(other.to_string()),
        })?;
    xml_chars(value)
}

/// quick-xml passes characters XML 1.0 forbids (NUL, most C0 controls, U+FFFF), raw or as
/// `&#1;`; the serializer would drop them, so what we parsed would not be what we write back.
fn xml_chars<S: AsRef<str>>(s: S) -> Result<S, XmlError> {
    match s.as_ref().chars().find(|c| !is_xml_char(*c)) {
        Some(c) => Err(XmlError::Malformed(format!(
            "character U+{:04X} is not allowed in XML",
            c as u32
        ))),
        None => Ok(s),
    }
}

fn predefined_entity(name: &str) -> Option<&'static str> {
    match name {
        "lt" => Some("<"),
        "gt" => Some(">"),
        "amp" => Some("&"),
        "apos" => Some("'"),
        "quot" => Some("\""),
        _ => None,
    }
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.push_child(el),
        None => *root = Some(el),
    }
}

fn push_text(stack: &mut [Element], text: Cow<'_, str>) -> Result<(), XmlError> {
    let text = xml_chars(text)?;
    match stack.last_mut() {
        Some(parent) => {
            parent.push_text(&text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError::NotOneRoot),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|_| XmlError::Malformed("invalid UTF-8".into()))
}

/// Error strings carry attacker-chosen names; keep them short in logs.
fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element, XmlError> {
        parse(s, &XmlLimits::default())
    }

    #[test]
    fn resolves_default_and_prefixed_namespaces() {
        let el = p(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
                    <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
                    <mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>",
        )
        .unwrap();
        assert!(el.is("features", "http://etherx.jabber.org/streams"));
        let mechs = el
            .get_child("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")
            .unwrap();
        assert_eq!(
            mechs.child_text("mechanism", "urn:ietf:params:xml:ns:xmpp-sasl"),
            Some("ANONYMOUS".to_string())
        );
    }

    #[test]
    fn decodes_predefined_and_numeric_entities() {
        let el =
            p("<body xmlns='jabber:client' a='&lt;&#65;&quot;'>x &amp; y &#x263A;</body>").unwrap();
        assert_eq!(el.get_attr("a"), Some("<A\""));
        assert_eq!(el.text_content(), "x & y \u{263A}");
    }

    #[test]
    fn round_trips_through_serializer() {
        let src = Element::new("message", "jabber:client")
            .attr("type", "groupchat")
            .child(Element::new("body", "jabber:client").text("<hi> & 'bye'"));
        assert_eq!(p(&src.to_xml()).unwrap(), src);
    }

    #[test]
    fn refuses_doctype_and_custom_entities() {
        let billion_laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\
                              <message>&lol2;</message>";
        assert_eq!(p(billion_laughs), Err(XmlError::DoctypeForbidden));
        assert_eq!(
            p("<message>&lol;</message>"),
            Err(XmlError::UnknownEntity("lol".into()))
        );
        assert_eq!(
            p("<message a='&xxe;'/>"),
            Err(XmlError::UnknownEntity("xxe".into()))
        );
    }

    #[test]
    fn enforces_size_depth_and_count_limits() {
        let limits = XmlLimits::default();
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(p(&deep), Err(XmlError::TooDeep(limits.max_depth)));

        let big = format!("<a>{}</a>", "x".repeat(limits.max_bytes));
        assert!(matches!(p(&big), Err(XmlError::TooLarge(_))));

        let many = format!("<a>{}</a>", "<b/>".repeat(limits.max_elements + 1));
        assert_eq!(
            p(&many),
            Err(XmlError::TooManyElements(limits.max_elements))
        );

        let attrs: String = (0..=limits.max_attributes)
            .map(|i| format!(" a{i}='1'"))
            .collect();
        assert_eq!(
            p(&format!("<a{attrs}/>")),
            Err(XmlError::TooManyAttributes(limits.max_attributes))
        );
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "text",
            "<x:a/>",
            "<a b='1' b='2'/>",
            "<a>\u{0}</a",
        ] {
            assert!(p(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_xml_name() {
        // Found by the xml_parse fuzz target: `<></>` parsed to a nameless element.
        for bad in [
            "<></>",
            "<a:/>",
            "<:a/>",
            "<a:b:c/>",
            "<1a/>",
            "<a 1b='x'/>",
            "<a b:='x'/>",
        ] {
            assert!(matches!(p(bad), Err(XmlError::Malformed(_))), "{bad}");
        }
        for good in ["<a-b.c_d/>", "<é/>", "<a xml:lang='en' data-x='1'/>"] {
            assert!(p(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn refuses_characters_xml_forbids() {
        // Found by the jingle fuzz target: a NUL in `responder` parsed, and the serializer then
        // dropped it, so a session-accept was not what we had read.
        for bad in [
            "<a b='x\u{0}y'/>",
            "<a>\u{1}</a>",
            "<a>&#1;</a>",
            "<a b='&#xFFFF;'/>",
            "<a>\u{FFFE}</a>",
        ] {
            assert!(matches!(p(bad), Err(XmlError::Malformed(_))), "{bad:?}");
        }
        let fine = p("<a b='tab\there'>line\r\nend &#x263A;</a>").unwrap();
        assert_eq!(p(&fine.to_xml()).unwrap(), fine);
    }

    #[test]
    fn parses_in_an_inherited_stream_context() {
        let ctx = NsContext {
            default_ns: "jabber:component:accept".into(),
            prefixes: vec![("stream".into(), "http://etherx.jabber.org/streams".into())],
        };
        let el = parse_in_context("<iq type='get'/>", &XmlLimits::default(), &ctx).unwrap();
        assert!(el.is("iq", "jabber:component:accept"));
        let err = parse_in_context("<stream:error/>", &XmlLimits::default(), &ctx).unwrap();
        assert!(err.is("error", "http://etherx.jabber.org/streams"));
    }
}
