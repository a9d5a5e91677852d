//! The HTTP API: thin handlers over [`Service`]. JSON everywhere; errors are
//! `{"code", "message"}` with the status the code calls for; a verification's transitions
//! stream as server-sent events.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use desk::api::{ProfileSummary, SecretStatus};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::{Agent, Role};
use crate::error::{Result, ServerError};
use crate::service::{Service, StartRequest, VerificationObject, is_final};
use crate::store::AuditFilter;

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/sign-in", get(sign_in))
        .route("/api/v1/profiles", get(profiles))
        .route(
            "/api/v1/verifications",
            axum::routing::post(start_verification),
        )
        .route(
            "/api/v1/verifications/{id}",
            get(verification).delete(cancel_verification),
        )
        .route("/api/v1/verifications/{id}/events", get(events))
        .route("/api/v1/audit", get(audit_records))
        .route("/api/v1/audit/verify", get(audit_verify))
        .route("/api/v1/webhooks", get(webhook_deliveries))
        .with_state(service)
}

async fn agent(service: &Service, headers: &HeaderMap) -> Result<Agent> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    service.auth.agent(authorization).await
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Not ready while shutting down (the load balancer stops sending requests here) or while
/// the database does not answer.
async fn readyz(State(s): State<Arc<Service>>) -> Response {
    if s.is_stopping() {
        return ServerError::ShuttingDown.into_response();
    }
    match s.store.ping().await {
        Ok(()) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Prometheus' text format. Names no customer and no agent, so it needs no sign-in; keep it
/// off the public side of the load balancer.
async fn metrics(State(s): State<Arc<Service>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics_text().await,
    )
        .into_response()
}

/// How the desktop app signs agents in: public, since an agent asks before signing in.
async fn sign_in(State(s): State<Arc<Service>>) -> Result<Json<Value>> {
    let a = &s.config.agents;
    let client_id = a
        .desktop_client_id
        .as_ref()
        .ok_or(ServerError::SignInNotOffered)?;
    Ok(Json(json!({
        "issuer": a.issuer,
        "client_id": client_id,
        "scopes": a.desktop_scopes,
    })))
}

async fn profiles(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
) -> Result<Json<Vec<ProfileSummary>>> {
    let a = agent(&s, &headers).await?;
    if !s.auth.is(&a, Role::Auditor) {
        s.auth.require(&a, Role::Agent)?;
    }
    // The secret is the server's: loaded at start, never shown.
    Ok(Json(
        s.profiles()
            .iter()
            .map(|p| ProfileSummary::new(p, SecretStatus::Stored))
            .collect(),
    ))
}

async fn start_verification(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let a = agent(&s, &headers).await?;
    let request: StartRequest = serde_json::from_slice(&body).map_err(|e| {
        ServerError::BadRequest(format!("the body is not a verification request: {e}"))
    })?;
    let v = s.start(&a, request).await?;
    let location = format!("/api/v1/verifications/{}", v.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(v)).into_response())
}

async fn verification(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<VerificationObject>> {
    let a = agent(&s, &headers).await?;
    Ok(Json(s.verification_for(&a, &id).await?))
}

async fn cancel_verification(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let a = agent(&s, &headers).await?;
    s.cancel(&a, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "cancelling"}))).into_response())
}

/// `event: state` per transition, the current one first; the stream ends after a final state.
async fn events(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>> {
    let a = agent(&s, &headers).await?;
    let (current, rx) = s.follow_states(&a, &id).await?;
    let first = tokio_stream::once(current);
    let later: std::pin::Pin<Box<dyn tokio_stream::Stream<Item = String> + Send>> = match rx {
        Some(rx) => Box::pin(ReceiverStream::new(rx)),
        None => Box::pin(tokio_stream::empty()),
    };
    let mut done = false;
    let stream = first
        .chain(later)
        .take_while(move |json| {
            let go = !done;
            done = done || is_final(json);
            go
        })
        .map(|json| Ok(Event::default().event("state").data(json)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    since: Option<String>,
    until: Option<String>,
    agent: Option<String>,
    format: Option<String>,
    limit: Option<u32>,
}

fn unix_ms(name: &str, v: &Option<String>) -> Result<Option<i64>> {
    v.as_deref()
        .map(|t| {
            audit::time::OffsetDateTime::parse(
                t,
                &audit::time::format_description::well_known::Rfc3339,
            )
            .map(|d| (d.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|_| {
                ServerError::BadRequest(format!(
                    "{name} must be an RFC 3339 time such as 2026-11-30T08:00:00Z"
                ))
            })
        })
        .transpose()
}

async fn audit_records(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response> {
    let a = agent(&s, &headers).await?;
    // Auditors read everyone's records; an agent only their own (their History).
    let agent_filter = if s.auth.is(&a, Role::Auditor) {
        q.agent.clone()
    } else {
        s.auth.require(&a, Role::Agent)?;
        if q.agent.as_ref().is_some_and(|other| *other != a.sub) {
            return Err(ServerError::Forbidden {
                needed: "auditor".into(),
            });
        }
        Some(a.sub.clone())
    };
    let filter = AuditFilter {
        since_ms: unix_ms("since", &q.since)?,
        until_ms: unix_ms("until", &q.until)?,
        agent: agent_filter,
        limit: q.limit.unwrap_or(1000).min(10_000),
    };
    let rows = s.store.audit_records(&filter).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(rows).into_response()),
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            crate::store::audit_csv(&rows),
        )
            .into_response()),
        other => Err(ServerError::BadRequest(format!(
            "format {other:?} is not offered; use json or csv"
        ))),
    }
}

async fn audit_verify(State(s): State<Arc<Service>>, headers: HeaderMap) -> Result<Response> {
    let a = agent(&s, &headers).await?;
    s.auth.require(&a, Role::Auditor)?;
    Ok(Json(s.store.verify_audit().await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryQuery {
    status: Option<String>,
    limit: Option<u32>,
}

/// For auditors: webhook deliveries, newest first (`?status=failed` for those given up).
async fn webhook_deliveries(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Query(q): Query<DeliveryQuery>,
) -> Result<Response> {
    let a = agent(&s, &headers).await?;
    s.auth.require(&a, Role::Auditor)?;
    if let Some(st) = q.status.as_deref()
        && !matches!(st, "pending" | "delivered" | "failed")
    {
        return Err(ServerError::BadRequest(format!(
            "status {st:?} is not one of pending, delivered, failed"
        )));
    }
    let limit = q.limit.unwrap_or(1000).min(10_000);
    Ok(Json(s.store.deliveries(q.status.as_deref(), limit).await?).into_response())
}
