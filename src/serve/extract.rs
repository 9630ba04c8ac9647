//! Request extractors whose refusals are JSON errors like every other answer (axum's
//! own answer a bad query string or body in plain text), and the JSON answer.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

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

/// The query string deserialized as axum's `Query` does it (and with its wording of
/// what is wrong: the field's path, then the problem), without making a URI of it
/// first.
fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer)
        .map_err(|e| ApiError::bad(format!("the query string: {e}")))
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

/// A JSON answer, written straight into a buffer sized for a typical lookup answer
/// (axum's `Json` starts at 128 bytes and grows it several times).
pub struct JsonAnswer<T>(pub T);

/// The first size of an answer's buffer: a lookup's five matches with their diffs.
const ANSWER_CAPACITY: usize = 4096;

impl<T: Serialize> IntoResponse for JsonAnswer<T> {
    fn into_response(self) -> Response {
        let mut buf = Vec::with_capacity(ANSWER_CAPACITY);
        match serde_json::to_writer(&mut buf, &self.0) {
            Ok(()) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                Body::from(buf),
            )
                .into_response(),
            Err(e) => ApiError::internal(format!("cannot write the answer: {e}")).into_response(),
        }
    }
}
