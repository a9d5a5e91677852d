//! Errors as the API answers them: a status and `{"code", "message"}` (plus `field` and
//! `params` for the agent's input, as the desk reports them).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use desk::ErrorReport;

use crate::error::ServerError;

impl ServerError {
    pub fn status(&self) -> StatusCode {
        use ServerError::*;
        match self {
            Desk(e) => match e.failure_kind() {
                desk::FailureKind::Configuration => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            },
            BadRequest(_) => StatusCode::BAD_REQUEST,
            NotSignedIn | BadToken(_) => StatusCode::UNAUTHORIZED,
            Forbidden { .. } | NotYours => StatusCode::FORBIDDEN,
            NoSuchVerification(_) | SignInNotOffered => StatusCode::NOT_FOUND,
            AlreadyInProgress | AlreadyFinished => StatusCode::CONFLICT,
            RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            SignInProvider(_) | ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            e if e.is_database() => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn report(&self) -> ErrorReport {
        match self {
            ServerError::Desk(e) => e.report(),
            e => ErrorReport::new(e.code(), e.to_string()),
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), error = %self, "request failed");
        }
        let mut response = (status, axum::Json(self.report())).into_response();
        let headers = response.headers_mut();
        match &self {
            ServerError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ServerError::NotSignedIn | ServerError::BadToken(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"ciba-desk\""),
                );
            }
            _ => {}
        }
        response
    }
}
