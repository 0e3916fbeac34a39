//! graph-olap-store (skeleton).
