//! `SseStream` as an axum response (feature `axum`).

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use futures_core::Stream;
use http::header::{HeaderName, HeaderValue};

use crate::server::{IntoMessage, SseStream};
use crate::RESPONSE_HEADERS;

/// The whole response of an event stream handler: status 200, the
/// [`RESPONSE_HEADERS`] (`content-type: text/event-stream`, `cache-control:
/// no-cache, no-transform`, `x-accel-buffering: no`) and the encoded stream as the body.
///
/// ```
/// use std::time::Duration;
/// use axum::{response::IntoResponse, routing::get, Router};
/// use futures_util::stream::{self, StreamExt};
/// use sse_codec_tokio::{Event, SseStream};
///
/// async fn ticks() -> impl IntoResponse {
///     let events = stream::iter(0..3).map(|n| Event::new(n.to_string()).with_id(&n.to_string()));
///     SseStream::new(events).keep_alive(Duration::from_secs(15))
/// }
///
/// let app: Router = Router::new().route("/ticks", get(ticks));
/// ```
impl<S> IntoResponse for SseStream<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoMessage,
    <S::Item as IntoMessage>::Error: Into<axum_core::BoxError>,
{
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from_stream(self));
        let headers = response.headers_mut();
        for (name, value) in RESPONSE_HEADERS {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        response
    }
}
