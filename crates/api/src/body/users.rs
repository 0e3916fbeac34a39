//! Bodies of `/api/users…` (API.md §3.11–3.12, §5.8) that are not store rows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /api/users` and `POST /api/users/bootstrap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateUser {
    /// Lower-case login name.
    pub username: String,
    /// Contact address (must contain `@`).
    #[serde(default)]
    pub email: Option<String>,
    /// Display name (default: the username).
    #[serde(default)]
    pub display_name: Option<String>,
    /// `analyst` | `admin` | `ops` (default `analyst`; `admin` for bootstrap).
    #[serde(default)]
    pub role: Option<String>,
    /// Also issue an API key (answered once, under `api_key.key`).
    #[serde(default)]
    pub create_api_key: Option<bool>,
}

/// `PUT /api/users/{username}`: callers change their own email and display name; admins also
/// `is_active`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateUser {
    /// New contact address (`null` clears it).
    #[serde(default)]
    pub email: Option<String>,
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Activate or deactivate (admin only).
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// `PUT /api/users/{username}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SetRole {
    /// `analyst` | `admin` | `ops`.
    pub role: String,
}

/// `POST /api/users/{username}/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateApiKey {
    /// Label of the key.
    pub name: String,
    /// Expiry (RFC 3339, in the future); none by default.
    #[serde(default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub expires_at: Option<String>,
}

/// `GET /api/users/me`: the caller's user record and how the request authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CurrentUser {
    /// Login name (`system` for the internal key).
    pub username: String,
    /// Contact address.
    pub email: Option<String>,
    /// Display name.
    pub display_name: String,
    /// The role the request acts with.
    pub role: String,
    /// Whether the user may sign in.
    pub is_active: bool,
    /// Creation time.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: String,
    /// Last change.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub updated_at: String,
    /// Last authentication.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_login_at: Option<String>,
    /// Last role change.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub role_changed_at: Option<String>,
    /// Who changed the role last.
    pub role_changed_by: Option<String>,
    /// `api_key` | `dev` | `service`.
    pub auth_method: String,
    /// The key used, for `api_key`.
    pub api_key_id: Option<String>,
}
