//! graph-olap-demo (skeleton).
