//! The mappings seeded for every deployment (DEMO.md, "Seeded mappings"), as data the control
//! plane stores on bootstrap.
//!
//! Owns the SQL and declared types of `tutorial-customer-graph` and `bank-graph`. Does not own
//! seeding them (ownership, versions and idempotence are the control plane's).

use graph_olap_api::{EdgeDefinition, NodeDefinition, PropertyDef, PropertyType, ScalarType};

/// Name of the tutorial mapping every tutorial looks up.
pub const TUTORIAL_MAPPING_NAME: &str = "tutorial-customer-graph";
/// Name of the bank demo mapping.
pub const BANK_MAPPING_NAME: &str = "bank-graph";
/// The user the seeded mappings belong to.
pub const SEED_OWNER: &str = "analyst_alice@e2e.local";

/// The tutorial customer node SQL, verbatim from DEMO.md.
pub const TUTORIAL_CUSTOMER_SQL: &str = r#"SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr, COUNT(DISTINCT psdo_acno) AS account_count, MIN(acct_stus) AS acct_stus FROM "default_catalog"."default_schema".bis_acct_dh WHERE image_dt >= DATE '2020-01-01' GROUP BY psdo_cust_id"#;
/// The tutorial `SHARES_ACCOUNT` edge SQL, verbatim from DEMO.md.
pub const TUTORIAL_SHARES_ACCOUNT_SQL: &str = r#"SELECT DISTINCT CAST(a.psdo_cust_id AS VARCHAR) AS from_id, CAST(b.psdo_cust_id AS VARCHAR) AS to_id FROM "default_catalog"."default_schema".bis_acct_dh a JOIN "default_catalog"."default_schema".bis_acct_dh b ON a.psdo_acno = b.psdo_acno AND a.psdo_cust_id < b.psdo_cust_id AND a.image_dt >= DATE '2020-01-01' AND b.image_dt >= DATE '2020-01-01'"#;

fn prop(name: &str, ty: ScalarType) -> PropertyDef {
    PropertyDef {
        name: name.into(),
        ty: PropertyType::Scalar(ty),
    }
}

/// `tutorial-customer-graph`: `(name, description, node definitions, edge definitions)`.
pub fn tutorial_mapping() -> (String, String, Vec<NodeDefinition>, Vec<EdgeDefinition>) {
    let customer = NodeDefinition {
        label: "Customer".into(),
        sql: TUTORIAL_CUSTOMER_SQL.into(),
        primary_key: prop("id", ScalarType::String),
        properties: vec![
            prop("bk_sectr", ScalarType::String),
            prop("account_count", ScalarType::Int64),
            prop("acct_stus", ScalarType::String),
        ],
    };
    let shares = EdgeDefinition {
        edge_type: "SHARES_ACCOUNT".into(),
        from_node: "Customer".into(),
        to_node: "Customer".into(),
        sql: TUTORIAL_SHARES_ACCOUNT_SQL.into(),
        from_key: "from_id".into(),
        to_key: "to_id".into(),
        properties: vec![],
    };
    (
        TUTORIAL_MAPPING_NAME.into(),
        "Customers linked when they hold the same account (demo table default_catalog.default_schema.bis_acct_dh)."
            .into(),
        vec![customer],
        vec![shares],
    )
}

/// `bank-graph` over `demo.bank`: `(name, description, node definitions, edge definitions)`.
pub fn bank_mapping() -> (String, String, Vec<NodeDefinition>, Vec<EdgeDefinition>) {
    let customer = NodeDefinition {
        label: "Customer".into(),
        sql: "SELECT customer_id, name, segment, country, risk_score FROM demo.bank.customers"
            .into(),
        primary_key: prop("customer_id", ScalarType::Int64),
        properties: vec![
            prop("name", ScalarType::String),
            prop("segment", ScalarType::String),
            prop("country", ScalarType::String),
            prop("risk_score", ScalarType::Double),
        ],
    };
    let account = NodeDefinition {
        label: "Account".into(),
        sql: "SELECT account_id, account_no, sector, status FROM demo.bank.accounts".into(),
        primary_key: prop("account_id", ScalarType::Int64),
        properties: vec![
            prop("account_no", ScalarType::String),
            prop("sector", ScalarType::String),
            prop("status", ScalarType::String),
        ],
    };
    let holds = EdgeDefinition {
        edge_type: "HOLDS".into(),
        from_node: "Customer".into(),
        to_node: "Account".into(),
        sql: "SELECT customer_id, account_id, role FROM demo.bank.account_holders".into(),
        from_key: "customer_id".into(),
        to_key: "account_id".into(),
        properties: vec![prop("role", ScalarType::String)],
    };
    let transfer = EdgeDefinition {
        edge_type: "TRANSFER".into(),
        from_node: "Account".into(),
        to_node: "Account".into(),
        sql: "SELECT from_account, to_account, amount, ts FROM demo.bank.transfers".into(),
        from_key: "from_account".into(),
        to_key: "to_account".into(),
        properties: vec![
            prop("amount", ScalarType::Double),
            prop("ts", ScalarType::Timestamp),
        ],
    };
    (
        BANK_MAPPING_NAME.into(),
        "Bank customers, their accounts and the transfers between accounts (demo.bank).".into(),
        vec![customer, account],
        vec![holds, transfer],
    )
}
