//! API keys (API.md §2.2): issuing them, their `gok_<key_id>_<secret>` format, and checking a
//! presented key against the stored SHA-256 digest of its secret in constant time, with a
//! short-lived cache of successful lookups.
//!
//! Owns: key generation, parsing and verification. Does not own: storing keys (the store's
//! `users` module) nor who may issue them (the users service and handlers).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use graph_olap_server_kit::error::ApiError;
use graph_olap_store::users;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// A freshly issued API key: its public id and the full plaintext (shown once).
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// 12 lower-case base32 characters.
    pub key_id: String,
    /// `gok_<key_id>_<secret>`.
    pub plaintext: String,
    /// SHA-256 hex of the secret, the only thing stored.
    pub secret_sha256: String,
}

/// Generates a new random key (§2.2).
pub fn issue_key() -> IssuedKey {
    const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut rng = rand::rng();
    let mut id_bytes = [0u8; 12];
    rng.fill_bytes(&mut id_bytes);
    let key_id: String = id_bytes
        .iter()
        .map(|b| BASE32[(*b as usize) % 32] as char)
        .collect();
    let mut secret_bytes = [0u8; 32];
    rng.fill_bytes(&mut secret_bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret_bytes);
    IssuedKey {
        plaintext: format!("gok_{key_id}_{secret}"),
        secret_sha256: sha256_hex(&secret),
        key_id,
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Splits `gok_<key_id>_<secret>` into its parts.
pub fn split_key(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("gok_")?;
    if rest.len() != 12 + 1 + 43 || rest.as_bytes()[12] != b'_' {
        return None;
    }
    Some((&rest[..12], &rest[13..]))
}

/// Cache of successful key lookups (≤ 30 s, the bound on revocation latency).
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Instant, String, String)>>,
}

const KEY_CACHE_TTL: Duration = Duration::from_secs(30);

impl KeyCache {
    /// Authenticates `token`, returning (key id, owner) or a 401.
    pub async fn authenticate(
        &self,
        state: &AppState,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, String), ApiError> {
        let digest = sha256_hex(token);
        if let Some((at, key_id, owner)) = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)
            .cloned()
            && at.elapsed() < KEY_CACHE_TTL
        {
            return Ok((key_id, owner));
        }
        let (key_id, secret) = split_key(token)
            .ok_or_else(|| ApiError::unauthorized("unknown_key", "The API key is not valid"))?;
        let stored = users::get_key(&mut *state.store.read().await?, key_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown_key", "The API key is not valid"))?;
        let presented = sha256_hex(secret);
        if !bool::from(presented.as_bytes().ct_eq(stored.secret_sha256.as_bytes())) {
            return Err(ApiError::unauthorized(
                "unknown_key",
                "The API key is not valid",
            ));
        }
        if stored.key.revoked_at.is_some() {
            return Err(ApiError::unauthorized(
                "revoked_key",
                "The API key has been revoked",
            ));
        }
        if stored.key.expires_at.is_some_and(|e| e <= now) {
            return Err(ApiError::unauthorized(
                "expired_key",
                "The API key has expired",
            ));
        }
        if let Ok(mut tx) = state.store.write().await
            && users::touch_key(&mut tx, key_id, now).await.is_ok()
        {
            let _ = tx.commit().await;
        }
        let result = (stored.key.id.clone(), stored.key.owner_username.clone());
        // Keys with an expiry are not cached past it: cache only keys without one.
        if stored.key.expires_at.is_none() {
            self.entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(digest, (Instant::now(), result.0.clone(), result.1.clone()));
        }
        Ok(result)
    }

    /// Forgets every cached lookup (after a revocation or role change on this replica).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_have_the_documented_format() {
        let k = issue_key();
        let (id, secret) = split_key(&k.plaintext).expect("splits");
        assert_eq!(id, k.key_id);
        assert_eq!(id.len(), 12);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(secret.len(), 43);
        assert_eq!(sha256_hex(secret), k.secret_sha256);
        assert!(split_key("gok_short_x").is_none());
    }
}
