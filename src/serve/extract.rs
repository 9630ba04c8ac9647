//! Request extractors whose refusals are JSON errors like every other answer (axum's
//! own answer a bad query string or body in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The query string, deserialized.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded_like(query).map(Q)
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::bad("the query string is not valid"))?,
    )
    .map(|q| q.0)
    .map_err(|e| {
        ApiError::bad(format!(
            "the query string: {}",
            inner_message(&e.body_text())
        ))
    })
}

/// axum's rejection text without its own prefix ("Failed to deserialize query
/// string: missing field `q`" → "missing field `q`").
fn inner_message(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// A JSON body, deserialized whatever its Content-Type says (curl's `-d` sends
/// `application/x-www-form-urlencoded`), within the body size limit.
pub struct J<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for J<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(J)
            .map_err(|e| ApiError::bad(format!("the request body is not the JSON expected: {e}")))
    }
}

/// The whole body, within the body size limit (413 beyond it).
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e| ApiError::with(e.status(), inner_message(&e.body_text()).to_string()))
}
