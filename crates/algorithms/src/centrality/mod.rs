//! Centrality kernels: how important each node is.
//!
//! Owns one file per measure; every kernel returns one value per node in dense-id order.

pub mod betweenness;
pub mod closeness;
pub mod degree;
pub mod eigenvector;
pub mod harmonic;
pub mod katz;
pub mod pagerank;
