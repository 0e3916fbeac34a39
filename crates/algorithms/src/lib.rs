//! graph-olap-algorithms: pure Rust graph kernels for instance servers.
//!
//! Owns the in-memory graph representation used for analytics ([`csr::Csr`]), the kernels over it
//! (centrality, community, paths, similarity, embeddings — parallel with rayon and deterministic
//! for a given seed at any thread count), cooperative cancellation ([`cancel::Cancel`]), and the
//! native and NetworkX-compatible algorithm catalogues with parameter validation and dispatch
//! ([`catalogue`]). It does not own the graph engine, HTTP, locking or write-back: the instance
//! server builds a `Csr` from its snapshot (dense ids assigned in ascending `_id` order), calls
//! [`catalogue::run`] and writes the returned values back.

pub mod cancel;
pub mod catalogue;
pub mod centrality;
pub mod community;
pub mod csr;
pub mod fastrp;
pub mod generate;
pub mod ids;
pub mod par;
pub mod paths;
pub mod pull;
pub mod similarity;

pub use cancel::{Cancel, Interrupted};
pub use csr::{BuildOptions, Csr, Direction, GraphError};
