//! graph-olap-runtime (skeleton).
