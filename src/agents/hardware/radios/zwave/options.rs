//! The transport's timing and queueing settings.

use std::time::Duration;

#[cfg(doc)]
use super::ZWaveController;

/// Timing and queueing settings for a [`ZWaveController`].
///
/// The defaults follow the Serial API host rules: 1600 ms to wait for an
/// `ACK`, at most 3 retransmissions, waiting `100 ms + n × 1000 ms` before
/// retransmission `n` (n = 0, 1, 2), and 1500 ms for a data frame to arrive
/// completely once its `SOF` was seen.
///
/// ```
/// # use std::time::Duration;
/// # use switchboard::agents::hardware::zwave::ControllerOptions;
/// let options = ControllerOptions::default()
///     .ack_timeout(Duration::from_millis(500))
///     .response_timeout(Duration::from_secs(2));
/// assert_eq!(options.get_ack_timeout(), Duration::from_millis(500));
/// ```
#[derive(Debug, Clone)]
pub struct ControllerOptions {
    pub(super) ack_timeout: Duration,
    pub(super) max_retransmissions: u32,
    pub(super) retransmit_delay_base: Duration,
    pub(super) retransmit_delay_step: Duration,
    pub(super) response_timeout: Duration,
    pub(super) callback_timeout: Duration,
    pub(super) report_timeout: Duration,
    pub(super) frame_receive_timeout: Duration,
    pub(super) write_timeout: Duration,
    pub(super) event_capacity: usize,
    pub(super) nak_on_open: bool,
    pub(super) pause_after_nak: Duration,
}

impl Default for ControllerOptions {
    fn default() -> Self {
        ControllerOptions {
            ack_timeout: Duration::from_millis(1600),
            max_retransmissions: 3,
            retransmit_delay_base: Duration::from_millis(100),
            retransmit_delay_step: Duration::from_millis(1000),
            response_timeout: Duration::from_secs(5),
            callback_timeout: Duration::from_secs(65),
            report_timeout: Duration::from_secs(5),
            frame_receive_timeout: Duration::from_millis(1500),
            write_timeout: Duration::from_secs(1),
            event_capacity: 1024,
            nak_on_open: true,
            pause_after_nak: Duration::from_millis(100),
        }
    }
}

impl ControllerOptions {
    /// How long to wait for the `ACK` of a data frame (default 1600 ms).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How many times a frame is sent again after a `NAK`, `CAN` or `ACK`
    /// timeout before the request fails (default 3, so 4 attempts in all).
    pub fn max_retransmissions(mut self, count: u32) -> Self {
        self.max_retransmissions = count;
        self
    }

    /// The wait before retransmission `n` (counting from 0) is
    /// `base + n × step` (default 100 ms + n × 1000 ms).
    pub fn retransmit_delay(mut self, base: Duration, step: Duration) -> Self {
        self.retransmit_delay_base = base;
        self.retransmit_delay_step = step;
        self
    }

    /// Response timeout used by the typed functions such as
    /// [`ZWaveController::get_version`] (default 5 s).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How long [`ZWaveController::send_data`] waits for the transmit
    /// callback after the response (default 65 s, the longest a controller
    /// may take to route a frame).
    pub fn callback_timeout(mut self, timeout: Duration) -> Self {
        self.callback_timeout = timeout;
        self
    }

    /// How long a `Get` such as [`ZWaveController::switch_binary_get`] waits
    /// for the node's report once the frame was delivered (default 5 s).
    pub fn report_timeout(mut self, timeout: Duration) -> Self {
        self.report_timeout = timeout;
        self
    }

    /// A data frame whose bytes stop arriving for this long after its `SOF`
    /// is dropped (default 1500 ms).
    pub fn frame_receive_timeout(mut self, timeout: Duration) -> Self {
        self.frame_receive_timeout = timeout;
        self
    }

    /// How long a write may wait for the device to accept bytes before the
    /// port is considered dead (default 1 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How many callbacks each [`ZWaveController::events`] receiver buffers
    /// before further ones are dropped (default 1024).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    /// Whether to send a `NAK` right after opening, which makes a controller
    /// drop any half-received frame left over from a previous host (default
    /// true).
    pub fn nak_on_open(mut self, enabled: bool) -> Self {
        self.nak_on_open = enabled;
        self
    }

    /// How long the first request waits after the opening `NAK` (default
    /// 100 ms). Without a pause both can arrive in one read, and a
    /// controller that resets its receiver on the `NAK` loses the request,
    /// which then costs an `ACK` timeout and a retransmission. Other hosts
    /// wait too (zwave-js between 250 ms and 1.5 s, by driver and version);
    /// 100 ms is many times what a controller needs to take in one byte at
    /// 115200 baud, and keeps start-up quick.
    pub fn pause_after_nak(mut self, pause: Duration) -> Self {
        self.pause_after_nak = pause;
        self
    }

    /// The pause after the opening `NAK`.
    pub fn get_pause_after_nak(&self) -> Duration {
        self.pause_after_nak
    }

    /// The `ACK` timeout.
    pub fn get_ack_timeout(&self) -> Duration {
        self.ack_timeout
    }

    /// The retransmission limit.
    pub fn get_max_retransmissions(&self) -> u32 {
        self.max_retransmissions
    }

    /// The response timeout of the typed functions.
    pub fn get_response_timeout(&self) -> Duration {
        self.response_timeout
    }

    /// The `SendData` callback timeout.
    pub fn get_callback_timeout(&self) -> Duration {
        self.callback_timeout
    }

    /// The node report timeout.
    pub fn get_report_timeout(&self) -> Duration {
        self.report_timeout
    }

    pub(super) fn retransmit_delay_for(&self, retransmission: u32) -> Duration {
        self.retransmit_delay_base + self.retransmit_delay_step * retransmission
    }
}
