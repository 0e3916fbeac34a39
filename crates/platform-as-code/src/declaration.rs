//! The declaration: a directory with `platform.yaml` that references mapping files, whose node
//! and edge SQL each live in their own `.sql` file; plus platform settings and users.
//!
//! Parsing is strict (`deny_unknown_fields`), and every problem — YAML syntax, unknown keys,
//! dangling file references, unknown types or roles, invalid durations, edges naming unknown
//! nodes — is reported with its file, line and field, all problems at once. The result is the
//! resolved [`Declaration`]: SQL inlined, types and durations normalised the way the control
//! plane stores them, so that comparing it with the live platform is plain equality.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use graph_olap_api::{
    EdgeDefinition, IsoDuration, NodeDefinition, PropertyDef, PropertyType, Role,
};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::error::DeclarationError;

/// The file every declaration directory starts from.
pub const ROOT_FILE: &str = "platform.yaml";

/// Absent → `None` (unmanaged); `null` → `Some(None)` (clear); value → `Some(Some(v))`.
fn double<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `platform.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RootFile {
    version: u32,
    name: String,
    #[serde(default)]
    mappings: Option<MappingsSection>,
    #[serde(default)]
    settings: Option<SettingsFile>,
    #[serde(default)]
    users: Option<UsersSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingsSection {
    #[serde(default)]
    exhaustive: bool,
    #[serde(default)]
    files: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersSection {
    #[serde(default)]
    exhaustive: bool,
    #[serde(default)]
    items: Vec<UserFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    username: String,
    role: String,
}

/// Lifecycle fields of one resource type; absent fields are not managed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleFields {
    /// `default_ttl` (ISO 8601 duration or null).
    #[serde(
        default,
        deserialize_with = "double",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_ttl: Option<Option<String>>,
    /// `default_inactivity`.
    #[serde(
        default,
        deserialize_with = "double",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_inactivity: Option<Option<String>>,
    /// `max_ttl`.
    #[serde(
        default,
        deserialize_with = "double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_ttl: Option<Option<String>>,
}

/// `settings.lifecycle`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSettings {
    /// Mapping lifecycle defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<LifecycleFields>,
    /// Snapshot lifecycle defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<LifecycleFields>,
    /// Instance lifecycle defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<LifecycleFields>,
}

/// `settings.concurrency`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConcurrencySettings {
    /// Active instances per analyst (1–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_analyst: Option<i64>,
    /// Active instances in the cluster (1–1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_total: Option<i64>,
}

/// `settings.maintenance`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSettings {
    /// Whether new instances are refused.
    pub enabled: bool,
    /// Message shown to users.
    #[serde(default)]
    pub message: String,
}

/// `settings.export`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSettings {
    /// Maximum export job duration (60–86400 s).
    pub max_duration_seconds: i64,
}

/// The platform settings of seeds 000/001; an absent group is not managed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    /// Lifecycle defaults.
    #[serde(default)]
    pub lifecycle: Option<LifecycleSettings>,
    /// Concurrency limits.
    #[serde(default)]
    pub concurrency: Option<ConcurrencySettings>,
    /// Maintenance mode.
    #[serde(default)]
    pub maintenance: Option<MaintenanceSettings>,
    /// Export limits.
    #[serde(default)]
    pub export: Option<ExportSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    name: String,
    #[serde(default, deserialize_with = "double")]
    description: Option<Option<String>>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    lifecycle: Option<MappingLifecycleFile>,
    nodes: Vec<NodeFile>,
    #[serde(default)]
    edges: Vec<EdgeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingLifecycleFile {
    #[serde(default, deserialize_with = "double")]
    ttl: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    inactivity_timeout: Option<Option<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PropFile {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    label: String,
    sql: String,
    primary_key: PropFile,
    #[serde(default)]
    properties: Vec<PropFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeFile {
    #[serde(rename = "type")]
    edge_type: String,
    from_node: String,
    to_node: String,
    sql: String,
    from_key: String,
    to_key: String,
    #[serde(default)]
    properties: Vec<PropFile>,
}

/// One declared mapping, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredMapping {
    /// Mapping name (the identity within the declaration).
    pub name: String,
    /// `None`: not managed; `Some(None)`: no description.
    pub description: Option<Option<String>>,
    /// Declared owner (informational: the API cannot transfer ownership).
    pub owner: Option<String>,
    /// `None`: not managed.
    pub ttl: Option<Option<String>>,
    /// `None`: not managed.
    pub inactivity_timeout: Option<Option<String>>,
    /// Node definitions with their SQL inlined.
    pub nodes: Vec<NodeDefinition>,
    /// Edge definitions with their SQL inlined.
    pub edges: Vec<EdgeDefinition>,
    /// The mapping file.
    pub file: PathBuf,
}

/// One declared user.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredUser {
    /// Lower-cased username.
    pub username: String,
    /// Role.
    pub role: Role,
}

/// A loaded, fully checked declaration.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The directory.
    pub dir: PathBuf,
    /// `name` of platform.yaml.
    pub name: String,
    /// Declared mappings, in file order.
    pub mappings: Vec<DeclaredMapping>,
    /// Whether undeclared mappings are to be deleted.
    pub mappings_exhaustive: bool,
    /// Declared settings (absent groups unmanaged).
    pub settings: SettingsFile,
    /// Declared users.
    pub users: Vec<DeclaredUser>,
    /// Whether undeclared active users are to be deactivated.
    pub users_exhaustive: bool,
    /// SHA-256 over every file the declaration read, in read order: any edit changes it.
    pub digest: String,
}

/// The 1-based line of the first line containing every one of `needles` (for semantic errors
/// the YAML parser cannot locate).
fn line_of(text: &str, needles: &[&str]) -> Option<usize> {
    text.lines()
        .position(|l| needles.iter().all(|n| l.contains(n)))
        .map(|i| i + 1)
}

struct Ctx<'a> {
    errors: &'a mut Vec<DeclarationError>,
    hasher: Sha256,
}

impl Ctx<'_> {
    fn err(&mut self, file: &Path, text: &str, needles: &[&str], field: String, message: String) {
        self.errors.push(DeclarationError {
            file: file.to_path_buf(),
            line: line_of(text, needles),
            field,
            message,
        });
    }

    fn read(
        &mut self,
        file: &Path,
        from: &Path,
        from_text: &str,
        field: &str,
        reference: &str,
    ) -> Option<String> {
        match std::fs::read_to_string(file) {
            Ok(t) => {
                self.hasher.update(file.display().to_string().as_bytes());
                self.hasher.update([0]);
                self.hasher.update(t.as_bytes());
                self.hasher.update([0]);
                Some(t)
            }
            Err(e) => {
                self.err(
                    from,
                    from_text,
                    &[reference],
                    field.to_string(),
                    format!("cannot read '{reference}' ({}): {e}", file.display()),
                );
                None
            }
        }
    }

    fn yaml<T: for<'de> Deserialize<'de>>(&mut self, file: &Path, text: &str) -> Option<T> {
        match serde_yaml::from_str::<T>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = e.to_string();
                // serde_yaml prefixes the path of the failing value: "a.b[0]: unknown field …".
                let (field, rest) = match message.split_once(": ") {
                    Some((p, r)) if !p.contains(' ') => (p.to_string(), r.to_string()),
                    _ => ("(document)".to_string(), message.clone()),
                };
                self.errors.push(DeclarationError {
                    file: file.to_path_buf(),
                    line: e.location().map(|l| l.line()),
                    field,
                    message: rest,
                });
                None
            }
        }
    }

    fn duration(
        &mut self,
        file: &Path,
        text: &str,
        field: &str,
        key: &str,
        value: &Option<Option<String>>,
    ) -> Option<Option<String>> {
        match value {
            Some(Some(d)) => match IsoDuration::parse(d) {
                Ok(p) => Some(Some(p.as_str().to_string())),
                Err(e) => {
                    self.err(
                        file,
                        text,
                        &[key, d],
                        field.to_string(),
                        format!("'{d}' is not a valid ISO 8601 duration ({})", e.reason()),
                    );
                    None
                }
            },
            Some(None) => Some(None),
            None => None,
        }
    }
}

fn prop(
    ctx: &mut Ctx<'_>,
    file: &Path,
    text: &str,
    field: &str,
    p: &PropFile,
    key: bool,
) -> Option<PropertyDef> {
    let ok_name = {
        let mut c = p.name.chars();
        matches!(c.next(), Some(x) if x.is_ascii_alphabetic())
            && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
            && p.name.len() <= 64
    };
    if !ok_name {
        ctx.err(
            file,
            text,
            &[&p.name],
            format!("{field}.name"),
            format!(
                "'{}' must be a letter, then letters, digits or '_' (≤ 64)",
                p.name
            ),
        );
    }
    match PropertyType::parse(&p.ty) {
        Some(t) if key && !t.allowed_as_key() => {
            ctx.err(
                file,
                text,
                &[&p.ty],
                format!("{field}.type"),
                format!("{t} cannot be a primary key; use STRING, an integer type or UUID"),
            );
            None
        }
        Some(t) if ok_name => Some(PropertyDef {
            name: p.name.clone(),
            ty: t,
        }),
        Some(_) => None,
        None => {
            ctx.err(
                file,
                text,
                &[&p.ty],
                format!("{field}.type"),
                format!(
                    "'{}' is not a supported type; use one of {}",
                    p.ty,
                    PropertyType::CANONICAL_NAMES.join(", ")
                ),
            );
            None
        }
    }
}

fn sql_file(
    ctx: &mut Ctx<'_>,
    file: &Path,
    text: &str,
    field: &str,
    reference: &str,
) -> Option<String> {
    if !reference.ends_with(".sql") {
        ctx.err(
            file,
            text,
            &[reference],
            field.to_string(),
            format!("'{reference}' must name a .sql file (each SQL lives in its own file)"),
        );
        return None;
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let sql = ctx.read(&base.join(reference), file, text, field, reference)?;
    let sql = sql.trim().to_string();
    if sql.is_empty() {
        ctx.err(
            file,
            text,
            &[reference],
            field.to_string(),
            format!("'{reference}' is empty"),
        );
        return None;
    }
    Some(sql)
}

fn mapping(ctx: &mut Ctx<'_>, file: &Path, text: &str) -> Option<DeclaredMapping> {
    let m: MappingFile = ctx.yaml(file, text)?;
    let start = ctx.errors.len();
    if m.name.trim().is_empty() || m.name.chars().count() > 255 {
        ctx.err(
            file,
            text,
            &["name:"],
            "name".into(),
            "name must have 1 to 255 characters".into(),
        );
    }
    if m.nodes.is_empty() {
        ctx.err(
            file,
            text,
            &["nodes"],
            "nodes".into(),
            "a mapping needs at least one node".into(),
        );
    }
    let mut nodes = Vec::new();
    let mut labels = BTreeSet::new();
    for (i, n) in m.nodes.iter().enumerate() {
        let f = format!("nodes[{i}]");
        if !labels.insert(n.label.clone()) {
            ctx.err(
                file,
                text,
                &["label", &n.label],
                format!("{f}.label"),
                format!("node label '{}' is declared twice", n.label),
            );
        }
        let sql = sql_file(ctx, file, text, &format!("{f}.sql"), &n.sql);
        let pk = prop(
            ctx,
            file,
            text,
            &format!("{f}.primary_key"),
            &n.primary_key,
            true,
        );
        let props: Vec<_> = n
            .properties
            .iter()
            .enumerate()
            .map(|(j, p)| prop(ctx, file, text, &format!("{f}.properties[{j}]"), p, false))
            .collect();
        if let (Some(sql), Some(primary_key)) = (sql, pk)
            && props.iter().all(Option::is_some)
        {
            nodes.push(NodeDefinition {
                label: n.label.clone(),
                sql,
                primary_key,
                properties: props.into_iter().flatten().collect(),
            });
        }
    }
    let mut edges = Vec::new();
    for (i, e) in m.edges.iter().enumerate() {
        let f = format!("edges[{i}]");
        for (key, node) in [("from_node", &e.from_node), ("to_node", &e.to_node)] {
            if !labels.contains(node) {
                ctx.err(
                    file,
                    text,
                    &[key, node],
                    format!("{f}.{key}"),
                    format!("'{node}' is not the label of a node of this mapping"),
                );
            }
        }
        let sql = sql_file(ctx, file, text, &format!("{f}.sql"), &e.sql);
        let props: Vec<_> = e
            .properties
            .iter()
            .enumerate()
            .map(|(j, p)| prop(ctx, file, text, &format!("{f}.properties[{j}]"), p, false))
            .collect();
        if let Some(sql) = sql
            && props.iter().all(Option::is_some)
        {
            edges.push(EdgeDefinition {
                edge_type: e.edge_type.clone(),
                from_node: e.from_node.clone(),
                to_node: e.to_node.clone(),
                sql,
                from_key: e.from_key.clone(),
                to_key: e.to_key.clone(),
                properties: props.into_iter().flatten().collect(),
            });
        }
    }
    let (ttl, inactivity_timeout) = match &m.lifecycle {
        Some(l) => (
            ctx.duration(file, text, "lifecycle.ttl", "ttl", &l.ttl),
            ctx.duration(
                file,
                text,
                "lifecycle.inactivity_timeout",
                "inactivity_timeout",
                &l.inactivity_timeout,
            ),
        ),
        None => (None, None),
    };
    (ctx.errors.len() == start).then(|| DeclaredMapping {
        name: m.name.trim().to_string(),
        description: m.description,
        owner: m.owner.map(|o| o.to_ascii_lowercase()),
        ttl,
        inactivity_timeout,
        nodes,
        edges,
        file: file.to_path_buf(),
    })
}

fn settings(ctx: &mut Ctx<'_>, file: &Path, text: &str, s: &mut SettingsFile) {
    if let Some(l) = &mut s.lifecycle {
        for (name, fields) in [
            ("mapping", &mut l.mapping),
            ("snapshot", &mut l.snapshot),
            ("instance", &mut l.instance),
        ] {
            let Some(f) = fields else { continue };
            for (key, v) in [
                ("default_ttl", &mut f.default_ttl),
                ("default_inactivity", &mut f.default_inactivity),
                ("max_ttl", &mut f.max_ttl),
            ] {
                let field = format!("settings.lifecycle.{name}.{key}");
                if let Some(norm) = ctx.duration(file, text, &field, key, v) {
                    *v = Some(norm);
                }
            }
        }
    }
    if let Some(c) = &s.concurrency {
        if let Some(p) = c.per_analyst.filter(|p| !(1..=100).contains(p)) {
            ctx.err(
                file,
                text,
                &["per_analyst"],
                "settings.concurrency.per_analyst".into(),
                format!("{p} is outside 1–100"),
            );
        }
        if let Some(t) = c.cluster_total.filter(|t| !(1..=1000).contains(t)) {
            ctx.err(
                file,
                text,
                &["cluster_total"],
                "settings.concurrency.cluster_total".into(),
                format!("{t} is outside 1–1000"),
            );
        }
    }
    if let Some(e) = &s.export
        && !(60..=86_400).contains(&e.max_duration_seconds)
    {
        ctx.err(
            file,
            text,
            &["max_duration_seconds"],
            "settings.export.max_duration_seconds".into(),
            format!("{} is outside 60–86400", e.max_duration_seconds),
        );
    }
    if let Some(m) = &s.maintenance
        && m.message.chars().count() > 1000
    {
        ctx.err(
            file,
            text,
            &["message"],
            "settings.maintenance.message".into(),
            "the message has more than 1000 characters".into(),
        );
    }
}

/// Loads and checks the declaration in `dir` offline; every problem is returned together.
pub fn load(dir: &Path) -> Result<Declaration, Vec<DeclarationError>> {
    let mut errors = Vec::new();
    let mut ctx = Ctx {
        errors: &mut errors,
        hasher: Sha256::new(),
    };
    let root_path = dir.join(ROOT_FILE);
    let Some(root_text) = ctx.read(&root_path, &root_path, "", "(file)", ROOT_FILE) else {
        return Err(errors);
    };
    let Some(root) = ctx.yaml::<RootFile>(&root_path, &root_text) else {
        return Err(errors);
    };
    if root.version != 1 {
        ctx.err(
            &root_path,
            &root_text,
            &["version"],
            "version".into(),
            format!("version {} is not supported; use 1", root.version),
        );
    }
    let mut mappings = Vec::new();
    let section = root.mappings.unwrap_or(MappingsSection {
        exhaustive: false,
        files: vec![],
    });
    for (i, f) in section.files.iter().enumerate() {
        let path = dir.join(f);
        let field = format!("mappings.files[{i}]");
        if let Some(text) = ctx.read(&path, &root_path, &root_text, &field, f)
            && let Some(m) = mapping(&mut ctx, &path, &text)
        {
            if mappings.iter().any(|o: &DeclaredMapping| o.name == m.name) {
                ctx.err(
                    &root_path,
                    &root_text,
                    &[f],
                    field,
                    format!("mapping '{}' is declared twice", m.name),
                );
            } else {
                mappings.push(m);
            }
        }
    }
    let mut s = root.settings.unwrap_or_default();
    settings(&mut ctx, &root_path, &root_text, &mut s);
    let users_section = root.users.unwrap_or(UsersSection {
        exhaustive: false,
        items: vec![],
    });
    let mut users: Vec<DeclaredUser> = Vec::new();
    for (i, u) in users_section.items.iter().enumerate() {
        let field = format!("users.items[{i}]");
        let username = u.username.trim().to_ascii_lowercase();
        let ok = !username.is_empty()
            && username.len() <= 255
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+@-".contains(c));
        if !ok {
            ctx.err(
                &root_path,
                &root_text,
                &[&u.username],
                format!("{field}.username"),
                format!("'{}' is not a valid username", u.username),
            );
        }
        match Role::parse(&u.role) {
            Some(role) if ok => {
                if users.iter().any(|x| x.username == username) {
                    ctx.err(
                        &root_path,
                        &root_text,
                        &[&u.username],
                        format!("{field}.username"),
                        format!("user '{username}' is declared twice"),
                    );
                } else {
                    users.push(DeclaredUser { username, role });
                }
            }
            Some(_) => {}
            None => ctx.err(
                &root_path,
                &root_text,
                &["role", &u.role],
                format!("{field}.role"),
                format!(
                    "'{}' is not a role; use one of {}",
                    u.role,
                    Role::NAMES.join(", ")
                ),
            ),
        }
    }
    let digest = hex::encode(std::mem::take(&mut ctx.hasher).finalize());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Declaration {
        dir: dir.to_path_buf(),
        name: root.name,
        mappings,
        mappings_exhaustive: section.exhaustive,
        settings: s,
        users,
        users_exhaustive: users_section.exhaustive,
        digest,
    })
}
