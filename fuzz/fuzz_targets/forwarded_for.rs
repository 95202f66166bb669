//! The throttle's trusted-proxy header reader (`ClientAddrSource::forwarded_for`) on arbitrary
//! header fields and hop counts: no panic, and always an address (the header's entry or the
//! connection's peer as the fallback).
#![no_main]

use std::net::{IpAddr, SocketAddr};

use http::{HeaderValue, Request};
use libfuzzer_sys::fuzz_target;
use tower_httpauth::throttle::ClientAddrSource;

fuzz_target!(|data: &[u8]| {
    let Some((&hops, rest)) = data.split_first() else {
        return;
    };
    let mut parts = Request::new(()).into_parts().0;
    // Up to 16 fields, separated by newlines in the input.
    for field in rest.split(|&b| b == b'\n').take(16) {
        if let Ok(v) = HeaderValue::from_bytes(field) {
            parts.headers.append("x-forwarded-for", v);
        }
    }
    let peer = SocketAddr::from(([192, 0, 2, 1], 443));
    parts.extensions.insert(peer);
    let source = ClientAddrSource::forwarded_for(usize::from(hops % 8));
    let ip: IpAddr = source.client_addr(&parts).expect("the peer is the fallback");
    let text = String::from_utf8_lossy(rest);
    if ip != peer.ip() {
        // The address came from the header: some entry must mention it (modulo notation).
        let v4 = matches!(ip, IpAddr::V4(_));
        assert!(v4 || text.contains(':'), "{ip} not in {text:?}");
    }
});
