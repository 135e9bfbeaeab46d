//! TLS to the deployment: a certificate no trusted authority signed is refused with the `tls`
//! error, and the same server is joined once the app trusts its certificate (an enterprise
//! deployment behind a private certificate authority).

mod common;

use std::sync::Arc;

use common::*;
use omni_jitsi_core::{Error, MeetingOptions};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// A TLS front for the testbed's Prosody WebSocket, as nginx is on a deployment, with a
/// self-signed certificate for 127.0.0.1. Returns its port and the certificate in PEM.
async fn tls_front(tb: &omni_jitsi_testbed::Testbed) -> (u16, String) {
    let backend = url::Url::parse(&tb.websocket_url())
        .unwrap()
        .port()
        .expect("the testbed's WebSocket URL has a port");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = cert.pem();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is the point of one test: nothing to relay then.
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut prosody) = TcpStream::connect(("127.0.0.1", backend)).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut prosody).await;
            });
        }
    });
    (port, pem)
}

fn through(tb: &omni_jitsi_testbed::Testbed, port: u16, name: &str) -> MeetingOptions {
    let mut o = options(tb, "tls-room", name);
    o.server_url = format!("wss://127.0.0.1:{port}/xmpp-websocket");
    o.config_overrides
        .insert("hosts.domain".into(), tb.domain().into());
    o
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_until_the_app_trusts_it() {
    let tb = testbed().await;
    let (port, pem) = tls_front(&tb).await;

    let (result, _) = try_join(through(&tb, port, "Ann")).await;
    match result {
        Err(e @ Error::Tls { .. }) => {
            assert_eq!(e.kind(), "tls");
            assert!(e.to_string().contains("127.0.0.1"), "{e}");
        }
        other => panic!("expected a tls error, got {:?}", other.err()),
    }

    let mut trusting = through(&tb, port, "Ann");
    trusting.trusted_certificates = vec![pem];
    let mut ann = join(trusting).await;
    let bob = join(options(&tb, "tls-room", "Bob")).await;
    ann.expect_joined_participant("Bob").await;
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test]
async fn a_trusted_certificate_that_is_not_pem_is_an_invalid_argument() {
    let tb = testbed().await;
    for bad in [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        let mut o = options(&tb, "tls-bad", "Ann");
        o.trusted_certificates = vec![bad.into()];
        let (result, _) = try_join(o).await;
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{bad:?}: {:?}",
            result.err()
        );
    }
}
