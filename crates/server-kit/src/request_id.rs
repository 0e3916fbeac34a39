//! Request ids (API.md §1.3): accepted from `X-Request-ID` when well-formed, generated otherwise,
//! echoed on every response, and available while the request is served through a task-local —
//! to error rendering, success envelopes, audit records and logs.
//!
//! Owns: the accepted alphabet and length, the middleware, the task-local. Does not own: what a
//! server records the id in.

use std::future::Future;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Header carrying the id, in both directions.
pub const HEADER: &str = "x-request-id";

/// The id of the request being served; empty outside a request.
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Runs `future` with `id` as the current request id (what [`layer`] does for each request).
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// Whether a client-supplied id may be used: 1–128 characters of `[A-Za-z0-9._:-]`.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Middleware: fixes the request id (the client's when acceptable, a fresh UUID otherwise),
/// writes it into the request's header for handlers that forward it, runs the request inside
/// its scope, and sets it on the response.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(v) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(HEADER, v);
    }
    let mut response = scope(id.clone(), next.run(request)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[test]
    fn accepts_only_the_documented_alphabet() {
        assert!(super::acceptable("abc-1.2_3:4"));
        assert!(!super::acceptable(""));
        assert!(!super::acceptable("has space"));
        assert!(!super::acceptable("a b"));
        assert!(!super::acceptable(&"x".repeat(129)));
    }

    #[test]
    fn is_empty_outside_a_request() {
        assert_eq!(super::current(), "");
    }

    #[tokio::test]
    async fn echoes_an_acceptable_id_and_replaces_a_bad_one() {
        let app = Router::new()
            .route("/", get(|| async { super::current() }))
            .layer(axum::middleware::from_fn(super::layer));
        let call = |id: &'static str| {
            let app = app.clone();
            async move {
                let request = axum::http::Request::get("/")
                    .header(super::HEADER, id)
                    .body(Body::empty())
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                response.headers()[super::HEADER]
                    .to_str()
                    .unwrap()
                    .to_string()
            }
        };
        assert_eq!(call("abc-123").await, "abc-123");
        let fresh = call("not acceptable").await;
        assert_eq!(uuid::Uuid::parse_str(&fresh).map(|_| ()), Ok(()));
    }
}
