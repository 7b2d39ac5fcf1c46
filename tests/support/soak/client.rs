//! One soak client: publishes and requests within its windows, answers the
//! game's requests, and checks everything it receives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use switchboard::client::{Client, ClientError, Incoming};

use super::content::{ASK, BROADCAST, GAME, RPC, UP, check_content, expect_next, make_content};
use super::report::ClientReport;
use super::{Board, Channels, Options};

/// One client's side of the run.
pub(super) struct ClientSide {
    pub(super) index: u32,
    pub(super) options: Options,
    pub(super) board: Arc<Board>,
    pub(super) report: ClientReport,
    /// Request id -> sequence number, for requests in flight.
    pub(super) rpc_in_flight: HashMap<u64, u64>,
    pub(super) broadcast_sequence: u64,
    pub(super) ids: Channels,
}

impl ClientSide {
    pub(super) fn run(mut self, addr: SocketAddr) -> ClientReport {
        let name = format!("soak-{}", self.index);
        let mut client = match Client::connect(addr, &name) {
            Ok(client) => client,
            Err(e) => {
                self.board.problem(format!("{name}: connect failed: {e}"));
                return self.report;
            }
        };
        if let Err(e) = client.subscribe(&[self.ids.broadcast.0], &[]) {
            self.board.problem(format!("{name}: subscribe failed: {e}"));
            return self.report;
        }
        self.board.subscribed.fetch_add(1, Ordering::AcqRel);
        match self.exchange(&mut client) {
            // Only now is its Disconnected expected.
            Ok(()) => self.board.finished[self.index as usize].store(true, Ordering::Release),
            Err(e) => self.board.problem(format!("{name}: {e}")),
        }
        if let Err(e) = client.close() {
            self.board.problem(format!("{name}: close failed: {e}"));
        }
        self.report
    }

    /// Sends while allowed, receives until everything has arrived.
    fn exchange(&mut self, client: &mut Client) -> Result<(), String> {
        let max = self.options.max_content;
        let me = self.index;
        loop {
            if !self.board.stop.load(Ordering::Acquire) {
                while self.report.up.sent - self.report.echo.received < self.options.window {
                    let content = make_content(me, UP, self.report.up.sent, max);
                    client
                        .publish(self.ids.up.0, &content)
                        .map_err(|e| format!("publish: {e}"))?;
                    self.report.up.sent += 1;
                }
                while self.rpc_in_flight.len() < self.options.rpc_window {
                    let content = make_content(me, RPC, self.report.rpc.sent, max);
                    let id = client
                        .request(self.ids.rpc.0, &content)
                        .map_err(|e| format!("request: {e}"))?;
                    self.rpc_in_flight.insert(id, self.report.rpc.sent);
                    self.report.rpc.sent += 1;
                }
            } else if self.everything_arrived() {
                return Ok(());
            }
            if self.board.abort.load(Ordering::Acquire) {
                return Err(format!("gave up waiting: {:?}", self.report));
            }
            match client.recv(Duration::from_millis(2)) {
                Ok(incoming) => self.take(client, incoming)?,
                Err(ClientError::Timeout) => {}
                Err(e) => return Err(format!("receive failed: {e}")),
            }
        }
    }

    fn everything_arrived(&self) -> bool {
        self.board.game_final.load(Ordering::Acquire)
            && self.report.echo.received == self.report.up.sent
            && self.rpc_in_flight.is_empty()
            && self.report.broadcast.received == self.board.broadcasts.load(Ordering::Acquire)
            && self.report.ask_seen == self.board.asks[self.index as usize].load(Ordering::Acquire)
    }

    fn take(&mut self, client: &mut Client, incoming: Incoming) -> Result<(), String> {
        let max = self.options.max_content;
        let me = self.index;
        match incoming {
            Incoming::Data {
                channel,
                request_id: 0,
                sequence,
                content,
                ..
            } if channel == self.ids.echo.0 => {
                let seq = check_content(&content, me, UP, max)?;
                expect_next("echo", seq, &mut self.report.echo.received)?;
                if sequence != 0 {
                    return Err(format!("echo #{seq} has sequence {sequence}"));
                }
            }
            Incoming::Data {
                channel,
                request_id: 0,
                sequence,
                content,
                ..
            } if channel == self.ids.broadcast.0 => {
                let seq = check_content(&content, GAME, BROADCAST, max)?;
                expect_next("broadcast", seq, &mut self.report.broadcast.received)?;
                // Channel sequence numbers start at 1 and this client was
                // subscribed before the first broadcast.
                if sequence != seq + 1 || sequence != self.broadcast_sequence + 1 {
                    return Err(format!(
                        "broadcast #{seq} has channel sequence {sequence} after {}",
                        self.broadcast_sequence
                    ));
                }
                self.broadcast_sequence = sequence;
            }
            Incoming::Data {
                channel,
                request_id,
                content,
                ..
            } if channel == self.ids.ask.0 && request_id != 0 => {
                let seq = check_content(&content, me, ASK, max)?;
                expect_next("game request", seq, &mut self.report.ask_seen)?;
                client
                    .respond(request_id, channel, Ok(&content))
                    .map_err(|e| format!("respond: {e}"))?;
            }
            Incoming::Response {
                request_id,
                channel,
                result,
            } => {
                let Some(seq) = self.rpc_in_flight.remove(&request_id) else {
                    return Err(format!("answer to request {request_id} not in flight"));
                };
                if channel != self.ids.rpc.0 {
                    return Err(format!(
                        "answer to request {request_id} on channel {channel}"
                    ));
                }
                let content = result.map_err(|e| format!("request #{seq} failed: {e}"))?;
                let got = check_content(&content, me, RPC, max)?;
                if got != seq {
                    return Err(format!("request #{seq} answered with #{got}"));
                }
                expect_next("answer", seq, &mut self.report.rpc.received)?;
            }
            Incoming::Advertise(_) | Incoming::Unadvertise(_) => {}
            other => return Err(format!("unexpected {other:?}")),
        }
        Ok(())
    }
}
