//! firekeeper: a terminal dashboard for keeping Amazon Data Firehose streams
//! encrypted. The binary is a thin shell over these modules.

pub mod alerts;
pub mod app;
pub mod audit;
pub mod cache;
pub mod change;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod crash;
pub mod dashboard;
pub mod estate;
pub mod fleet;
pub mod health;
pub mod inventory;
pub mod journal;
pub mod key_rotation;
pub mod keymap;
pub mod model;
pub mod preflight;
pub mod quota;
pub mod settle;
pub mod status;
pub mod terminal;
pub mod text;
pub mod trail;
pub mod ui;
pub mod worker;
