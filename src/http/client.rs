//! The client address of a request: the peer, or behind a trusted proxy the address the proxy
//! forwarded. One function so that rate limits and records of who did what agree.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::state::AppState;

/// The address of the client that sent `req`, judged with the server's `TRUSTED_PROXIES`.
/// `None` only when the connection has no peer address (in-process test requests).
pub fn client_address(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<actix_web::web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .collect();
    Some(resolve(peer, &forwarded, trusted))
}

/// The client among `peer` and the `X-Forwarded-For` values (in header order): the right-most
/// address not in `trusted`, walking from the peer leftwards only through trusted hops. A header
/// from an untrusted peer is ignored (anyone can write one); an entry that is not an address
/// stops the walk at the last hop known.
pub fn resolve(peer: IpAddr, forwarded: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    let hops = forwarded.iter().rev().flat_map(|value| value.rsplit(','));
    for hop in hops {
        if !is_trusted(&client) {
            break;
        }
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(resolve(ip("203.0.113.9"), &["1.2.3.4"], &[]), ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("203.0.113.9"), &["1.2.3.4"], &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client wrote a fake first entry; the proxies appended the real ones.
        let forwarded = ["6.6.6.6, 198.51.100.7, 10.1.2.3"];
        assert_eq!(resolve(ip("127.0.0.1"), &forwarded, &trusted), ip("198.51.100.7"));
        // Several header lines read as one list, in order.
        let split = ["6.6.6.6, 198.51.100.7", "10.1.2.3"];
        assert_eq!(resolve(ip("127.0.0.1"), &split, &trusted), ip("198.51.100.7"));
        // IPv6 works alike.
        assert_eq!(resolve(ip("127.0.0.1"), &["2001:db8::1"], &trusted), ip("2001:db8::1"));
    }

    #[test]
    fn all_trusted_hops_give_the_left_most_and_garbage_stops_the_walk() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        assert_eq!(
            resolve(ip("127.0.0.1"), &["10.0.0.5, 10.0.0.6"], &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            resolve(ip("127.0.0.1"), &["1.2.3.4, unknown, 10.0.0.6"], &trusted),
            ip("10.0.0.6")
        );
        assert_eq!(resolve(ip("127.0.0.1"), &[], &trusted), ip("127.0.0.1"));
    }
}
