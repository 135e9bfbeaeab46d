//! Small helpers shared by the layers that build and read stanzas.

use crate::xml::Element;

use super::ns;

pub fn iq(kind: &str, id: &str, to: &str) -> Element {
    Element::new("iq", ns::CLIENT)
        .attr("type", kind)
        .attr("id", id)
        .attr("to", to)
}

pub fn is_stanza(el: &Element) -> bool {
    matches!(el.name(), "iq" | "message" | "presence") && el.ns() == ns::CLIENT
}

/// The defined condition of a stanza error (`not-authorized`, `conflict`, ...) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaError {
    pub condition: String,
    pub kind: Option<String>,
    pub text: Option<String>,
}

pub fn stanza_error(el: &Element) -> Option<StanzaError> {
    let error = el.get_child("error", el.ns())?;
    let condition = error
        .children()
        .find(|c| c.ns() == ns::STANZAS && c.name() != "text")
        .map(|c| c.name().to_string())
        .unwrap_or_else(|| "undefined-condition".to_string());
    Some(StanzaError {
        condition,
        kind: error.get_attr("type").map(str::to_string),
        text: error.child_text("text", ns::STANZAS),
    })
}

pub fn error_reply(request: &Element, kind: &str, condition: &str) -> Element {
    let mut reply = Element::new(request.name(), ns::CLIENT).attr("type", "error");
    if let Some(id) = request.get_attr("id") {
        reply.set_attr("id", id);
    }
    if let Some(from) = request.get_attr("from") {
        reply.set_attr("to", from);
    }
    reply.child(
        Element::new("error", ns::CLIENT)
            .attr("type", kind)
            .child(Element::new(condition, ns::STANZAS)),
    )
}
