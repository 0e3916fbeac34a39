//! Traversal and shortest-path kernels.
//!
//! Owns one file per algorithm; all take an explicit [`crate::csr::Direction`] so the same kernel
//! serves directed, reversed and undirected traversals.

pub mod apsp;
pub mod astar;
pub mod bellman_ford;
pub mod bfs;
pub mod delta_stepping;
pub mod dijkstra;
pub mod mst;
pub mod parallel_bfs;
pub mod shortest_path;
