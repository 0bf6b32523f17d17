//! Public request and response types (English snake_case JSON).
