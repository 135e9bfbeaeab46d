//! The XEP-0114 connection that makes the focus a Prosody component: handshake, then one task
//! owning the focus state, fed by parsed stanzas and writing its answers back.

use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use omni_jitsi_core::xml::{StreamEvent, StreamSplitter, XmlLimits};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::focus::{Focus, FocusControl, COMPONENT_NS};
use crate::TestbedError;

/// A connected, authenticated component stream.
pub struct Component {
    stream: TcpStream,
    splitter: StreamSplitter,
}

impl Component {
    pub async fn connect(port: u16, name: &str, secret: &str) -> Result<Component, TestbedError> {
        let fail = |what: String| TestbedError::Component(format!("{name}: {what}"));
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| fail(format!("connect: {e}")))?;
        let header = format!(
            "<stream:stream xmlns='{COMPONENT_NS}' xmlns:stream='http://etherx.jabber.org/streams' to='{name}'>"
        );
        stream
            .write_all(header.as_bytes())
            .await
            .map_err(|e| fail(format!("write: {e}")))?;
        let mut splitter = StreamSplitter::new(XmlLimits::default());
        let mut stream_id = None;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| fail(format!("read: {e}")))?;
            if n == 0 {
                return Err(fail(
                    "the server closed the stream during the handshake".into(),
                ));
            }
            for event in splitter.feed(&buf[..n]).map_err(|e| fail(e.to_string()))? {
                match event {
                    StreamEvent::Header(attrs) => {
                        let id = attrs
                            .iter()
                            .find(|(k, _)| k == "id")
                            .map(|(_, v)| v.clone())
                            .ok_or_else(|| fail("stream header without id".into()))?;
                        let digest = Sha1::digest(format!("{id}{secret}").as_bytes());
                        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                        stream
                            .write_all(format!("<handshake>{hex}</handshake>").as_bytes())
                            .await
                            .map_err(|e| fail(format!("write: {e}")))?;
                        stream_id = Some(id);
                    }
                    StreamEvent::Stanza(el) if el.name() == "handshake" && stream_id.is_some() => {
                        return Ok(Component { stream, splitter });
                    }
                    StreamEvent::Stanza(el) => {
                        return Err(fail(format!("handshake refused: {}", el.to_xml())));
                    }
                    StreamEvent::End => {
                        return Err(fail("stream closed during the handshake".into()))
                    }
                }
            }
        }
    }

    /// Runs the focus until the stream ends, on stanzas from Prosody and on `control`.
    pub async fn serve(mut self, mut focus: Focus, control: &mut UnboundedReceiver<FocusControl>) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let out = tokio::select! {
                read = self.stream.read(&mut buf) => {
                    let n = match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let events = match self.splitter.feed(&buf[..n]) {
                        Ok(events) => events,
                        Err(e) => {
                            log::error!("focus: unreadable stream from prosody: {e}");
                            return;
                        }
                    };
                    let mut out = Vec::new();
                    for event in events {
                        match event {
                            StreamEvent::Stanza(stanza) => out.extend(focus.handle(&stanza)),
                            StreamEvent::End => return,
                            StreamEvent::Header(_) => {}
                        }
                    }
                    out
                }
                Some(command) = control.recv() => focus.control(command),
            };
            for stanza in out {
                if self
                    .stream
                    .write_all(stanza.to_xml().as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}
