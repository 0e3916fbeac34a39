//! Community, component and clustering kernels.
//!
//! Owns one file per algorithm. Community / component labels are canonical: the smallest member
//! node id (see [`crate::ids`] for the NetworkX `0..k` numbering).

pub mod clustering;
pub mod greedy_modularity;
pub mod kcore;
pub mod label_propagation;
pub mod leiden;
pub mod louvain;
pub mod modularity;
pub mod scc;
pub mod triangles;
pub mod wcc;
