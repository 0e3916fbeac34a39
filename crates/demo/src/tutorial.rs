//! The tutorial table `default_catalog.default_schema.bis_acct_dh`: one row per (customer,
//! account) holding, ≈1,000 customers and 1,500 accounts per unit of scale.
//!
//! Owns the holding pattern the tutorials rely on: every customer holds at least one account,
//! most accounts have one holder and some are shared by 2–4 customers, co-holders come from
//! small neighbourhoods ("households") with rare bridges, so the `SHARES_ACCOUNT` graph has
//! several connected components. Does not own the file writing (see `writer`).

use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::random::{epoch_days, shuffle, table_rng, weighted};

/// Customers per unit of scale.
pub(crate) const CUSTOMERS: u64 = 1_000;
/// Accounts per unit of scale.
pub(crate) const ACCOUNTS: u64 = 1_500;
/// Customers per household: co-holders are drawn from the same household.
const HOUSEHOLD: usize = 25;

/// The table's columns, as DEMO.md lists them.
pub(crate) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("psdo_cust_id", DataType::Utf8, false),
        Field::new("psdo_acno", DataType::Utf8, false),
        Field::new("bk_sectr", DataType::Utf8, false),
        Field::new("acct_stus", DataType::Utf8, false),
        Field::new("image_dt", DataType::Date32, false),
    ]))
}

/// The customer id text of 0-based customer `index`, e.g. `C000001`.
pub(crate) fn customer_id(index: usize) -> String {
    format!("C{:06}", index + 1)
}

/// Yields the table in batches of about `chunk` rows.
pub(crate) struct Holdings {
    rng: ChaCha8Rng,
    customers: usize,
    accounts: usize,
    next_account: usize,
    /// Each customer's sector letter.
    sectors: Vec<&'static str>,
    /// A shuffled customer order: account `i < customers` is held first by `owners[i]`.
    owners: Vec<u32>,
    first_day: i32,
    last_day: i32,
}

impl Holdings {
    pub(crate) fn new(scale: u32) -> Self {
        let mut rng = table_rng(1);
        let customers = (CUSTOMERS * scale as u64) as usize;
        let accounts = (ACCOUNTS * scale as u64) as usize;
        let sectors = (0..customers)
            .map(|_| *weighted(&mut rng, &[("P", 55), ("C", 25), ("G", 10), ("F", 10)]))
            .collect();
        let mut owners: Vec<u32> = (0..customers as u32).collect();
        shuffle(&mut rng, &mut owners);
        Holdings {
            rng,
            customers,
            accounts,
            next_account: 0,
            sectors,
            owners,
            first_day: epoch_days(2020, 1, 1),
            last_day: epoch_days(2024, 12, 31),
        }
    }

    /// The next batch, covering whole accounts, or `None` when every account is written.
    pub(crate) fn next_batch(&mut self, chunk: usize) -> Option<RecordBatch> {
        if self.next_account >= self.accounts {
            return None;
        }
        let mut cust = StringBuilder::new();
        let mut acno = StringBuilder::new();
        let mut sector = StringBuilder::new();
        let mut status = StringBuilder::new();
        let mut day = Vec::new();
        let mut holders = Vec::with_capacity(4);
        while self.next_account < self.accounts && day.len() < chunk {
            let account = self.next_account;
            self.next_account += 1;
            self.holders_of(account, &mut holders);
            let account_status = *weighted(&mut self.rng, &[("A", 75), ("D", 15), ("C", 10)]);
            for &holder in &holders {
                cust.append_value(customer_id(holder));
                acno.append_value(format!("AC{:08}", account + 1));
                sector.append_value(self.sectors[holder]);
                status.append_value(account_status);
                day.push(self.rng.random_range(self.first_day..=self.last_day));
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(cust.finish()),
            Arc::new(acno.finish()),
            Arc::new(sector.finish()),
            Arc::new(status.finish()),
            Arc::new(Date32Array::from(day)),
        ];
        Some(RecordBatch::try_new(schema(), columns).expect("columns match the schema"))
    }

    /// Fills `out` with the distinct holders of `account`: its owner first, then 0–3 co-holders.
    fn holders_of(&mut self, account: usize, out: &mut Vec<usize>) {
        out.clear();
        let owner = if account < self.customers {
            self.owners[account] as usize
        } else {
            self.rng.random_range(0..self.customers)
        };
        out.push(owner);
        let count = *weighted(&mut self.rng, &[(1usize, 60), (2, 20), (3, 12), (4, 8)]);
        co_holders(&mut self.rng, owner, count, self.customers, HOUSEHOLD, out);
    }
}

/// Adds distinct co-holders to `out` (which holds the owner) until it has `count` entries:
/// mostly from the owner's household of `household` customers, 2 % of the time from anywhere.
pub(crate) fn co_holders(
    rng: &mut impl Rng,
    owner: usize,
    count: usize,
    customers: usize,
    household: usize,
    out: &mut Vec<usize>,
) {
    let start = owner / household * household;
    let end = (start + household).min(customers);
    let mut attempts = 0;
    while out.len() < count && attempts < 50 {
        attempts += 1;
        let candidate = if rng.random_ratio(1, 50) {
            rng.random_range(0..customers)
        } else {
            rng.random_range(start..end)
        };
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
}
