//! Throttling of failed authentication: a peer address that presents wrong credentials too
//! often is refused for the rest of its window with `429 RATE_LIMITED`, before its credentials
//! are looked at.
//!
//! Owns: counting failures per peer IP address in fixed windows and deciding whether a peer is
//! refused. Does not own: what counts as a failure (the callers in [`super`] and the bootstrap
//! handler decide) nor the limit's value (the `auth_failure_limit` and `auth_failure_window`
//! settings).
//!
//! The decision is taken from this replica's memory (no database read per request); every
//! failure is also counted in the metadata database (`graph_olap_store::auth_failures`, one
//! count for all replicas), and the shared count is adopted whenever it is higher
//! ([`AuthThrottle::adopt_shared`]). So a guesser spread over several replicas is refused after
//! at most `limit + replicas − 1` failures (each other replica learns the count at its next
//! failure), not `limit` per replica; a restart forgets only the local view.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use graph_olap_api::ErrorCode;
use graph_olap_server_kit::ApiError;

/// Most peers tracked at once; beyond it expired windows are dropped, and a new peer is not
/// tracked while every slot holds a live window (bounded memory under a spray of addresses).
pub const MAX_TRACKED_PEERS: usize = 100_000;

/// One peer's window: when it opened and how many failures it has seen.
#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    failures: u32,
}

/// Failed-authentication counters per peer IP address.
#[derive(Debug)]
pub struct AuthThrottle {
    limit: u32,
    window: Duration,
    peers: Mutex<HashMap<IpAddr, Window>>,
}

impl AuthThrottle {
    /// A throttle refusing a peer after `limit` failures inside `window` (`limit` 0: never).
    pub fn new(limit: u32, window: Duration) -> Self {
        AuthThrottle {
            limit,
            window,
            peers: Mutex::new(HashMap::new()),
        }
    }

    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Window>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Ok` when `peer` may try to authenticate now, else how long until its window ends.
    pub fn check(&self, peer: IpAddr) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        match self.peers().get(&peer) {
            Some(w) if w.failures >= self.limit && w.opened.elapsed() < self.window => {
                Err(self.window.saturating_sub(w.opened.elapsed()))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failed authentication of `peer` in this replica's memory.
    pub fn record_failure(&self, peer: IpAddr) {
        self.update(peer, |w, window| {
            if w.opened.elapsed() >= window {
                *w = Window {
                    opened: Instant::now(),
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
        });
    }

    /// Takes the count every replica shared for `peer` — `failures` in a window opened `age`
    /// ago — when it is higher than this replica's own.
    pub fn adopt_shared(&self, peer: IpAddr, failures: u32, age: Duration) {
        if age >= self.window {
            return;
        }
        self.update(peer, |w, _| {
            if failures > w.failures {
                *w = Window {
                    opened: Instant::now().checked_sub(age).unwrap_or_else(Instant::now),
                    failures,
                };
            }
        });
    }

    /// Applies `change` to `peer`'s window (created empty when absent, memory permitting) and
    /// logs the moment the peer reaches the limit.
    fn update(&self, peer: IpAddr, change: impl FnOnce(&mut Window, Duration)) {
        if self.limit == 0 {
            return;
        }
        let mut peers = self.peers();
        if peers.len() >= MAX_TRACKED_PEERS && !peers.contains_key(&peer) {
            peers.retain(|_, w| w.opened.elapsed() < self.window);
            if peers.len() >= MAX_TRACKED_PEERS {
                return;
            }
        }
        let window = peers.entry(peer).or_insert(Window {
            opened: Instant::now(),
            failures: 0,
        });
        let before = window.failures;
        change(window, self.window);
        if before < self.limit && window.failures >= self.limit {
            tracing::warn!(
                %peer,
                failures = window.failures,
                window_seconds = self.window.as_secs(),
                "failed-authentication limit reached: refusing this address until its window ends"
            );
        }
    }

    /// The window's length, for counting the same window in the database.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Whether failures are counted at all (a limit of 0 turns the throttle off).
    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    /// `429 RATE_LIMITED` for a peer refused for `retry_after` more.
    pub fn refusal(retry_after: Duration) -> ApiError {
        let seconds = retry_after.as_secs().max(1);
        ApiError::new(
            ErrorCode::RateLimited,
            "Too many failed authentication attempts from this address; try again later",
        )
        .detail("reason", "authentication_failures")
        .detail("retry_after_seconds", seconds)
        .header(axum::http::header::RETRY_AFTER, seconds.to_string())
    }
}

/// An address block (`10.0.0.0/8`, `fd00::/8`, or one address) whose proxies are trusted to
/// report the client address in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `address` or `address/prefix`.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or address/prefix"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{text}': the prefix must be 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `ip` is inside the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> Option<(u128, u32)> {
            match ip {
                IpAddr::V4(v4) => Some((u128::from(u32::from(v4)), 32)),
                IpAddr::V6(v6) => Some((u128::from(v6), 128)),
            }
        };
        match (bits(self.network), bits(ip)) {
            (Some((net, width)), Some((addr, w))) if width == w => {
                let host_bits = width - u32::from(self.prefix);
                host_bits >= width || (net >> host_bits) == (addr >> host_bits)
            }
            _ => false,
        }
    }
}

/// The client address of a request served through `into_make_service_with_connect_info`:
/// the connection's peer, or — when the peer is a trusted proxy — the last `X-Forwarded-For`
/// entry that is not one. `None` when the server was built without connection info (nothing
/// is then counted).
pub fn peer(extensions: &Extensions, headers: &HeaderMap, trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

/// Whether `error` is a failed credential that counts against its peer: every `401` except a
/// request that presented no credentials at all and a server whose internal key is not
/// configured (its own fault, not a guess).
pub fn counts(error: &ApiError) -> bool {
    error.code == ErrorCode::Unauthorized
        && !matches!(
            error.details.get("reason").and_then(|r| r.as_str()),
            Some("missing_credentials" | "internal_key_not_configured")
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_refused_after_the_limit_and_others_are_not() {
        let throttle = AuthThrottle::new(3, Duration::from_secs(60));
        let bad: IpAddr = "10.0.0.1".parse().unwrap();
        let good: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.check(bad).is_ok());
            throttle.record_failure(bad);
        }
        let wait = throttle.check(bad).unwrap_err();
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60));
        assert!(throttle.check(good).is_ok());
    }

    #[test]
    fn the_window_ends_and_a_zero_limit_never_refuses() {
        let throttle = AuthThrottle::new(1, Duration::from_millis(20));
        let peer: IpAddr = "::1".parse().unwrap();
        throttle.record_failure(peer);
        assert!(throttle.check(peer).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(throttle.check(peer).is_ok());
        let off = AuthThrottle::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            off.record_failure(peer);
        }
        assert!(off.check(peer).is_ok());
    }

    #[test]
    fn address_blocks_match_by_prefix_and_refuse_bad_text() {
        let block = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        assert!(!block.contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        let one = Cidr::parse("192.0.2.7").unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "host", "10.0.0.0/x", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let via = |from: &str, forwarded: Option<&str>, trusted: &[&str]| {
            let mut extensions = Extensions::new();
            extensions.insert(ConnectInfo(SocketAddr::new(from.parse().unwrap(), 4000)));
            let mut headers = HeaderMap::new();
            if let Some(f) = forwarded {
                headers.insert("x-forwarded-for", f.parse().unwrap());
            }
            let trusted: Vec<Cidr> = trusted.iter().map(|t| Cidr::parse(t).unwrap()).collect();
            peer(&extensions, &headers, &trusted)
        };
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // An untrusted peer's header is ignored (anyone can write it).
        assert_eq!(via("203.0.113.9", Some("1.2.3.4"), &[]), ip("203.0.113.9"));
        assert_eq!(
            via("203.0.113.9", Some("1.2.3.4"), &["10.0.0.0/8"]),
            ip("203.0.113.9")
        );
        // Behind trusted proxies: the last hop that is not one of them.
        assert_eq!(
            via(
                "10.0.0.5",
                Some("1.2.3.4, 198.51.100.7, 10.0.0.9"),
                &["10.0.0.0/8"]
            ),
            ip("198.51.100.7")
        );
        assert_eq!(via("10.0.0.5", None, &["10.0.0.0/8"]), ip("10.0.0.5"));
        assert_eq!(
            via("10.0.0.5", Some("garbage"), &["10.0.0.0/8"]),
            ip("10.0.0.5")
        );
        assert_eq!(peer(&Extensions::new(), &HeaderMap::new(), &[]), None);
    }

    #[test]
    fn refusals_carry_the_code_reason_and_retry_after() {
        let e = AuthThrottle::refusal(Duration::from_millis(1500));
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(e.details["reason"], "authentication_failures");
        assert_eq!(e.details["retry_after_seconds"], 1);
        assert!(counts(&ApiError::unauthorized("unknown_key", "x")));
        assert!(!counts(&ApiError::unauthorized("missing_credentials", "x")));
        assert!(!counts(&ApiError::unauthorized(
            "internal_key_not_configured",
            "x"
        )));
        assert!(!counts(&ApiError::new(ErrorCode::PermissionDenied, "x")));
    }
}
