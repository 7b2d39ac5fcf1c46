// The scene: a table of entities from `scene/entities`, and commands on
// `scene/command` (spawn from the form, despawn from a row).

import { Connection, describeError } from './connection';
import { DataMessage, contentJson, contentText, jsonContent } from './protocol';

export const COMMAND_CHANNEL = 'scene/command';
export const ENTITIES_CHANNEL = 'scene/entities';

interface Entity {
  id: number;
  name: string;
  x: number;
  y: number;
}

export interface SceneElements {
  table: HTMLTableSectionElement;
  count: HTMLElement;
  form: HTMLFormElement;
  name: HTMLInputElement;
  x: HTMLInputElement;
  y: HTMLInputElement;
  button: HTMLButtonElement;
  result: HTMLElement;
}

export class Scene {
  private rows = new Map<number, HTMLTableRowElement>();

  constructor(
    private readonly connection: Connection,
    private readonly el: SceneElements,
  ) {
    el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.spawn();
    });
  }

  /** Takes one `scene/entities` message: `{"entities": [{id, name, x, y}]}`. */
  receive(message: DataMessage): void {
    let entities: Entity[];
    try {
      entities = (contentJson(message.content) as { entities: Entity[] }).entities;
      if (!Array.isArray(entities)) return;
    } catch {
      return;
    }
    const seen = new Set<number>();
    let previous: HTMLTableRowElement | null = null;
    for (const entity of entities) {
      seen.add(entity.id);
      let row = this.rows.get(entity.id);
      if (!row) {
        row = this.makeRow(entity);
        this.rows.set(entity.id, row);
      }
      // Keep the host's order (by id) without rebuilding rows, so buttons
      // stay clickable while positions update ten times a second.
      const expected: Element | null = previous ? previous.nextElementSibling : this.el.table.firstElementChild;
      if (expected !== row) this.el.table.insertBefore(row, expected);
      setText(row.cells[2]!, entity.x.toFixed(2));
      setText(row.cells[3]!, entity.y.toFixed(2));
      previous = row;
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    setText(this.el.count, String(entities.length));
  }

  /** The connection dropped: the table is no longer live. */
  clear(): void {
    this.rows.clear();
    this.el.table.replaceChildren();
    setText(this.el.count, '0');
  }

  private makeRow(entity: Entity): HTMLTableRowElement {
    const row = document.createElement('tr');
    row.dataset.entityId = String(entity.id);
    row.dataset.name = entity.name;
    for (const text of [String(entity.id), entity.name, '', '']) {
      const cell = row.insertCell();
      cell.textContent = text;
    }
    row.cells[0]!.className = 'num';
    row.cells[2]!.className = 'num';
    row.cells[3]!.className = 'num';
    const action = row.insertCell();
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'small';
    button.textContent = 'despawn';
    button.dataset.testid = 'despawn';
    button.addEventListener('click', () => void this.despawn(entity.id, entity.name));
    action.append(button);
    return row;
  }

  private async spawn(): Promise<void> {
    const name = this.el.name.value.trim();
    const x = Number(this.el.x.value || 0);
    const y = Number(this.el.y.value || 0);
    if (!name) return this.showResult('error', 'give the entity a name');
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.showResult('error', 'x and y must be numbers');
    this.el.button.disabled = true;
    this.showResult('pending', `spawning ${name}…`);
    try {
      const answer = await this.command({ op: 'spawn', name, x, y });
      this.showResult('ok', `spawned ${JSON.stringify(name)} as entity ${(answer as { id?: unknown }).id}`);
    } catch (e) {
      this.showResult('error', describeError(e));
    } finally {
      this.el.button.disabled = false;
    }
  }

  private async despawn(id: number, name: string): Promise<void> {
    try {
      await this.command({ op: 'despawn', id });
      this.showResult('ok', `despawned ${JSON.stringify(name)} (entity ${id})`);
    } catch (e) {
      this.showResult('error', describeError(e));
    }
  }

  private async command(command: object): Promise<unknown> {
    const response = await this.connection.request(COMMAND_CHANNEL, jsonContent(command));
    const text = contentText(response.content);
    return text ? JSON.parse(text) : null;
  }

  private showResult(state: 'ok' | 'error' | 'pending', text: string): void {
    this.el.result.dataset.state = state;
    this.el.result.textContent = text;
  }
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
