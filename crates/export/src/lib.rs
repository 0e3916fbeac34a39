//! graph-olap-export (skeleton).
