//! A Rust plugin through `switchboard::plugin_sdk`: `plugins/counter/add`
//! adds to a running total and publishes it on `plugins/counter/total`.
//! Its lifecycle handler keeps the configuration the host sends (installed
//! as a package, `config.yml` in `counter/`), which `configuration`
//! answers; `before_run` starts the total at the `start` setting.
//!
//! Build it (`cargo build --example plugin_counter --features plugins`) and
//! start it from a game with `examples/plugins/counter/plugin.json`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use switchboard::client::ClientError;
use switchboard::plugin_sdk::{Plugin, PluginChannel};

fn main() -> Result<(), ClientError> {
    let mut plugin = Plugin::register()?;
    plugin.advertise(&PluginChannel::new("total").latest())?;
    let total = Rc::new(Cell::new(0i64));
    let sum = Rc::clone(&total);
    plugin.on_request(
        PluginChannel::new("add").description("adds a number"),
        move |content| {
            let n: i64 =
                serde_json::from_slice(content).map_err(|e| format!("not a number: {e}"))?;
            sum.set(sum.get() + n);
            Ok(sum.get().to_string().into_bytes())
        },
    )?;
    let configuration = Rc::new(RefCell::new(serde_json::json!({})));
    let (kept, start) = (Rc::clone(&configuration), Rc::clone(&total));
    plugin.on_lifecycle(move |event| {
        if let Some(values) = event.configuration() {
            *kept.borrow_mut() = values.clone();
            if event.event == "before_run" {
                start.set(values.get("start").and_then(|v| v.as_i64()).unwrap_or(0));
            }
        }
        Ok(())
    });
    plugin.on_request(
        PluginChannel::new("configuration").description("the configuration it was given"),
        move |_| Ok(configuration.borrow().to_string().into_bytes()),
    )?;
    plugin.log(format!(
        "counter up; host {}, data in {:?}",
        plugin.welcome().host_version,
        plugin.welcome().directories.get("data")
    ));
    plugin.run()
}
