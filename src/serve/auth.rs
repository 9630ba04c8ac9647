//! Bearer tokens: writes need the server's token; reads need it too with
//! `--read-token`. The token is compared in constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;
use super::state::AppState;

/// Lets a read through if reads are open or it carries the token.
pub async fn require_read(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if state.config.read_token {
        check(&state, &request)?;
    }
    Ok(next.run(request).await)
}

/// Lets a write through if the server writes and it carries the token.
pub async fn require_write(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    state.check_writable()?;
    check(&state, &request)?;
    Ok(next.run(request).await)
}

fn check(state: &AppState, request: &Request) -> Result<(), ApiError> {
    let Some(token) = &state.config.token else {
        return Err(ApiError::with(
            StatusCode::UNAUTHORIZED,
            "this server needs a token, and none is configured",
        ));
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
        });
    match given {
        None => Err(ApiError::with(
            StatusCode::UNAUTHORIZED,
            "this request needs the server's token: send the header `Authorization: Bearer TOKEN`",
        )),
        Some(given) if !same(given.as_bytes(), token.as_bytes()) => Err(ApiError::with(
            StatusCode::UNAUTHORIZED,
            "the token is not the server's",
        )),
        Some(_) => Ok(()),
    }
}

/// Equal, in a time that depends on the lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_compare_whole() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"abcd"));
        assert!(!super::same(b"", b"a"));
    }
}
