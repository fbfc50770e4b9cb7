//! Exit codes, the contract scripts rely on: every command's, kept where
//! both the command line and the flows that choose them (status) can read
//! them. Some share a number: what the caller does next is the same.

/// All known, none critical; or the change was done.
pub const DONE: u8 = 0;
/// A runtime error (AWS, files), or a change whose outcome is not known.
pub const ERROR: u8 = 1;
/// `status`: some stream's health is unknown.
pub const UNKNOWN: u8 = 1;
/// A usage error: a bad flag, argument or environment variable.
pub const USAGE: u8 = 2;
/// `status`: some stream is critical.
pub const CRITICAL: u8 = 3;
/// `rotate`/`disable`: refused, nothing was sent.
pub const REFUSED: u8 = 4;
/// `rotate`/`disable`: AWS reported ENABLING_FAILED or DISABLING_FAILED.
pub const FAILED: u8 = 5;
