//! `GET /openapi.json`: the OpenAPI 3 document describing every route (written by
//! hand beside this file; a test checks it against the router).

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /openapi.json`
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
