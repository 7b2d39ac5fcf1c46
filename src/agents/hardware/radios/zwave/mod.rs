//! Z-Wave over the Serial API: the host side of the UART protocol a Z-Wave
//! USB stick (or any Serial API controller module) speaks.
//!
//! - [`frame`]: the wire format. Data frames are
//!   `SOF(0x01) LEN TYPE FUNC payload… CHECKSUM`, where `LEN` counts every
//!   byte after itself (`TYPE` through `CHECKSUM`) and `CHECKSUM` is `0xFF`
//!   XOR every byte from `LEN` through the last payload byte; `ACK` (0x06),
//!   `NAK` (0x15) and `CAN` (0x18) are single bytes. [`FrameParser`] takes
//!   arbitrary chunks and yields [`ParseEvent`]s.
//! - [`ZWaveController`]: the transport. A thread owns the port, sends one
//!   request at a time, waits for its `ACK` (1600 ms), retransmits on `NAK`,
//!   `CAN` or timeout up to 3 times with a `100 ms + n × 1000 ms` backoff,
//!   matches the response by function id, acknowledges every valid frame
//!   it receives (`NAK` for a bad checksum) and routes unsolicited requests
//!   to [`PendingCallback`]s and [`ZWaveController::events`] receivers.
//! - Typed functions on the controller: [`ZWaveController::get_version`],
//!   [`memory_get_id`](ZWaveController::memory_get_id),
//!   [`get_init_data`](ZWaveController::get_init_data),
//!   [`send_data`](ZWaveController::send_data) and the
//!   [`command_class`] helpers built on it (Basic Set, Switch Binary
//!   Set/Get), plus [`ApplicationCommand`] for parsing what nodes send.
//! - [`sim`]: a simulated controller on a pseudo-terminal, for tests.
//! - [`ZWaveAdapter`]: the hardware bridge's [`Adapter`](crate::agents::hardware::Adapter)
//!   over a controller, installed with
//!   [`HardwareBridgePlugin::zwave_port`](crate::agents::hardware::HardwareBridgePlugin::zwave_port);
//!   the [`adapter`] module tells how nodes map to device types.
//!
//! Only Linux-style ttys are supported (`termios`, `poll`); the port is
//! opened raw at 115200 8N1 without flow control.
//!
//! ```no_run
//! use switchboard::agents::hardware::zwave::{ControllerOptions, ZWaveController};
//!
//! let controller = ZWaveController::open("/dev/ttyACM0", ControllerOptions::default())?;
//! let init = controller.get_init_data()?;
//! for node in init.node_ids {
//!     println!("node {node}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod adapter;
pub mod command_class;
mod controller;
mod error;
pub mod frame;
mod functions;
mod options;
mod payloads;
mod received;
mod serial;
mod serial_thread;
pub mod sim;
mod transmit;

pub use adapter::ZWaveAdapter;
pub use command_class::NodeCommand;
pub use controller::{PendingCallback, ZWaveController};
pub use error::{AckFailure, ZWaveError};
pub use frame::{DataFrame, Frame, FrameError, FrameParser, FrameType, FunctionId, ParseEvent};
pub use options::ControllerOptions;
pub use payloads::{
    ApplicationCommand, ControllerVersion, InitData, LibraryType, NetworkIds, node_bitmask,
    parse_init_data, parse_memory_get_id, parse_version,
};
pub use received::{Callback, Response};
pub use serial::{BAUD_RATE, SerialPort};
pub use serial_thread::messages::TransportStats;
pub use transmit::{TransmitReport, TransmitStatus, TxOptions};
