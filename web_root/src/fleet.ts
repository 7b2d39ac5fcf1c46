// The editor against a fleet gateway (`switchboard fleet`): there, every
// game instance's channels are `fleet/<instance>/<channel>` and the instances
// are listed on `fleet/instances`. The page shows one instance at a time,
// chosen in the header (or by `?instance=NAME`), by reading that instance's
// mirror channels under their game names; against a single game nothing
// changes.

import { DataMessage, contentJson } from './protocol';

export const INSTANCES_CHANNEL = 'fleet/instances';
const PREFIX = 'fleet/';

/** What the editor subscribes to on a gateway, besides its own patterns. */
export const FLEET_PATTERNS = [INSTANCES_CHANNEL, 'fleet/*/telemetry/**', 'fleet/*/scene/entities'];

/** One entry of `fleet/instances` (the gateway's listing; more fields are ignored). */
interface Listed {
  id: string;
  name?: string;
}

export interface FleetElements {
  /** Hidden until the host turns out to be a gateway. */
  picker: HTMLElement;
  select: HTMLSelectElement;
}

export class Fleet {
  private selected: string | null;
  private lastScope = '';
  private instances: Listed[] = [];
  /** Called with the new scope (`fleet/<id>/`) when the shown instance changes. */
  onSwitch: (scope: string) => void = () => {};
  /** Called with its id when the shown instance leaves the listing (its game stopped or lost NATS). */
  onGone: (id: string) => void = () => {};
  private selectedListed = false;

  constructor(private readonly el: FleetElements) {
    this.selected = new URLSearchParams(location.search).get('instance');
    el.select.addEventListener('change', () => this.choose(el.select.value));
  }

  /** `fleet/<id>/` for the shown instance, or "" (no gateway, or no instance yet). */
  get scope(): string {
    return this.selected !== null && this.instances.length > 0 ? `${PREFIX}${this.selected}/` : '';
  }

  /**
   * The game's name for a channel the page received, or null when it belongs
   * to an instance not shown. Names outside `fleet/` pass unchanged.
   */
  localName(channel: string): string | null {
    if (!channel.startsWith(PREFIX)) return channel;
    const scope = this.scope;
    return scope !== '' && channel.startsWith(scope) ? channel.slice(scope.length) : null;
  }

  /** Takes a `fleet/instances` message; true if it was one. */
  receive(channel: string, message: DataMessage): boolean {
    if (channel !== INSTANCES_CHANNEL) return false;
    let listed: unknown;
    try {
      listed = contentJson(message.content);
    } catch {
      return true;
    }
    if (!Array.isArray(listed)) return true;
    this.instances = listed.filter((i): i is Listed => typeof (i as Listed)?.id === 'string');
    this.render();
    // Keep a chosen instance that went away chosen: it may come back (a
    // restarted game); pick the first one only when nothing was chosen.
    if (this.selected === null && this.instances.length > 0) this.choose(this.instances[0]!.id);
    this.notify();
    const stillListed = this.instances.some((i) => i.id === this.selected);
    if (this.selectedListed && !stillListed && this.selected !== null) this.onGone(this.selected);
    this.selectedListed = stillListed;
    return true;
  }

  private choose(id: string): void {
    this.selected = id;
    this.selectedListed = this.instances.some((i) => i.id === id);
    this.el.select.value = id;
    this.notify();
  }

  /** Tells the page only when the scope really changed (listings come with every heartbeat). */
  private notify(): void {
    const scope = this.scope;
    if (scope === this.lastScope) return;
    this.lastScope = scope;
    this.onSwitch(scope);
  }

  private render(): void {
    const ids = this.instances.map((i) => i.id);
    if (this.selected !== null && !ids.includes(this.selected)) ids.push(this.selected);
    const options = ids.map((id) => {
      const option = document.createElement('option');
      option.value = id;
      const listed = this.instances.find((i) => i.id === id);
      option.textContent = !listed ? `${id} (gone)` : listed.name && listed.name !== id ? `${listed.name} (${id})` : id;
      return option;
    });
    this.el.select.replaceChildren(...options);
    if (this.selected !== null) this.el.select.value = this.selected;
    this.el.picker.hidden = false;
    this.el.picker.dataset.instances = String(this.instances.length);
  }
}
