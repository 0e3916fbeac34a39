//! What ops see of the running platform: cluster health and capacity views, this process's
//! Prometheus metrics, and the `/metrics` scrape that adds database and process figures.

pub mod cluster;
pub mod metrics;
pub mod scrape;
