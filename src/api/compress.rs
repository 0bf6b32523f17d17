//! Compression of large answers only (the OpenAPI document, the docs page, lists). actix's
//! `Compress` on every answer cost ~1,650 instructions a read even when the client asked for no
//! encoding, and a client sending `Accept-Encoding: gzip` (most HTTP libraries do) had each
//! 300-byte answer deflated: a compressor set up per answer, for a few bytes saved. Answers
//! from [`MIN_BYTES`] up are encoded as `Compress` would (negotiated gzip or deflate, `Vary`).

use actix_http::encoding::Encoder;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, AcceptEncoding, Encoding};
use actix_web::HttpMessage;

/// Smaller answers go out as they are (a gzip header and trailer alone are 18 bytes).
pub const MIN_BYTES: u64 = 1024;

const SUPPORTED: &[Encoding] = &[Encoding::identity(), Encoding::gzip(), Encoding::deflate()];

/// `res`, encoded when it is large and the client accepts an encoding.
pub fn large_answers(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let large = match res.response().body().size() {
        BodySize::Sized(n) => n >= MIN_BYTES,
        BodySize::Stream => true,
        BodySize::None => false,
    };
    if !large || res.headers().contains_key(header::CONTENT_ENCODING) {
        return res;
    }
    let Some(accept) = res.request().get_header::<AcceptEncoding>() else {
        return res;
    };
    // Nothing acceptable: the answer as it is (rather than actix's 406).
    let Some(Encoding::Known(encoding)) = accept.negotiate(SUPPORTED.iter()) else {
        return res;
    };
    res.map_body(|head, body| Encoder::response(encoding, head, body).boxed())
}
