//! The demo warehouse, generated for real and read back through the embedded DataFusion
//! connector: row counts, determinism, foreign keys, the tutorial patterns, and the seeded
//! mappings' SQL.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use graph_olap_demo::{
    DemoSummary, MANIFEST_FILE, bank_mapping, existing, generate, tutorial_mapping,
};
use graph_olap_warehouse::{DataFusionWarehouse, ExpectedColumn, Warehouse, validate_query};

async fn scalar(wh: &DataFusionWarehouse, sql: &str) -> i64 {
    let batches = wh
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap();
    let batch = batches.iter().find(|b| b.num_rows() > 0).expect("one row");
    batch.column(0).as_primitive::<Int64Type>().value(0)
}

async fn pairs(wh: &DataFusionWarehouse, sql: &str) -> Vec<(i64, i64)> {
    let batches = wh.query(sql).await.unwrap().collect().await.unwrap();
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(0).as_primitive::<Int64Type>().clone();
            let c = b.column(1).as_primitive::<Int64Type>().clone();
            (0..b.num_rows()).map(move |i| (a.value(i), c.value(i)))
        })
        .collect()
}

fn generated(scale: u32) -> (tempfile::TempDir, DemoSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&dir.path().join("warehouse"), scale).unwrap();
    (dir, summary)
}

#[test]
fn row_counts_match_demo_md_and_scale_linearly() {
    let (_dir, one) = generated(1);
    assert_eq!(one.scale, 1);
    assert_eq!(one.rows("customers"), Some(1_000));
    assert_eq!(one.rows("accounts"), Some(1_500));
    assert_eq!(one.rows("transfers"), Some(10_000));
    let holders = one.rows("account_holders").unwrap();
    assert!(
        (2_000..=2_400).contains(&holders),
        "account_holders {holders}"
    );
    let tutorial = one.rows("bis_acct_dh").unwrap();
    assert!(
        (2_300..=2_700).contains(&tutorial),
        "bis_acct_dh {tutorial}"
    );

    let (_dir3, three) = generated(3);
    assert_eq!(three.rows("customers"), Some(3_000));
    assert_eq!(three.rows("accounts"), Some(4_500));
    assert_eq!(three.rows("transfers"), Some(30_000));
    let holders3 = three.rows("account_holders").unwrap();
    assert!(
        (6_000..=7_200).contains(&holders3),
        "account_holders at scale 3: {holders3}"
    );
}

#[test]
fn same_scale_gives_identical_bytes() {
    let (a, summary_a) = generated(1);
    let (b, summary_b) = generated(1);
    assert_eq!(summary_a, summary_b);
    for table in &summary_a.tables {
        let relative = table.relative_path();
        let bytes_a = std::fs::read(a.path().join("warehouse").join(&relative)).unwrap();
        let bytes_b = std::fs::read(b.path().join("warehouse").join(&relative)).unwrap();
        assert!(
            bytes_a == bytes_b,
            "{} differs between two runs",
            relative.display()
        );
    }
}

#[test]
fn generation_is_published_whole_and_leaves_other_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("warehouse");
    assert_eq!(existing(&root).unwrap(), None);
    let own = root.join("mine/data/orders.csv");
    std::fs::create_dir_all(own.parent().unwrap()).unwrap();
    std::fs::write(&own, "id\n1\n").unwrap();
    std::fs::create_dir_all(root.join(".demo-staging-1-2/demo")).unwrap(); // left by a crash

    let summary = generate(&root, 1).unwrap();
    assert_eq!(existing(&root).unwrap(), Some(summary.clone()));
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "id\n1\n");
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != MANIFEST_FILE)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Regenerating over an existing demo replaces it in place.
    assert_eq!(generate(&root, 1).unwrap(), summary);
    // A demo file missing means the demo is not complete.
    std::fs::remove_file(root.join("demo/bank/transfers.parquet")).unwrap();
    assert_eq!(existing(&root).unwrap(), None);
    assert!(generate(&root, 0).is_err());
}

fn check_components(edges: &[(i64, i64)]) -> Vec<usize> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn find(parent: &mut HashMap<i64, i64>, x: i64) -> i64 {
        let p = *parent.entry(x).or_insert(x);
        if p == x {
            return x;
        }
        let root = find(parent, p);
        parent.insert(x, root);
        root
    }
    for &(a, b) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent.insert(ra, rb);
        }
    }
    let nodes: Vec<i64> = parent.keys().copied().collect();
    let mut sizes: HashMap<i64, usize> = HashMap::new();
    for n in nodes {
        *sizes.entry(find(&mut parent, n)).or_default() += 1;
    }
    let mut sizes: Vec<usize> = sizes.into_values().collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

#[tokio::test]
async fn keys_resolve_and_the_tutorial_patterns_are_present() {
    let (dir, _) = generated(1);
    let wh = DataFusionWarehouse::open(dir.path().join("warehouse"))
        .await
        .unwrap();

    // Unique keys.
    assert_eq!(
        scalar(
            &wh,
            "SELECT COUNT(*) - COUNT(DISTINCT customer_id) FROM demo.bank.customers"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &wh,
            "SELECT COUNT(*) - COUNT(DISTINCT account_id) FROM demo.bank.accounts"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &wh,
            "SELECT COUNT(*) - COUNT(DISTINCT account_no) FROM demo.bank.accounts"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &wh,
            "SELECT COUNT(*) - COUNT(DISTINCT transfer_id) FROM demo.bank.transfers"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&wh, "SELECT COUNT(*) FROM (SELECT customer_id, account_id FROM demo.bank.account_holders GROUP BY 1, 2 HAVING COUNT(*) > 1)").await,
        0
    );
    // Every foreign key resolves.
    for sql in [
        "SELECT COUNT(*) FROM demo.bank.account_holders h LEFT JOIN demo.bank.customers c ON h.customer_id = c.customer_id WHERE c.customer_id IS NULL",
        "SELECT COUNT(*) FROM demo.bank.account_holders h LEFT JOIN demo.bank.accounts a ON h.account_id = a.account_id WHERE a.account_id IS NULL",
        "SELECT COUNT(*) FROM demo.bank.transfers t LEFT JOIN demo.bank.accounts a ON t.from_account = a.account_id WHERE a.account_id IS NULL",
        "SELECT COUNT(*) FROM demo.bank.transfers t LEFT JOIN demo.bank.accounts a ON t.to_account = a.account_id WHERE a.account_id IS NULL",
    ] {
        assert_eq!(scalar(&wh, sql).await, 0, "{sql}");
    }
    // Every account has exactly one owner; every customer holds something.
    assert_eq!(
        scalar(&wh, "SELECT COUNT(*) FROM (SELECT account_id FROM demo.bank.account_holders WHERE role = 'owner' GROUP BY account_id HAVING COUNT(*) = 1)").await,
        1_500
    );
    assert_eq!(
        scalar(
            &wh,
            "SELECT COUNT(DISTINCT customer_id) FROM demo.bank.account_holders"
        )
        .await,
        1_000
    );
    // Value domains.
    assert_eq!(scalar(&wh, "SELECT COUNT(*) FROM demo.bank.transfers WHERE amount <= 0 OR from_account = to_account").await, 0);
    assert_eq!(
        scalar(
            &wh,
            "SELECT COUNT(*) FROM demo.bank.customers WHERE risk_score < 0 OR risk_score > 1"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&wh, "SELECT COUNT(*) FROM demo.bank.customers WHERE segment NOT IN ('retail', 'business', 'private') OR length(country) <> 2").await,
        0
    );
    assert_eq!(scalar(&wh, "SELECT COUNT(*) FROM demo.bank.accounts WHERE status NOT IN ('open', 'frozen', 'closed')").await, 0);
    assert_eq!(scalar(&wh, "SELECT COUNT(*) FROM default_catalog.default_schema.bis_acct_dh WHERE image_dt < DATE '2020-01-01'").await, 0);

    // Shared accounts with 2–4 holders, in both the bank and the tutorial table.
    let shared_bank = scalar(&wh, "SELECT COUNT(*) FROM (SELECT account_id FROM demo.bank.account_holders GROUP BY account_id HAVING COUNT(*) >= 2)").await;
    assert!(shared_bank >= 100, "shared bank accounts: {shared_bank}");
    assert_eq!(scalar(&wh, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM demo.bank.account_holders GROUP BY account_id)").await, 4);
    let shared_tutorial = scalar(&wh, "SELECT COUNT(*) FROM (SELECT psdo_acno FROM bis_acct_dh GROUP BY psdo_acno HAVING COUNT(DISTINCT psdo_cust_id) >= 2)").await;
    assert!(
        shared_tutorial >= 300,
        "shared tutorial accounts: {shared_tutorial}"
    );
    assert_eq!(
        scalar(
            &wh,
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM bis_acct_dh GROUP BY psdo_acno)"
        )
        .await,
        4
    );

    // Fan-in and fan-out hubs.
    let fan_in = scalar(&wh, "SELECT MAX(n) FROM (SELECT COUNT(DISTINCT from_account) AS n FROM demo.bank.transfers GROUP BY to_account)").await;
    let fan_out = scalar(&wh, "SELECT MAX(n) FROM (SELECT COUNT(DISTINCT to_account) AS n FROM demo.bank.transfers GROUP BY from_account)").await;
    let median_degree = 10_000 / 1_500;
    assert!(fan_in >= 10 * median_degree, "largest fan-in {fan_in}");
    assert!(fan_out >= 10 * median_degree, "largest fan-out {fan_out}");

    // Short cycles A→B→C→A.
    let triangles = scalar(
        &wh,
        "SELECT COUNT(*) FROM demo.bank.transfers x JOIN demo.bank.transfers y ON x.to_account = y.from_account \
         JOIN demo.bank.transfers z ON y.to_account = z.from_account AND z.to_account = x.from_account \
         WHERE x.from_account <> y.from_account AND y.from_account <> z.from_account AND x.from_account <> z.from_account",
    )
    .await;
    assert!(triangles >= 30, "3-cycles: {triangles}");

    // Several connected components, in the transfer graph and in the shared-account graph.
    let transfer_edges = pairs(
        &wh,
        "SELECT from_account, to_account FROM demo.bank.transfers",
    )
    .await;
    let sizes = check_components(&transfer_edges);
    assert!(
        sizes.iter().filter(|&&s| s >= 100).count() >= 4,
        "large transfer components: {:?}",
        &sizes[..6]
    );
    assert!(
        sizes.iter().filter(|&&s| (3..=5).contains(&s)).count() >= 5,
        "small transfer components: {sizes:?}"
    );

    let shares = pairs(
        &wh,
        "SELECT DISTINCT CAST(substr(a.psdo_cust_id, 2) AS BIGINT), CAST(substr(b.psdo_cust_id, 2) AS BIGINT) \
         FROM bis_acct_dh a JOIN bis_acct_dh b ON a.psdo_acno = b.psdo_acno AND a.psdo_cust_id < b.psdo_cust_id",
    )
    .await;
    let share_sizes = check_components(&shares);
    assert!(
        share_sizes.len() >= 5,
        "shared-account components: {share_sizes:?}"
    );
}

async fn assert_mapping_runs(
    root: &Path,
    mapping: (
        String,
        String,
        Vec<graph_olap_api::NodeDefinition>,
        Vec<graph_olap_api::EdgeDefinition>,
    ),
) -> HashMap<String, usize> {
    let wh = DataFusionWarehouse::open(root).await.unwrap();
    let (name, _, nodes, edges) = mapping;
    let mut rows = HashMap::new();
    for node in &nodes {
        let expected = ExpectedColumn::for_node(node);
        let problems = validate_query(&wh, &node.sql, &expected).await.unwrap();
        assert!(problems.is_empty(), "{name} {}: {problems:?}", node.label);
        let mut stream = wh.query(&node.sql).await.unwrap();
        let mut count = 0;
        while let Some(batch) = futures_next(&mut stream).await {
            let conformed = graph_olap_warehouse::conform_batch(&batch, &expected).unwrap();
            assert_eq!(
                conformed.column(0).null_count(),
                0,
                "{} keys are never NULL",
                node.label
            );
            count += conformed.num_rows();
        }
        rows.insert(node.label.clone(), count);
    }
    for edge in &edges {
        let key_type = |label: &str| {
            nodes
                .iter()
                .find(|n| n.label == label)
                .unwrap()
                .primary_key
                .ty
        };
        let expected =
            ExpectedColumn::for_edge(edge, key_type(&edge.from_node), key_type(&edge.to_node));
        let problems = validate_query(&wh, &edge.sql, &expected).await.unwrap();
        assert!(
            problems.is_empty(),
            "{name} {}: {problems:?}",
            edge.edge_type
        );
        let mut stream = wh.query(&edge.sql).await.unwrap();
        let mut count = 0;
        while let Some(batch) = futures_next(&mut stream).await {
            count += graph_olap_warehouse::conform_batch(&batch, &expected)
                .unwrap()
                .num_rows();
        }
        rows.insert(edge.edge_type.clone(), count);
    }
    rows
}

async fn futures_next(
    stream: &mut graph_olap_warehouse::BatchStream,
) -> Option<arrow::record_batch::RecordBatch> {
    use futures::StreamExt;
    stream.batches.next().await.map(|b| b.unwrap())
}

#[tokio::test]
async fn seeded_mappings_validate_and_run_on_the_demo() {
    let (dir, summary) = generated(1);
    let root = dir.path().join("warehouse");
    let tutorial = assert_mapping_runs(&root, tutorial_mapping()).await;
    assert_eq!(
        tutorial["Customer"], 1_000,
        "every customer holds an account dated 2020 or later"
    );
    let shares = tutorial["SHARES_ACCOUNT"];
    assert!(
        (300..=3_000).contains(&shares),
        "SHARES_ACCOUNT edges: {shares}"
    );

    let bank = assert_mapping_runs(&root, bank_mapping()).await;
    assert_eq!(bank["Customer"], 1_000);
    assert_eq!(bank["Account"], 1_500);
    assert_eq!(
        bank["HOLDS"] as u64,
        summary.rows("account_holders").unwrap()
    );
    assert_eq!(bank["TRANSFER"], 10_000);
    let (name, description, nodes, edges) = bank_mapping();
    assert_eq!(name, "bank-graph");
    assert!(!description.is_empty());
    assert_eq!((nodes.len(), edges.len()), (2, 2));
    assert_eq!(tutorial_mapping().0, "tutorial-customer-graph");
}
