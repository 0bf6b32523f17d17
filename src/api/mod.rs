//! The public REST API.

pub mod dto;
