// The Switchboard editor: wires the connection to the page's panels.

import { renderChannels } from './channels';
import { Connection, ConnectionState } from './connection';
import { Devices } from './devices';
import { ECHO_CHANNEL, Echo } from './echo';
import { FLEET_PATTERNS, Fleet } from './fleet';
import { EVENTS_PATTERN, JsonObject, jsonRequest } from './hardware';
import { Inspector } from './inspector';
import { LOGS_CHANNEL, STATUS_CHANNEL } from './plugin_form';
import { PluginsPanel } from './plugins_panel';
import { ENTITIES_CHANNEL, Scene } from './scene';
import { Telemetry } from './telemetry';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** The WebSocket is on the page's own origin unless `?ws=ws://host:port/` says otherwise. */
function socketUrl(): string {
  const override = new URLSearchParams(location.search).get('ws');
  if (override) return override;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/`;
}

/**
 * A token for hosts that need one, from `#token=SECRET`: the fragment stays
 * in the browser (never in a request line or a server log).
 */
function token(): string | undefined {
  return new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;
}

function showState(state: ConnectionState): void {
  const status = byId('status');
  const detail = byId('status-detail');
  status.dataset.state = state.state;
  // Greys out the panels and disables sending while not connected.
  document.body.dataset.state = state.state;
  switch (state.state) {
    case 'connecting':
      status.textContent = state.attempt > 1 ? `connecting (attempt ${state.attempt})` : 'connecting';
      detail.textContent = socketUrl();
      break;
    case 'connected': {
      const w = state.welcome;
      status.textContent = `connected as client ${w.clientId}`;
      status.dataset.clientId = String(w.clientId);
      status.dataset.sessionId = w.sessionId;
      detail.textContent =
        `${w.hostName} ${w.hostVersion} · session ${w.sessionId} · protocol ${w.protocolVersion}` +
        (state.sessionChanged ? ' · the game restarted' : '');
      break;
    }
    case 'closed': {
      const reason = state.reason ? `: ${state.reason}` : state.code === 1006 ? ': connection lost' : '';
      status.textContent = `closed (${state.code}${reason})`;
      detail.textContent =
        state.retryInMs === null ? 'not reconnecting' : `reconnecting in ${(state.retryInMs / 1000).toFixed(1)} s`;
      break;
    }
  }
}

function note(text: string): void {
  const log = byId<HTMLOListElement>('notices');
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  log.prepend(item);
  while (log.children.length > 20) log.lastElementChild?.remove();
}

function main(): void {
  const connection = new Connection({
    url: socketUrl(),
    clientName: 'editor',
    token: token(),
    // `**` so that nested metrics such as telemetry/physics/bodies arrive too.
    // On a fleet gateway the same channels arrive as fleet/<instance>/...
    patterns: ['telemetry/**', ENTITIES_CHANNEL, EVENTS_PATTERN, STATUS_CHANNEL, LOGS_CHANNEL, ...FLEET_PATTERNS],
  });
  const fleet = new Fleet({ picker: byId('fleet'), select: byId<HTMLSelectElement>('fleet-instance') });

  const telemetry = new Telemetry(byId<HTMLCanvasElement>('telemetry-chart'), byId('telemetry-values'));
  const scene = new Scene(connection, {
    table: byId<HTMLTableSectionElement>('entities'),
    count: byId('entity-total'),
    form: byId<HTMLFormElement>('spawn-form'),
    name: byId<HTMLInputElement>('spawn-name'),
    x: byId<HTMLInputElement>('spawn-x'),
    y: byId<HTMLInputElement>('spawn-y'),
    button: byId<HTMLButtonElement>('spawn-button'),
    result: byId('spawn-result'),
  });
  const echo = new Echo(connection, {
    form: byId<HTMLFormElement>('echo-form'),
    input: byId<HTMLInputElement>('echo-input'),
    log: byId<HTMLOListElement>('echo-log'),
  });
  const devices = new Devices(connection, {
    table: byId<HTMLTableSectionElement>('devices'),
    count: byId('device-total'),
    discover: byId<HTMLButtonElement>('discover-button'),
    result: byId('devices-result'),
    adapters: byId('adapters'),
  });

  const inspector = new Inspector(connection, {
    panel: byId('inspector-panel'),
    search: byId<HTMLInputElement>('inspector-search'),
    tree: byId<HTMLUListElement>('inspector-tree'),
    count: byId('inspector-total'),
    title: byId('inspector-selected'),
    components: byId('inspector-components'),
    result: byId('inspector-result'),
  });

  const plugins = new PluginsPanel(connection, {
    panel: byId('plugins-panel'),
    count: byId('plugins-total'),
    file: byId<HTMLInputElement>('plugins-file'),
    result: byId('plugins-result'),
    pending: byId('plugins-pending'),
    list: byId('plugins-list'),
  });

  connection.stateChanged.on((state) => {
    showState(state);
    if (state.state === 'closed') {
      scene.clear();
      devices.clear();
      inspector.stop();
      plugins.stop();
    }
    if (state.state === 'connected') void plugins.connected(state.welcome);
    if (state.state === 'connected') void inspector.connected(state.welcome.clientId);
    if (state.state === 'connected') telemetry.reconnected(state.sessionChanged);
  });
  connection.channelsChanged.on((channels) => {
    renderChannels(byId<HTMLTableSectionElement>('channels'), byId('channel-total'), channels);
    devices.channelsChanged();
  });
  connection.notice.on(note);
  fleet.onSwitch = (scope) => {
    // Another instance: its history and entities are not the last one's.
    connection.scope = scope;
    telemetry.reconnected(true);
    scene.clear();
    note(scope ? `showing instance ${scope.slice('fleet/'.length, -1)}` : 'no instance to show');
  };
  fleet.onGone = (id) => {
    // Its entities are no longer live; the chart keeps the history it had.
    scene.clear();
    note(`instance ${id} is gone`);
  };
  connection.data.on(({ message, channel }) => {
    if (!channel) return;
    if (fleet.receive(channel.name, message)) return;
    const name = fleet.localName(channel.name);
    if (name === null) return;
    if (inspector.receive(name, message)) return;
    if (plugins.receive(name, message)) return;
    if (name.startsWith('telemetry/')) telemetry.receive(name.slice('telemetry/'.length), message);
    else if (name === ENTITIES_CHANNEL) scene.receive(message);
    else if (name === ECHO_CHANNEL) echo.receive(message);
    else if (name.startsWith('hardware/events/')) devices.receive(name, message);
  });

  // For the browser console (and the end-to-end test): a JSON request over
  // the page's own connection, e.g.
  //   await switchboard.request('hardware/state', {device: 'zwave:4'})
  // Rejects with an Error whose `code` is the bridge's (`invalid_payload`, ...).
  (window as unknown as { switchboard: object }).switchboard = {
    request: (channel: string, body?: JsonObject) => jsonRequest(connection, channel, body ?? {}),
  };

  connection.start();
}

main();
