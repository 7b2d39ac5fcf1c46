// The Devices panel: the hardware bridge's devices with their state, kept
// live from `hardware/events/*`, discovery, and the adapters' status. Each
// device's row and its controls are in src/device_row.ts; requests and JSON
// shapes in src/hardware.ts.

import { Connection } from './connection';
import { DeviceRow, ResultState, RowHost } from './device_row';
import {
  ADAPTERS_CHANNEL,
  ADAPTERS_EVENT,
  Adapter,
  CHANGED_EVENT,
  ChangedEvent,
  DEVICES_CHANNEL,
  DISCOVERED_EVENT,
  DISCOVER_CHANNEL,
  Device,
  DeviceType,
  ERROR_EVENT,
  ErrorEvent,
  TYPES_CHANNEL,
  applyChange,
  hardwareError,
  jsonRequest,
  summarizeAdapter,
} from './hardware';
import { DataMessage, contentJson } from './protocol';

export interface DevicesElements {
  table: HTMLTableSectionElement;
  count: HTMLElement;
  discover: HTMLButtonElement;
  result: HTMLElement;
  adapters: HTMLElement;
}

export class Devices implements RowHost {
  private devices = new Map<string, Device>();
  private types = new Map<string, DeviceType>();
  /** Types asked for one by one (see `fetchType`). */
  private typesAsked = new Set<string>();
  private rows = new Map<string, DeviceRow>();
  private phase: 'idle' | 'loading' | 'loaded' = 'idle';
  /** Bumped on every clear, so a load from an old connection does not land. */
  private generation = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly connection: Connection,
    private readonly el: DevicesElements,
  ) {
    el.discover.addEventListener('click', () => void this.discover());
  }

  /** The channel list changed (also right after every Welcome): load once the bridge is there. */
  channelsChanged(): void {
    if (this.phase !== 'idle' || !this.connection.connected) return;
    if (!this.connection.channelByName(DEVICES_CHANNEL)) {
      this.el.discover.disabled = true;
      this.showResult('pending', 'this game runs no hardware bridge');
      return;
    }
    void this.load();
  }

  /** The connection dropped: nothing shown is live any more. */
  clear(): void {
    this.generation++;
    this.phase = 'idle';
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    this.devices.clear();
    this.types.clear();
    this.typesAsked.clear();
    this.rows.clear();
    this.el.table.replaceChildren();
    this.el.adapters.replaceChildren();
    this.el.count.textContent = '0';
    this.showResult('pending', '');
  }

  /** One message on a `hardware/events/*` channel. */
  receive(channel: string, message: DataMessage): void {
    let body: unknown;
    try {
      body = contentJson(message.content);
    } catch {
      return;
    }
    if (!body || typeof body !== 'object') return;
    switch (channel) {
      case CHANGED_EVENT:
        this.changed(body as ChangedEvent);
        break;
      case DISCOVERED_EVENT:
        this.updated(body as Device);
        break;
      case ERROR_EVENT: {
        const error = body as ErrorEvent;
        const row = error.device ? this.rows.get(error.device) : undefined;
        if (row) row.showResult('error', `${error.code}: ${error.message}`);
        else this.showResult('error', `${error.radio}: ${error.code}: ${error.message}`);
        break;
      }
      case ADAPTERS_EVENT:
        this.showAdapters((body as { adapters?: Adapter[] }).adapters ?? []);
        break;
    }
  }

  device(id: string): Device | undefined {
    return this.devices.get(id);
  }

  /** Stores a device and draws its row (events, answers, discovery). */
  updated(device: Device, changes?: string[]): void {
    if (!device || typeof device.id !== 'string') return;
    this.devices.set(device.id, device);
    if (this.phase !== 'loaded') return;
    let row = this.rows.get(device.id);
    if (!row) {
      row = new DeviceRow(this, device.id);
      this.rows.set(device.id, row);
      // In id order, which groups the devices by radio.
      const after = [...this.rows.values()]
        .map((r) => r.element)
        .filter((r) => r.isConnected && (r.dataset.deviceId ?? '') > device.id)
        .sort((a, b) => ((a.dataset.deviceId ?? '') < (b.dataset.deviceId ?? '') ? -1 : 1))[0];
      this.el.table.insertBefore(row.element, after ?? null);
      this.el.count.textContent = String(this.rows.size);
    }
    row.render(device, this.types.get(device.type), changes);
    if (!this.types.has(device.type)) this.fetchType(device.type);
  }

  /**
   * A type the page has not loaded: plugins declare theirs when they start,
   * possibly after the page loaded the list. Asked once; the rows of that
   * type are drawn again with their controls when it arrives.
   */
  private fetchType(id: string): void {
    if (this.typesAsked.has(id)) return;
    this.typesAsked.add(id);
    const generation = this.generation;
    jsonRequest<{ type: DeviceType }>(this.connection, TYPES_CHANNEL, { id })
      .then((answer) => {
        if (generation !== this.generation) return;
        this.types.set(id, answer.type);
        for (const device of this.devices.values()) if (device.type === id) this.updated(device);
      })
      // Not loaded on the game's side either: the row stays without controls.
      .catch(() => {});
  }

  // -------------------------------------------------------------------------

  private async load(): Promise<void> {
    const generation = this.generation;
    this.phase = 'loading';
    this.el.discover.disabled = false;
    this.showResult('pending', 'loading devices…');
    try {
      const types = jsonRequest<{ types: DeviceType[] }>(this.connection, TYPES_CHANNEL);
      // Stored as soon as they arrive, so `changed` events from here on apply.
      const devices = jsonRequest<{ devices: Device[] }>(this.connection, DEVICES_CHANNEL).then((answer) => {
        if (generation === this.generation) for (const d of answer.devices) this.devices.set(d.id, d);
      });
      // Sent once when the channels were advertised: ask for the current one.
      const adapters = jsonRequest<{ adapters: Adapter[] }>(this.connection, ADAPTERS_CHANNEL).catch(() => null);
      const [typeList, , adapterList] = await Promise.all([types, devices, adapters]);
      if (generation !== this.generation) return;
      for (const type of typeList.types) this.types.set(type.id, type);
      this.phase = 'loaded';
      for (const device of [...this.devices.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) this.updated(device);
      if (adapterList) this.showAdapters(adapterList.adapters);
      this.showResult('ok', `${this.devices.size} devices, ${this.types.size} device types`);
    } catch (e) {
      if (generation !== this.generation) return;
      this.phase = 'idle';
      this.showResult('error', `loading devices failed: ${hardwareError(e).describe()}`);
    }
  }

  private changed(event: ChangedEvent): void {
    if (typeof event.device !== 'string') return;
    const device = this.devices.get(event.device);
    if (!device) {
      // Registered by someone else before we ever saw it: fetch the list again.
      if (this.phase === 'loaded') this.scheduleRefresh();
      return;
    }
    this.updated(applyChange(device, event), Object.keys(event.changes ?? {}));
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    const generation = this.generation;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      jsonRequest<{ devices: Device[] }>(this.connection, DEVICES_CHANNEL)
        .then((answer) => {
          if (generation === this.generation) for (const d of answer.devices) this.updated(d);
        })
        .catch((e) => this.showResult('error', `listing devices failed: ${hardwareError(e).describe()}`));
    }, 100);
  }

  private async discover(): Promise<void> {
    const generation = this.generation;
    this.el.discover.disabled = true;
    this.showResult('pending', 'discovering…');
    try {
      const known = new Set(this.devices.keys());
      const answer = await jsonRequest<{ devices: Device[]; errors: { radio: string; code: string; message: string }[] }>(
        this.connection,
        DISCOVER_CHANNEL,
      );
      if (generation !== this.generation) return;
      for (const device of answer.devices) this.updated(device);
      const fresh = answer.devices.filter((d) => !known.has(d.id)).length;
      const errors = answer.errors.map((e) => `${e.radio}: ${e.code}: ${e.message}`);
      const found = `found ${answer.devices.length} devices, ${fresh} new`;
      if (errors.length > 0) this.showResult('error', `${found}; ${errors.join('; ')}`);
      else this.showResult('ok', found);
    } catch (e) {
      if (generation === this.generation) this.showResult('error', `discover failed: ${hardwareError(e).describe()}`);
    } finally {
      this.el.discover.disabled = false;
    }
  }

  private showAdapters(adapters: Adapter[]): void {
    const items = adapters.map((adapter) => {
      const summary = summarizeAdapter(adapter);
      const item = document.createElement('li');
      item.dataset.radio = adapter.radio;
      item.dataset.status = adapter.status;
      item.dataset.testid = 'adapter';
      item.title = summary.detail;
      const label = document.createElement('span');
      label.className = 'adapter-label';
      label.textContent = summary.label;
      item.append(label);
      if (summary.problem) {
        // On the page, not in a tooltip: a radio that is down is the first
        // thing to know when its devices stop answering.
        const problem = document.createElement('span');
        problem.className = 'adapter-error';
        problem.dataset.testid = 'adapter-error';
        problem.textContent = summary.problem;
        item.append(problem);
      }
      return item;
    });
    this.el.adapters.replaceChildren(...items);
  }

  private showResult(state: ResultState, text: string): void {
    this.el.result.dataset.state = state;
    this.el.result.textContent = text;
  }
}
