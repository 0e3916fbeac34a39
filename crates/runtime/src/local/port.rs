//! Free-port selection for new local units. Owns picking a port that can be bound now and that
//! no other unit of this runtime has been given.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::ops::Range;

use crate::RuntimeError;

/// Ports handed to units: below Linux's default ephemeral range (32768–60999), so the ports the
/// kernel gives to outgoing connections and `bind(…:0)` never collide with a unit's port between
/// the probe and the unit binding it. Random choice keeps separate runtimes (tests, several
/// control planes on one machine) apart.
const UNIT_PORTS: Range<u16> = 20000..32768;

/// Picks a random port in [`UNIT_PORTS`] that can be bound on `host` and is not in `taken`. The
/// probe socket is closed before returning so the unit can bind the port; if something else
/// takes it meanwhile the unit exits with a bind error and is reported as exited.
pub(crate) fn pick_free_port(host: IpAddr, taken: &HashSet<u16>) -> Result<u16, RuntimeError> {
    let mut last_error = None;
    for _ in 0..256 {
        let port = rand::random_range(UNIT_PORTS);
        if taken.contains(&port) {
            continue;
        }
        match TcpListener::bind(SocketAddr::new(host, port)) {
            Ok(_) => return Ok(port),
            Err(e) => last_error = Some(e),
        }
    }
    let source = last_error
        .unwrap_or_else(|| std::io::Error::other("every port tried is already given to a unit"));
    Err(RuntimeError::NoFreePort { host, source })
}
