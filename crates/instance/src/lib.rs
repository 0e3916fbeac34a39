//! graph-olap-instance (skeleton).
