//! The HTTP layer: the route table and its handlers, request reading and validation, success
//! envelopes, `Idempotency-Key`, and the proxy to instance servers (request ids are
//! `graph_olap_server_kit::request_id`).
//!
//! Handlers only read the request, check the caller's role, call one service and shape the
//! response; rules live in [`crate::services`].

pub mod idempotency;
pub mod input;
pub mod openapi;
pub mod proxy;
pub mod respond;
pub mod routes;
