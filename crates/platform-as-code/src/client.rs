//! The HTTP client of the control plane: bearer API keys (a primary key, and optionally a second
//! key so that one run can hold both the ops role for settings and the admin role for users),
//! the envelope unwrapped, errors turned into [`PlatformError::Api`] with their typed code.

use reqwest::Method;
use serde_json::Value;

use crate::error::PlatformError;

/// Which role a request needs, to pick the key that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any key (reads, mappings, the ledger).
    Any,
    /// A key of a user with the ops role (`/api/config/*`).
    Ops,
    /// A key of a user with the admin role (user writes).
    Admin,
}

/// One key and the role of its user.
#[derive(Debug, Clone)]
struct Key {
    token: String,
    role: String,
    username: String,
}

/// A connection to one control plane.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    keys: Vec<Key>,
}

impl Client {
    /// Connects with one or more API keys (the first is used for everything its role allows);
    /// each key is resolved with `GET /api/users/me`.
    pub async fn connect(base: &str, tokens: &[String]) -> Result<Client, PlatformError> {
        if tokens.is_empty() {
            return Err(PlatformError::Refused(
                "no API key: set GRAPH_OLAP_API_KEY (an admin or ops key) or pass --api-key".into(),
            ));
        }
        let mut client = Client {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .map_err(|e| PlatformError::Transport {
                    url: base.into(),
                    message: e.to_string(),
                })?,
            keys: Vec::new(),
        };
        for t in tokens {
            client.keys.push(Key {
                token: t.clone(),
                role: String::new(),
                username: String::new(),
            });
        }
        for i in 0..client.keys.len() {
            let me = client
                .send_with(i, Method::GET, "/api/users/me", None, None, None)
                .await?;
            client.keys[i].role = me["role"].as_str().unwrap_or_default().to_string();
            client.keys[i].username = me["username"].as_str().unwrap_or_default().to_string();
        }
        if !client
            .keys
            .iter()
            .any(|k| k.role == "admin" || k.role == "ops")
        {
            return Err(PlatformError::Refused(format!(
                "platform commands need an admin or ops key; the key given belongs to {} (role {})",
                client.keys[0].username, client.keys[0].role
            )));
        }
        Ok(client)
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Username of the primary key.
    pub fn username(&self) -> &str {
        &self.keys[0].username
    }

    /// Whether some key has the role `need` asks for.
    pub fn can(&self, need: Need) -> bool {
        self.key_for(need).is_some()
    }

    fn key_for(&self, need: Need) -> Option<usize> {
        let role = match need {
            Need::Any => {
                return self
                    .keys
                    .iter()
                    .position(|k| k.role == "admin" || k.role == "ops");
            }
            Need::Ops => "ops",
            Need::Admin => "admin",
        };
        self.keys.iter().position(|k| k.role == role)
    }

    /// Sends a request with the key for `need`; `request_id` and `idempotency_key` become
    /// `X-Request-ID` and `Idempotency-Key`. Returns the envelope's `data`.
    pub async fn send(
        &self,
        need: Need,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, PlatformError> {
        let Some(i) = self.key_for(need) else {
            return Err(PlatformError::Refused(format!(
                "{method} {path} needs a key of a user with the {} role; pass it as --admin-api-key / GRAPH_OLAP_ADMIN_API_KEY or as the main key",
                if need == Need::Admin { "admin" } else { "ops" }
            )));
        };
        self.send_with(i, method, path, body, request_id, idempotency_key)
            .await
    }

    async fn send_with(
        &self,
        key: usize,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, PlatformError> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.keys[key].token);
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(r) = request_id {
            req = req.header("X-Request-ID", r);
        }
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        let transport = |e: reqwest::Error| PlatformError::Transport {
            url: self.base.clone(),
            message: e.to_string(),
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let text = resp.text().await.map_err(transport)?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json.get("data").cloned().unwrap_or(json));
        }
        let err = &json["error"];
        Err(PlatformError::Api {
            method: method.to_string(),
            path: path.to_string(),
            status: status.as_u16(),
            code: err["code"].as_str().unwrap_or("UNKNOWN").to_string(),
            message: err["message"].as_str().map(str::to_string).unwrap_or(text),
            details: err["details"].clone(),
        })
    }

    /// Every item of a paginated list endpoint.
    pub async fn list_all(&self, need: Need, path: &str) -> Result<Vec<Value>, PlatformError> {
        let mut out = Vec::new();
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let page = self
                .send(
                    need,
                    Method::GET,
                    &format!("{path}{sep}offset={}&limit=100", out.len()),
                    None,
                    None,
                    None,
                )
                .await?;
            let items = page.as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 100 {
                return Ok(out);
            }
        }
    }
}
