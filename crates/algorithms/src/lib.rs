//! graph-olap-algorithms (skeleton).
