//! graph-olap-warehouse (skeleton).
