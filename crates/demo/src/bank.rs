//! The bank tables of catalog `demo`, schema `bank`: customers, accounts, account holders and
//! transfers.
//!
//! Owns the shape of the bank data: ids `1..=n`, every account with an owner, shared accounts
//! (2–4 holders), heavy-tailed transfers with fan-in and fan-out hubs, planted cycles of 3 and 4
//! accounts, and accounts split into disjoint regions plus small closed rings so the transfer
//! graph has several connected components. Does not own the file writing (see `writer`).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, StringBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::random::{epoch_days, heavy_rank, normal, shuffle, table_rng, weighted};
use crate::tutorial::co_holders;

/// Customers per unit of scale.
pub(crate) const CUSTOMERS: u64 = 1_000;
/// Accounts per unit of scale.
pub(crate) const ACCOUNTS: u64 = 1_500;
/// Transfers per unit of scale.
pub(crate) const TRANSFERS: u64 = 10_000;
/// Customers per household for joint accounts.
const HOUSEHOLD: usize = 20;
/// Disjoint regions the transfer graph is split into (besides the rings).
const REGIONS: usize = 4;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Bram", "Chloé", "Daan", "Emma", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaito",
    "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wim", "Xia", "Yusuf", "Zoë",
];
const LAST_NAMES: &[&str] = &[
    "Jansen", "de Vries", "Müller", "Smith", "Dubois", "García", "Rossi", "Novak", "Kowalski",
    "Okafor", "Tanaka", "Nguyen", "Silva", "Andersen", "O'Brien", "Schmidt", "Martin", "Bakker",
    "Visser", "Costa",
];
const COUNTRIES: &[(&str, u32)] = &[
    ("NL", 30),
    ("DE", 15),
    ("BE", 10),
    ("GB", 10),
    ("FR", 10),
    ("US", 8),
    ("ES", 5),
    ("IT", 5),
    ("CH", 4),
    ("SG", 3),
];

/// Every table's schema, in DEMO.md's column order.
pub(crate) fn customers_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("segment", DataType::Utf8, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("risk_score", DataType::Float64, false),
        Field::new("joined_at", DataType::Date32, false),
    ]))
}

/// Schema of `accounts`.
pub(crate) fn accounts_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("account_id", DataType::Int64, false),
        Field::new("account_no", DataType::Utf8, false),
        Field::new("sector", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("opened_at", DataType::Date32, false),
    ]))
}

/// Schema of `account_holders`.
pub(crate) fn holders_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("account_id", DataType::Int64, false),
        Field::new("role", DataType::Utf8, false),
    ]))
}

/// Schema of `transfers` (`ts` is a timestamp without time zone, microseconds).
pub(crate) fn transfers_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("transfer_id", DataType::Int64, false),
        Field::new("from_account", DataType::Int64, false),
        Field::new("to_account", DataType::Int64, false),
        Field::new("amount", DataType::Float64, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
    ]))
}

/// Generates `customers` in batches.
pub(crate) struct Customers {
    rng: ChaCha8Rng,
    total: u64,
    next: u64,
}

impl Customers {
    pub(crate) fn new(scale: u32) -> Self {
        Customers {
            rng: table_rng(2),
            total: CUSTOMERS * scale as u64,
            next: 0,
        }
    }

    pub(crate) fn next_batch(&mut self, chunk: usize) -> Option<RecordBatch> {
        if self.next >= self.total {
            return None;
        }
        let end = (self.next + chunk as u64).min(self.total);
        let (first_day, last_day) = (epoch_days(2010, 1, 1), epoch_days(2024, 12, 31));
        let mut names = StringBuilder::new();
        let mut segments = StringBuilder::new();
        let mut countries = StringBuilder::new();
        let (mut ids, mut risks, mut joined) = (Vec::new(), Vec::new(), Vec::new());
        for id in self.next + 1..=end {
            let rng = &mut self.rng;
            ids.push(id as i64);
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            names.append_value(format!("{first} {last}"));
            segments.append_value(weighted(
                rng,
                &[("retail", 80), ("business", 15), ("private", 5)],
            ));
            countries.append_value(weighted(rng, COUNTRIES));
            // Most customers are low risk; a tail is high risk. Rounded to 4 decimals, in [0, 1].
            let risk: f64 = rng.random::<f64>().powi(3);
            risks.push((risk * 10_000.0).round() / 10_000.0);
            joined.push(rng.random_range(first_day..=last_day));
        }
        self.next = end;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(names.finish()),
            Arc::new(segments.finish()),
            Arc::new(countries.finish()),
            Arc::new(Float64Array::from(risks)),
            Arc::new(Date32Array::from(joined)),
        ];
        Some(RecordBatch::try_new(customers_schema(), columns).expect("columns match the schema"))
    }
}

/// Generates `accounts` in batches.
pub(crate) struct Accounts {
    rng: ChaCha8Rng,
    total: u64,
    next: u64,
}

impl Accounts {
    pub(crate) fn new(scale: u32) -> Self {
        Accounts {
            rng: table_rng(3),
            total: ACCOUNTS * scale as u64,
            next: 0,
        }
    }

    pub(crate) fn next_batch(&mut self, chunk: usize) -> Option<RecordBatch> {
        if self.next >= self.total {
            return None;
        }
        let end = (self.next + chunk as u64).min(self.total);
        let (first_day, last_day) = (epoch_days(2012, 1, 1), epoch_days(2024, 12, 31));
        let mut numbers = StringBuilder::new();
        let mut sectors = StringBuilder::new();
        let mut statuses = StringBuilder::new();
        let (mut ids, mut opened) = (Vec::new(), Vec::new());
        for id in self.next + 1..=end {
            let rng = &mut self.rng;
            ids.push(id as i64);
            numbers.append_value(format!("ACC{id:09}"));
            sectors.append_value(weighted(
                rng,
                &[
                    ("retail", 60),
                    ("sme", 20),
                    ("corporate", 12),
                    ("public", 4),
                    ("financial", 4),
                ],
            ));
            statuses.append_value(weighted(
                rng,
                &[("open", 85), ("frozen", 5), ("closed", 10)],
            ));
            opened.push(rng.random_range(first_day..=last_day));
        }
        self.next = end;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(numbers.finish()),
            Arc::new(sectors.finish()),
            Arc::new(statuses.finish()),
            Arc::new(Date32Array::from(opened)),
        ];
        Some(RecordBatch::try_new(accounts_schema(), columns).expect("columns match the schema"))
    }
}

/// Generates `account_holders` in batches: one `owner` per account (every customer owns at
/// least one), and for some accounts 1–3 `joint` or `signatory` co-holders.
pub(crate) struct Holders {
    rng: ChaCha8Rng,
    customers: usize,
    accounts: usize,
    next_account: usize,
    owners: Vec<u32>,
}

impl Holders {
    pub(crate) fn new(scale: u32) -> Self {
        let mut rng = table_rng(4);
        let customers = (CUSTOMERS * scale as u64) as usize;
        let mut owners: Vec<u32> = (0..customers as u32).collect();
        shuffle(&mut rng, &mut owners);
        Holders {
            rng,
            customers,
            accounts: (ACCOUNTS * scale as u64) as usize,
            next_account: 0,
            owners,
        }
    }

    pub(crate) fn next_batch(&mut self, chunk: usize) -> Option<RecordBatch> {
        if self.next_account >= self.accounts {
            return None;
        }
        let (mut customer_ids, mut account_ids) = (Vec::new(), Vec::new());
        let mut roles = StringBuilder::new();
        let mut holders = Vec::with_capacity(4);
        while self.next_account < self.accounts && customer_ids.len() < chunk {
            let account = self.next_account;
            self.next_account += 1;
            let owner = if account < self.customers {
                self.owners[account] as usize
            } else {
                self.rng.random_range(0..self.customers)
            };
            holders.clear();
            holders.push(owner);
            let count = *weighted(&mut self.rng, &[(1usize, 70), (2, 15), (3, 10), (4, 5)]);
            co_holders(
                &mut self.rng,
                owner,
                count,
                self.customers,
                HOUSEHOLD,
                &mut holders,
            );
            for (i, &holder) in holders.iter().enumerate() {
                customer_ids.push(holder as i64 + 1);
                account_ids.push(account as i64 + 1);
                roles.append_value(match i {
                    0 => "owner",
                    _ if self.rng.random_ratio(7, 10) => "joint",
                    _ => "signatory",
                });
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(customer_ids)),
            Arc::new(Int64Array::from(account_ids)),
            Arc::new(roles.finish()),
        ];
        Some(RecordBatch::try_new(holders_schema(), columns).expect("columns match the schema"))
    }
}

/// Generates `transfers` in batches, ids in time order.
///
/// Accounts `1..=ring_start` are split into [`REGIONS`] contiguous regions and transfers never
/// cross regions; the last 2 % of accounts form closed rings of 3–5 accounts that only pay each
/// other. Within a region a transfer is, by turns, from a heavy-tailed sender (fan-out hubs), to a
/// heavy-tailed receiver (fan-in hubs), uniform, or one hop of a planted 3- or 4-cycle.
pub(crate) struct Transfers {
    rng: ChaCha8Rng,
    total: u64,
    next: u64,
    /// Pending transfers (from, to, amount) of a ring or cycle being emitted.
    pending: std::collections::VecDeque<(usize, usize, f64)>,
    /// Per region: (first account index, senders by hub rank, receivers by hub rank).
    regions: Vec<(usize, Vec<u32>, Vec<u32>)>,
    region_size: usize,
    /// Rings still to emit: (first account index, length).
    rings: Vec<(usize, usize)>,
    start_micros: i64,
    step_micros: i64,
}

impl Transfers {
    pub(crate) fn new(scale: u32) -> Self {
        let mut rng = table_rng(5);
        let accounts = (ACCOUNTS * scale as u64) as usize;
        let ring_start = accounts - accounts / 50;
        let region_size = ring_start / REGIONS;
        let regions = (0..REGIONS)
            .map(|r| {
                let mut senders: Vec<u32> = (0..region_size as u32).collect();
                let mut receivers = senders.clone();
                shuffle(&mut rng, &mut senders);
                shuffle(&mut rng, &mut receivers);
                (r * region_size, senders, receivers)
            })
            .collect();
        let mut rings = Vec::new();
        let mut at = ring_start;
        for length in [3usize, 4, 5].into_iter().cycle() {
            if at + length > accounts {
                break;
            }
            rings.push((at, length));
            at += length;
        }
        rings.reverse();
        let total = TRANSFERS * scale as u64;
        let start_micros = epoch_days(2023, 1, 1) as i64 * 86_400_000_000;
        let span_micros = 730 * 86_400_000_000i64;
        Transfers {
            rng,
            total,
            next: 0,
            pending: Default::default(),
            regions,
            region_size,
            rings,
            start_micros,
            step_micros: (span_micros / total as i64).max(1),
        }
    }

    pub(crate) fn next_batch(&mut self, chunk: usize) -> Option<RecordBatch> {
        if self.next >= self.total {
            return None;
        }
        let end = (self.next + chunk as u64).min(self.total);
        let capacity = (end - self.next) as usize;
        let (mut ids, mut from, mut to) = (
            Vec::with_capacity(capacity),
            Vec::with_capacity(capacity),
            Vec::with_capacity(capacity),
        );
        let (mut amounts, mut stamps) =
            (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
        for id in self.next..end {
            let (a, b, amount) = self.next_transfer(self.total - id);
            ids.push(id as i64 + 1);
            from.push(a as i64 + 1);
            to.push(b as i64 + 1);
            amounts.push(amount);
            let jitter = self.rng.random_range(0..self.step_micros);
            stamps.push(self.start_micros + id as i64 * self.step_micros + jitter);
        }
        self.next = end;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(Int64Array::from(from)),
            Arc::new(Int64Array::from(to)),
            Arc::new(Float64Array::from(amounts)),
            Arc::new(TimestampMicrosecondArray::from(stamps)),
        ];
        Some(RecordBatch::try_new(transfers_schema(), columns).expect("columns match the schema"))
    }

    /// The next transfer as 0-based (from, to, amount); `remaining` counts this one.
    fn next_transfer(&mut self, remaining: u64) -> (usize, usize, f64) {
        if let Some(t) = self.pending.pop_front() {
            return t;
        }
        if let Some((first, length)) = self.rings.pop() {
            let amount = self.amount();
            for hop in 0..length {
                self.pending
                    .push_back((first + hop, first + (hop + 1) % length, fee(amount, hop)));
            }
            return self.pending.pop_front().expect("a ring has hops");
        }
        let (base, senders, receivers) = &self.regions[self.rng.random_range(0..REGIONS)];
        let (base, n) = (*base, self.region_size);
        let mode = self.rng.random_range(0..100);
        let (a, b) = match mode {
            0..35 => (
                senders[heavy_rank(&mut self.rng, n)] as usize,
                self.rng.random_range(0..n),
            ),
            35..70 => (
                self.rng.random_range(0..n),
                receivers[heavy_rank(&mut self.rng, n)] as usize,
            ),
            70..88 => (self.rng.random_range(0..n), self.rng.random_range(0..n)),
            _ => {
                let length = if self.rng.random_ratio(7, 10) { 3 } else { 4 };
                if remaining >= length as u64 {
                    let mut members: Vec<usize> = Vec::with_capacity(length);
                    while members.len() < length {
                        let candidate = self.rng.random_range(0..n);
                        if !members.contains(&candidate) {
                            members.push(candidate);
                        }
                    }
                    let amount = self.amount();
                    for hop in 0..length {
                        let (x, y) = (members[hop], members[(hop + 1) % length]);
                        self.pending
                            .push_back((base + x, base + y, fee(amount, hop)));
                    }
                    return self.pending.pop_front().expect("a cycle has hops");
                }
                (self.rng.random_range(0..n), self.rng.random_range(0..n))
            }
        };
        let b = if a == b {
            (b + 1 + self.rng.random_range(0..n - 1)) % n
        } else {
            b
        };
        (base + a, base + b, self.amount())
    }

    /// A log-normal amount in cents, median ≈ 90, always > 0.
    fn amount(&mut self) -> f64 {
        let raw = (4.5 + 1.4 * normal(&mut self.rng)).exp();
        ((raw * 100.0).round() / 100.0).max(0.01)
    }
}

/// The amount after `hop` hops of a cycle, each keeping 1 % as a fee.
fn fee(amount: f64, hop: usize) -> f64 {
    ((amount * 0.99f64.powi(hop as i32) * 100.0).round() / 100.0).max(0.01)
}
