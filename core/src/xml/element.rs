//! An owned XML element tree with resolved namespaces: the typed form every stanza takes once it
//! has crossed the parser, so protocol code never touches raw XML.

use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    name: String,
    ns: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Element {
    pub fn new(name: impl Into<String>, ns: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ns: ns.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Builder: sets an attribute (replacing an earlier value of the same name).
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder: sets the attribute only when a value is given.
    pub fn attr_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    pub fn child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    pub fn children_from(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children
            .extend(children.into_iter().map(Node::Element));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.attrs.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name, value)),
        }
    }

    /// Appends text, merging with a preceding text node so entity-split runs stay one string.
    pub(crate) fn push_text(&mut self, text: &str) {
        if let Some(Node::Text(last)) = self.children.last_mut() {
            last.push_str(text);
        } else {
            self.children.push(Node::Text(text.to_string()));
        }
    }

    pub fn push_child(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn ns(&self) -> &str {
        &self.ns
    }

    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name == name && self.ns == ns
    }

    pub fn get_attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn nodes(&self) -> &[Node] {
        &self.children
    }

    pub fn children(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn get_child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.children().find(|e| e.is(name, ns))
    }

    /// First child with this local name in any namespace. Jitsi's presence extensions are
    /// emitted with inconsistent namespaces across versions, so some lookups must ignore them.
    pub fn get_child_any_ns(&self, name: &str) -> Option<&Element> {
        self.children().find(|e| e.name == name)
    }

    pub fn children_named<'a>(
        &'a self,
        name: &'a str,
        ns: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children().filter(move |e| e.is(name, ns))
    }

    /// Concatenated direct text children.
    pub fn text_content(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let Node::Text(t) = node {
                out.push_str(t);
            }
        }
        out
    }

    pub fn child_text(&self, name: &str, ns: &str) -> Option<String> {
        self.get_child(name, ns).map(Element::text_content)
    }

    /// Serializes with a namespace declaration wherever the namespace differs from the parent's,
    /// so every message is a self-contained document as RFC 7395 requires.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_to(&mut out, None);
        out
    }

    fn write_to(&self, out: &mut String, parent_ns: Option<&str>) {
        out.push('<');
        out.push_str(&self.name);
        if parent_ns != Some(self.ns.as_str()) && !self.ns.is_empty() {
            out.push_str(" xmlns=\"");
            escape_into(out, &self.ns, true);
            out.push('"');
        }
        for (name, value) in &self.attrs {
            let _ = write!(out, " {name}=\"");
            escape_into(out, value, true);
            out.push('"');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for node in &self.children {
            match node {
                Node::Element(e) => e.write_to(out, Some(&self.ns)),
                Node::Text(t) => escape_into(out, t, false),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

fn escape_into(out: &mut String, s: &str, in_attr: bool) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' if in_attr => out.push_str("&quot;"),
            '\'' if in_attr => out.push_str("&apos;"),
            // XML 1.0 forbids these even escaped; drop them instead of producing a stanza the
            // server would reject and disconnect us for.
            c if !is_xml_char(c) => {}
            c => out.push(c),
        }
    }
}

/// XML 1.0's Char production (section 2.2): no C0 controls but tab and line ends, no
/// surrogates (which a `char` cannot be anyway), no U+FFFE or U+FFFF.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_namespaces_only_where_they_change() {
        let el = Element::new("presence", "jabber:client")
            .attr("to", "room@conference.meet.test/abcd1234")
            .child(Element::new("nick", "http://jabber.org/protocol/nick").text("Ann & <Bob>"))
            .child(Element::new("email", "jabber:client").text("a@b.c"));
        assert_eq!(
            el.to_xml(),
            "<presence xmlns=\"jabber:client\" to=\"room@conference.meet.test/abcd1234\">\
             <nick xmlns=\"http://jabber.org/protocol/nick\">Ann &amp; &lt;Bob&gt;</nick>\
             <email>a@b.c</email></presence>"
        );
    }

    #[test]
    fn attribute_quotes_are_escaped_and_control_chars_dropped() {
        let el = Element::new("a", "x").attr("v", "say \"hi\"\u{1}\u{FFFF}");
        assert_eq!(el.to_xml(), "<a xmlns=\"x\" v=\"say &quot;hi&quot;\"/>");
    }
}
