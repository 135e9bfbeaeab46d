//! XML as the protocol layers see it: owned elements with resolved namespaces, a bounded parser,
//! and a splitter for long-lived streams.

mod element;
mod parse;
mod splitter;

pub use element::{Element, Node};
pub use parse::{parse, parse_in_context, NsContext, XmlError, XmlLimits};
pub use splitter::{StreamEvent, StreamSplitter};
