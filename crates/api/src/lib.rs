//! graph-olap-api (skeleton).
