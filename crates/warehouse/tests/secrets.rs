//! Warehouse credentials never leave the URL they came in (docs/security.md): configuration
//! errors, `Debug` output and connection failures name the warehouse without its password.

use graph_olap_warehouse::{WarehouseConfig, connect, redact_url};

const PASSWORD: &str = "pw-Never-Shown-42";

#[test]
fn urls_are_redacted_to_user_and_host() {
    assert_eq!(
        redact_url(&format!(
            "trino://etl:{PASSWORD}@coord:8080/hive?spooling=false"
        )),
        "trino://etl:***@coord:8080/hive?spooling=false"
    );
    assert_eq!(
        redact_url(&format!("postgres://etl:{PASSWORD}@db/warehouse")),
        "postgres://etl:***@db/warehouse"
    );
    for unchanged in [
        "postgres://etl@db/w",
        "/data/warehouse",
        "trino://coord:8080",
    ] {
        assert_eq!(redact_url(unchanged), unchanged);
    }
}

#[test]
fn configuration_errors_and_debug_output_hide_the_password() {
    for bad in [
        format!("trino://etl:{PASSWORD}@coord?bogus=1"),
        format!("trino://:{PASSWORD}@coord"),
        format!("trino://etl:{PASSWORD}@"),
    ] {
        let message = WarehouseConfig::parse(&bad).unwrap_err().to_string();
        assert!(
            message.contains("etl:***@") || message.contains(":***@"),
            "{message}"
        );
        assert!(!message.contains(PASSWORD), "{message}");
    }
    for good in [
        format!("trino://etl:{PASSWORD}@coord/hive"),
        format!("postgres://etl:{PASSWORD}@127.0.0.1:5432/test"),
    ] {
        let config = WarehouseConfig::parse(&good).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(shown.contains("etl"), "{shown}");
    }
}

#[tokio::test]
async fn connection_failures_hide_the_password() {
    // Nothing listens on port 1: the failure is reported, the password is not.
    let wh = connect(&format!("postgres://etl:{PASSWORD}@127.0.0.1:1/test"))
        .await
        .unwrap();
    let message = wh.ping().await.unwrap_err().to_string();
    assert!(!message.contains(PASSWORD), "{message}");
    let trino = connect(&format!("trino://etl:{PASSWORD}@127.0.0.1:1"))
        .await
        .unwrap();
    let message = trino.ping().await.unwrap_err().to_string();
    assert!(!message.contains(PASSWORD), "{message}");
}
