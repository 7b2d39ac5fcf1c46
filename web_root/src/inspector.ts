// The Inspector panel: the game's entities by reflection (the `inspector`
// feature, docs/inspector.md). A tree of entities by `ChildOf` with their
// names, a search by name, and the selected entity's components as fields
// that edit through `world/mutate` and stay live through `world/watch`. The
// tree is live too: the watch includes the entity list (`list: true`), and
// the tree is read again only when the game spawned, despawned, renamed or
// reparented an entity.

import { Connection, describeError } from './connection';
import { DataMessage, contentJson } from './protocol';
import { jsonRequest } from './hardware';

export const QUERY_CHANNEL = 'world/query';
const NAME = 'bevy_ecs::name::Name';
const CHILD_OF = 'bevy_ecs::hierarchy::ChildOf';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Row {
  entity: number;
  components: Record<string, Json>;
}

/** One message of the watch stream (docs/inspector.md, "Watching"). */
interface WatchMessage {
  frame: number;
  entities: Record<string, Record<string, Json>>;
  changed?: Record<string, string[]>;
  /** Present when the entity list changed this frame. */
  list?: { spawned?: number[]; despawned?: number[]; changed?: number[] };
}

type Schemas = Record<string, { kind?: string; oneOf?: { const?: string }[]; properties?: Record<string, { $ref?: string }> }>;

export interface InspectorElements {
  panel: HTMLElement;
  search: HTMLInputElement;
  tree: HTMLUListElement;
  count: HTMLElement;
  title: HTMLElement;
  components: HTMLElement;
  result: HTMLElement;
}

export class Inspector {
  private selected: number | null = null;
  private watchName: string | null = null;
  private schemas: Schemas = {};
  /** A tree read is under way; `stale` asks for one more after it. */
  private reading = false;
  private stale = false;
  /** Tree reads so far (`data-reads` on the tree), for tests and curious people. */
  private reads = 0;
  /** Field inputs by `component|path`, updated in place by the watch. */
  private fields = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private layout = '';

  constructor(
    private readonly connection: Connection,
    private readonly el: InspectorElements,
  ) {
    el.search.addEventListener('input', () => void this.refresh());
  }

  /** The connection is up (again): start if the game has an inspector. */
  async connected(clientId: number): Promise<void> {
    this.stop();
    const available = this.connection.channelByName(QUERY_CHANNEL) !== undefined;
    this.el.panel.dataset.available = String(available);
    if (!available) {
      this.show('error', 'this game runs no inspector (built without the inspector feature)');
      return;
    }
    this.watchName = `inspector/watch/${clientId}`;
    try {
      // Subscribed before any watch exists, so the first state is not missed.
      await this.connection.subscribe([this.watchName]);
      this.schemas = await jsonRequest<Schemas>(this.connection, 'registry/schema', {});
    } catch (e) {
      this.show('error', describeError(e));
    }
    // Watching before the first read: an entity spawned in between is
    // then named by the watch, not missed.
    if (this.selected !== null) await this.select(this.selected);
    else await this.watch().catch((e) => this.show('error', describeError(e)));
    await this.refresh();
  }

  /** The connection dropped: nothing to stop, the watch ends with it. */
  stop(): void {
    this.reading = false;
    this.stale = false;
  }

  /** The watch: the entity list, and the selected entity if any. */
  private async watch(): Promise<void> {
    const body = this.selected === null ? { list: true } : { list: true, entities: [this.selected] };
    await jsonRequest(this.connection, 'world/watch', body);
  }

  /** Takes a Data message if it is this page's watch stream. */
  receive(channelName: string, message: DataMessage): boolean {
    if (channelName !== this.watchName) return false;
    let watch: WatchMessage;
    try {
      watch = contentJson(message.content) as WatchMessage;
    } catch {
      return true;
    }
    if (watch.list) void this.refresh();
    if (this.selected === null) return true;
    const components = watch.entities?.[String(this.selected)];
    if (components) this.render(components);
    return true;
  }

  /** Reads the tree; a read asked for while one is under way runs once after it. */
  private async refresh(): Promise<void> {
    if (this.reading) {
      this.stale = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.stale = false;
        await this.readTree();
      } while (this.stale && this.reading);
    } finally {
      this.reading = false;
    }
  }

  private async readTree(): Promise<void> {
    if (!this.connection.connected) return;
    this.reads += 1;
    this.el.tree.dataset.reads = String(this.reads);
    const name = this.el.search.value.trim();
    let rows: Row[];
    try {
      rows = await jsonRequest<Row[]>(this.connection, QUERY_CHANNEL, {
        data: { option: [NAME, CHILD_OF] },
        filter: {},
        ...(name ? { name } : {}),
      });
    } catch (e) {
      this.show('error', describeError(e));
      return;
    }
    this.renderTree(rows, name !== '');
  }

  /** Roots first, each followed by its children (indented); a search lists matches flat. */
  private renderTree(rows: Row[], flat: boolean): void {
    const byId = new Map(rows.map((r) => [r.entity, r]));
    const children = new Map<number, Row[]>();
    const roots: Row[] = [];
    for (const row of rows) {
      const parent = row.components[CHILD_OF];
      if (!flat && typeof parent === 'number' && byId.has(parent)) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent)!.push(row);
      } else roots.push(row);
    }
    const items: HTMLLIElement[] = [];
    const add = (row: Row, depth: number) => {
      items.push(this.item(row, depth));
      if (depth < 32) for (const child of children.get(row.entity) ?? []) add(child, depth + 1);
    };
    roots.sort((a, b) => a.entity - b.entity).forEach((r) => add(r, 0));
    this.el.tree.replaceChildren(...items);
    this.el.count.textContent = String(rows.length);
  }

  private item(row: Row, depth: number): HTMLLIElement {
    const li = document.createElement('li');
    const name = row.components[NAME];
    li.dataset.entity = String(row.entity);
    li.dataset.name = typeof name === 'string' ? name : '';
    li.style.paddingLeft = `${depth * 1.1 + 0.3}rem`;
    li.textContent = typeof name === 'string' ? `${name} ` : '';
    const id = document.createElement('span');
    id.className = 'muted mono';
    id.textContent = `#${row.entity}`;
    li.append(id);
    if (row.entity === this.selected) li.dataset.selected = 'true';
    li.addEventListener('click', () => void this.select(row.entity));
    return li;
  }

  private async select(entity: number): Promise<void> {
    this.selected = entity;
    this.layout = '';
    for (const li of this.el.tree.querySelectorAll('li')) {
      if (li.dataset.entity === String(entity)) li.dataset.selected = 'true';
      else delete li.dataset.selected;
    }
    this.el.title.textContent = `entity ${entity}`;
    try {
      await this.watch();
      this.show('ok', `watching entity ${entity}`);
    } catch (e) {
      this.show('error', describeError(e));
    }
  }

  /** Builds the fields when the components or their shape changed; otherwise updates values in place. */
  private render(components: Record<string, Json>): void {
    const leaves: [string, string, Json][] = [];
    for (const [type, value] of Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) {
      flatten(value, '', (path, leaf) => leaves.push([type, path, leaf]));
    }
    const layout = leaves.map(([t, p, v]) => `${t}|${p}|${typeof v}`).join('\n');
    if (layout !== this.layout) {
      this.layout = layout;
      this.build(components, leaves);
      return;
    }
    for (const [type, path, value] of leaves) {
      const input = this.fields.get(`${type}|${path}`);
      // Never overwrite what the user is typing.
      if (!input || document.activeElement === input) continue;
      setInput(input, value);
    }
  }

  private build(components: Record<string, Json>, leaves: [string, string, Json][]): void {
    this.fields.clear();
    const blocks: HTMLElement[] = [];
    for (const type of Object.keys(components).sort()) {
      const block = document.createElement('fieldset');
      block.dataset.component = type;
      const legend = document.createElement('legend');
      legend.textContent = type.split('::').pop() ?? type;
      legend.title = type;
      block.append(legend);
      for (const [t, path, value] of leaves) {
        if (t !== type) continue;
        const label = document.createElement('label');
        label.className = 'field';
        const caption = document.createElement('span');
        caption.textContent = path || 'value';
        const input = this.input(type, path, value);
        input.dataset.field = path;
        this.fields.set(`${type}|${path}`, input);
        label.append(caption, input);
        block.append(label);
      }
      blocks.push(block);
    }
    this.el.components.replaceChildren(...blocks);
  }

  /** A number box, a checkbox, a text box, or a variant list for an enum of unit variants. */
  private input(type: string, path: string, value: Json): HTMLInputElement | HTMLSelectElement {
    const variants = this.unitVariants(type, path);
    let input: HTMLInputElement | HTMLSelectElement;
    if (variants && typeof value === 'string') {
      const select = document.createElement('select');
      for (const v of variants) select.add(new Option(v, v));
      input = select;
    } else {
      const box = document.createElement('input');
      box.type = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'checkbox' : 'text';
      if (box.type === 'number') box.step = 'any';
      input = box;
    }
    setInput(input, value);
    input.addEventListener('change', () => void this.edit(type, path, input, value));
    return input;
  }

  private unitVariants(type: string, path: string): string[] | null {
    let schema = this.schemas[type];
    for (const part of path.split('.').filter(Boolean)) {
      const ref = schema?.properties?.[part]?.$ref;
      schema = ref ? this.schemas[ref.replace('#/$defs/', '')] : undefined;
    }
    const names = schema?.kind === 'Enum' ? (schema.oneOf ?? []).map((v) => v.const) : [];
    return names.length > 0 && names.every((n) => typeof n === 'string') ? (names as string[]) : null;
  }

  private async edit(type: string, path: string, input: HTMLInputElement | HTMLSelectElement, was: Json): Promise<void> {
    if (this.selected === null) return;
    let value: Json;
    if (input instanceof HTMLInputElement && input.type === 'checkbox') value = input.checked;
    else if (input instanceof HTMLInputElement && input.type === 'number') value = Number(input.value);
    else value = input.value;
    if (typeof was === 'number' && !Number.isFinite(value)) return this.show('error', `${path || type}: not a number`);
    try {
      await jsonRequest(this.connection, 'world/mutate', { entity: this.selected, component: type, path, value });
      this.show('ok', `set ${type.split('::').pop()}${path ? `.${path}` : ''} = ${JSON.stringify(value)}`);
    } catch (e) {
      this.show('error', describeError(e));
    }
  }

  private show(state: 'ok' | 'error', text: string): void {
    this.el.result.dataset.state = state;
    this.el.result.textContent = text;
  }
}

/** Calls `leaf` for every primitive in `value` with its reflection path (`a.b`, `list[2]`). */
export function flatten(value: Json, path: string, leaf: (path: string, value: Json) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, leaf));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) flatten(v, path ? `${path}.${key}` : key, leaf);
  } else {
    leaf(path, value);
  }
}

function setInput(input: HTMLInputElement | HTMLSelectElement, value: Json): void {
  if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = value === true;
  else {
    const text = typeof value === 'number' ? String(Math.round(value * 1e6) / 1e6) : String(value ?? '');
    if (input.value !== text) input.value = text;
  }
}
