//! The radios behind the bridge, each behind the [`Adapter`] contract
//! (its documentation says what every radio must provide):
//!
//! - [`sim`]: a simulated dongle for any radio, the default for each one.
//! - [`zwave`]: Z-Wave over a Serial API controller (a USB stick), with the
//!   host side of the serial protocol and a simulated controller on a
//!   pseudo-terminal.
//!
//! [`Adapter`]: super::Adapter

pub mod sim;
pub mod zwave;
