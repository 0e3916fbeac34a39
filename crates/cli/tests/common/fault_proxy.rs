//! A fault-injecting TCP proxy for end-to-end tests (issue 21, item 3): listens on a loopback
//! port, forwards every connection to one upstream address, and — while switched on — delays
//! chunks, resets connections (RST, not FIN) and stalls them (accepts and keeps the connection
//! but forwards nothing for a while, in one or both directions).
//!
//! Reproducible: what happens to the n-th connection of a hop is drawn from a ChaCha RNG seeded
//! with (seed, hop name, n) — see [`ConnectionPlan`] — so a run's fault sequence per connection
//! is fixed by its seed (when each event lands relative to the traffic still depends on timing).
//! Long-lived connections (database pools, HTTP keep-alive) keep drawing events for their whole
//! life, so they are struck too, not only fresh ones. Every injected fault is counted
//! ([`FaultCounts`]) for the test's report.

#![allow(dead_code)]

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// How often and how hard a hop is struck while its proxy is switched on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRates {
    /// Share of connections whose chunks are each delayed (drawn per direction).
    pub latency_share: f64,
    /// Range of that per-chunk delay, in milliseconds.
    pub latency_ms: (u64, u64),
    /// Range of the time between two fault events on one connection, in milliseconds.
    pub event_gap_ms: (u64, u64),
    /// Probability that an event resets the connection.
    pub reset: f64,
    /// Probability that an event stalls the connection (otherwise the event does nothing).
    pub stall: f64,
    /// Range of a stall's length, in milliseconds.
    pub stall_ms: (u64, u64),
}

/// Which way a stall stops the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to upstream (requests).
    Upstream,
    /// Upstream to client (responses).
    Downstream,
    /// Both ways.
    Both,
}

/// One drawn fault event of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Reset both sides of the connection (RST).
    Reset,
    /// Forward nothing in `direction` for `ms` milliseconds.
    Stall {
        /// Which way.
        direction: Direction,
        /// How long.
        ms: u64,
    },
    /// Nothing this time.
    Nothing,
}

/// The faults of one connection: its per-direction latency and its event sequence, drawn from a
/// ChaCha RNG seeded with (seed, hop, connection index). Same inputs, same plan.
#[derive(Debug, Clone)]
pub struct ConnectionPlan {
    /// Per-chunk delay client→upstream and upstream→client, when drawn.
    pub latency: [Option<Duration>; 2],
    rng: ChaCha8Rng,
    rates: FaultRates,
}

impl ConnectionPlan {
    /// The plan of connection `index` of hop `hop` under `seed`.
    pub fn draw(seed: u64, hop: &str, index: u64, rates: FaultRates) -> ConnectionPlan {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ fnv1a(hop.as_bytes()) ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
        let mut latency = [None, None];
        for slot in &mut latency {
            if rng.random_bool(rates.latency_share) {
                *slot = Some(Duration::from_millis(
                    rng.random_range(rates.latency_ms.0..=rates.latency_ms.1),
                ));
            }
        }
        ConnectionPlan {
            latency,
            rng,
            rates,
        }
    }

    /// The next event: how long after the previous one it comes, and what it is.
    pub fn next_event(&mut self) -> (Duration, Fault) {
        let r = self.rates;
        let gap = Duration::from_millis(self.rng.random_range(r.event_gap_ms.0..=r.event_gap_ms.1));
        let roll: f64 = self.rng.random();
        let fault = if roll < r.reset {
            Fault::Reset
        } else if roll < r.reset + r.stall {
            let direction = match self.rng.random_range(0..3) {
                0 => Direction::Upstream,
                1 => Direction::Downstream,
                _ => Direction::Both,
            };
            Fault::Stall {
                direction,
                ms: self.rng.random_range(r.stall_ms.0..=r.stall_ms.1),
            }
        } else {
            Fault::Nothing
        };
        (gap, fault)
    }
}

/// FNV-1a: a hash of the hop name that is the same on every platform and Rust version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a proxy did, counted as it happened.
#[derive(Debug, Default)]
pub struct FaultCounts {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections whose upstream could not be reached (closed at once).
    pub upstream_unreachable: AtomicU64,
    /// Chunks forwarded late because of their connection's latency.
    pub delayed_chunks: AtomicU64,
    /// Connections reset.
    pub resets: AtomicU64,
    /// Stalls started.
    pub stalls: AtomicU64,
    /// Total length of the stalls started, in milliseconds.
    pub stalled_ms: AtomicU64,
    /// Bytes forwarded (both directions).
    pub bytes: AtomicU64,
}

impl FaultCounts {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value of one counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = FaultCounts::get;
        write!(
            f,
            "{} connections ({} upstream unreachable), {} delayed chunks, {} resets, {} stalls ({:.1} s), {} KiB forwarded",
            g(&self.connections),
            g(&self.upstream_unreachable),
            g(&self.delayed_chunks),
            g(&self.resets),
            g(&self.stalls),
            g(&self.stalled_ms) as f64 / 1000.0,
            g(&self.bytes) / 1024,
        )
    }
}

/// State shared by a proxy's accept loop and its connections (several proxies of one hop, e.g.
/// one per instance server, can share it so that the hop is counted and seeded as one).
#[derive(Debug)]
pub struct Hop {
    /// The hop's name (part of the RNG seed and of the report).
    pub name: String,
    /// The run's seed.
    pub seed: u64,
    /// The rates while switched on.
    pub rates: FaultRates,
    /// Whether faults are injected now (traffic is forwarded either way).
    pub active: AtomicBool,
    /// What was injected.
    pub counts: FaultCounts,
}

impl Hop {
    /// A hop, switched off.
    pub fn new(name: &str, seed: u64, rates: FaultRates) -> Arc<Hop> {
        Arc::new(Hop {
            name: name.to_string(),
            seed,
            rates,
            active: AtomicBool::new(false),
            counts: FaultCounts::default(),
        })
    }

    /// Switches fault injection on or off (connections stay open either way).
    pub fn set_active(&self, on: bool) {
        self.active.store(on, Ordering::SeqCst);
    }

    fn active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }
}

/// One listening proxy; stops accepting when dropped (open connections finish on their own).
pub struct FaultProxy {
    /// The loopback port it listens on.
    pub port: u16,
    accept: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`host:port`) under `hop`.
    pub async fn start(hop: Arc<Hop>, upstream: String) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let index = hop.counts.connections.fetch_add(1, Ordering::Relaxed);
                let plan = ConnectionPlan::draw(hop.seed, &hop.name, index, hop.rates);
                tokio::spawn(serve(client, upstream.clone(), plan, Arc::clone(&hop)));
            }
        });
        FaultProxy { port, accept }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Forwards one connection both ways while drawing and applying its plan's events.
async fn serve(client: TcpStream, upstream: String, mut plan: ConnectionPlan, hop: Arc<Hop>) {
    let Ok(server) = TcpStream::connect(&upstream).await else {
        FaultCounts::add(&hop.counts.upstream_unreachable, 1);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let (kill, killed) = watch::channel(false);
    let (stall_up, stalled_up) = watch::channel(Instant::now());
    let (stall_down, stalled_down) = watch::channel(Instant::now());
    let up = tokio::spawn(pump(
        client_read,
        server_write,
        plan.latency[0],
        stalled_up,
        killed.clone(),
        Arc::clone(&hop),
    ));
    let down = tokio::spawn(pump(
        server_read,
        client_write,
        plan.latency[1],
        stalled_down,
        killed,
        Arc::clone(&hop),
    ));
    let events = async {
        loop {
            let (gap, fault) = plan.next_event();
            tokio::time::sleep(gap).await;
            if !hop.active() {
                continue;
            }
            match fault {
                Fault::Reset => {
                    FaultCounts::add(&hop.counts.resets, 1);
                    let _ = kill.send(true);
                    return;
                }
                Fault::Stall { direction, ms } => {
                    FaultCounts::add(&hop.counts.stalls, 1);
                    FaultCounts::add(&hop.counts.stalled_ms, ms);
                    let until = Instant::now() + Duration::from_millis(ms);
                    if direction != Direction::Downstream {
                        let _ = stall_up.send(until);
                    }
                    if direction != Direction::Upstream {
                        let _ = stall_down.send(until);
                    }
                }
                Fault::Nothing => {}
            }
        }
    };
    let both = async {
        let _ = up.await;
        let _ = down.await;
    };
    tokio::pin!(both);
    let reset = tokio::select! {
        _ = &mut both => false,
        _ = events => true,
    };
    if reset {
        both.await;
    }
}

/// Copies `from` to `to`, late by `latency` per chunk while the hop is on, holding chunks while
/// `stall` lies in the future; on `kill`, closes `to` with a reset.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    latency: Option<Duration>,
    stall: watch::Receiver<Instant>,
    mut kill: watch::Receiver<bool>,
    hop: Arc<Hop>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    // Closing with a zero linger sends RST; `forget` keeps the half from sending FIN first.
    let reset = |to: OwnedWriteHalf| {
        let _ = to.as_ref().set_zero_linger();
        to.forget();
    };
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = kill.changed() => return reset(to),
        };
        let mut hold = None;
        if let Some(delay) = latency
            && hop.active()
        {
            FaultCounts::add(&hop.counts.delayed_chunks, 1);
            hold = Some(Instant::now() + delay);
        }
        let until = *stall.borrow();
        if until > Instant::now() {
            hold = Some(hold.map_or(until, |h: Instant| h.max(until)));
        }
        if let Some(until) = hold {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = kill.changed() => return reset(to),
            }
        }
        tokio::select! {
            written = to.write_all(&buf[..n]) => if written.is_err() { break },
            _ = kill.changed() => return reset(to),
        }
        FaultCounts::add(&hop.counts.bytes, n as u64);
    }
    let _ = to.shutdown().await;
}
