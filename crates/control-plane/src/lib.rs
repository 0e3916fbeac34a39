//! graph-olap-control-plane (skeleton).
