//! Errors as the API answers them: `{"error": "..."}` with a 4xx status for what the
//! client got wrong and 5xx only for what went wrong on the server, worded as the CLI
//! words them (the message of the library's error, or the CLI's own sentence).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::{Error, ErrorKind};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What to tell the client.
    pub message: String,
}

/// What the handlers return.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    /// The client's request cannot be answered as it is (400).
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::with(StatusCode::BAD_REQUEST, message)
    }

    /// An error with the given status.
    pub fn with(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// The server failed (500): logged, and said to the client.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::with(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<Error> for ApiError {
    /// Input errors (syntax, invalid values, encodings, unreadable request bodies) are
    /// the client's; the memory busy past the wait is 503; the rest is the server's.
    fn from(err: Error) -> ApiError {
        let status = match err.kind() {
            ErrorKind::Syntax(_) | ErrorKind::Invalid(_) | ErrorKind::Encoding(_) => {
                StatusCode::BAD_REQUEST
            }
            // Reading the request body (the only I/O a client causes) is mapped by the
            // handlers; other I/O is the server's.
            ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            // Stopped at the request's timeout (or when its client left).
            ErrorKind::Cancelled => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::with(status, err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), error = %self.message, "request failed");
        } else {
            tracing::info!(status = self.status.as_u16(), error = %self.message, "request refused");
        }
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("a valid header"),
            );
        }
        response
    }
}

/// A task of the blocking pool that panicked or was cancelled.
impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> ApiError {
        ApiError::internal(format!("the request's worker failed: {err}"))
    }
}
