// Live telemetry: the latest value of every `telemetry/*` channel, and a
// scrolling chart of frame time and fps over the last 30 seconds, drawn on a
// plain <canvas>.

import { DataMessage, contentJson } from './protocol';

/** How much history the chart shows. */
export const WINDOW_MS = 30_000;

interface Sample {
  /** Receive time, `performance.now()` milliseconds. */
  t: number;
  v: number;
}

/** The metrics the chart plots, each in its own panel. */
const PLOTTED: { metric: string; label: string; unit: string; color: string; digits: number }[] = [
  { metric: 'frame_time', label: 'frame time', unit: 'ms', color: '#d9480f', digits: 2 },
  { metric: 'fps', label: 'fps', unit: 'fps', color: '#1971c2', digits: 1 },
];

/** "frame_time" -> "frame-time", used for element ids ("#frame-time-value"). */
export function metricSlug(metric: string): string {
  return metric.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}

export class Telemetry {
  private series = new Map<string, Sample[]>();
  private lastSequence = new Map<string, bigint>();
  private skipped = new Map<string, bigint>();
  private valueCells = new Map<string, HTMLElement>();
  private dirty = true;
  private lastDraw = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly valueList: HTMLElement,
  ) {
    const loop = (now: number) => {
      // The chart scrolls, so redraw a few times a second even without data.
      if (this.dirty || now - this.lastDraw > 200) {
        this.draw(now);
        this.lastDraw = now;
        this.dirty = false;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    new ResizeObserver(() => (this.dirty = true)).observe(canvas);
  }

  /** Takes one `telemetry/<metric>` message: JSON `{"value": number|null}`. */
  receive(metric: string, message: DataMessage): void {
    let value: unknown;
    try {
      value = (contentJson(message.content) as { value?: unknown })?.value;
    } catch {
      return;
    }
    if (message.sequence !== 0n) {
      const previous = this.lastSequence.get(metric);
      if (previous !== undefined && message.sequence > previous + 1n) {
        this.skipped.set(metric, (this.skipped.get(metric) ?? 0n) + message.sequence - previous - 1n);
      }
      this.lastSequence.set(metric, message.sequence);
    }
    const v = typeof value === 'number' && Number.isFinite(value) ? value : NaN;
    const now = performance.now();
    let samples = this.series.get(metric);
    if (!samples) this.series.set(metric, (samples = []));
    samples.push({ t: now, v });
    while (samples.length > 0 && samples[0]!.t < now - WINDOW_MS - 1000) samples.shift();
    this.showValue(metric, v);
    this.dirty = true;
  }

  /**
   * A new connection: sequence numbers start afresh for it. A restarted game
   * also makes the history meaningless.
   */
  reconnected(gameRestarted: boolean): void {
    this.lastSequence.clear();
    if (gameRestarted) {
      this.series.clear();
      this.skipped.clear();
      this.dirty = true;
    }
  }

  private showValue(metric: string, v: number): void {
    let cell = this.valueCells.get(metric);
    if (!cell) {
      const item = document.createElement('div');
      item.className = 'metric';
      item.dataset.metric = metric;
      const name = document.createElement('dt');
      name.textContent = metric.replace(/_/g, ' ');
      cell = document.createElement('dd');
      cell.id = `${metricSlug(metric)}-value`;
      item.append(name, cell);
      // Keep the list in name order, with the plotted metrics first.
      const rank = (m: string) => {
        const i = PLOTTED.findIndex((p) => p.metric === m);
        return i >= 0 ? `0${i}` : `1${m}`;
      };
      const after = [...this.valueList.children].find((c) => rank((c as HTMLElement).dataset.metric ?? '') > rank(metric));
      this.valueList.insertBefore(item, after ?? null);
      this.valueCells.set(metric, cell);
    }
    const digits = PLOTTED.find((p) => p.metric === metric)?.digits ?? (Number.isInteger(v) ? 0 : 2);
    cell.textContent = Number.isNaN(v) ? '—' : v.toFixed(digits);
    const skipped = this.skipped.get(metric);
    cell.title = skipped ? `${skipped} older values skipped (latest policy)` : '';
  }

  private draw(now: number): void {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const axisHeight = 18;
    const gap = 10;
    const panelHeight = (height - axisHeight - gap * (PLOTTED.length - 1)) / PLOTTED.length;
    let drawn = 0;
    PLOTTED.forEach((plot, i) => {
      const top = i * (panelHeight + gap);
      drawn += this.drawPanel(ctx, plot, { left: 48, top, width: width - 56, height: panelHeight }, now);
    });
    this.drawTimeAxis(ctx, { left: 48, top: height - axisHeight, width: width - 56 });
    canvas.dataset.samples = String(drawn);
  }

  private drawPanel(
    ctx: CanvasRenderingContext2D,
    plot: (typeof PLOTTED)[number],
    panel: { left: number; top: number; width: number; height: number },
    now: number,
  ): number {
    // A title line, then the plot area under it.
    const titleHeight = 20;
    const box = { ...panel, top: panel.top + titleHeight, height: panel.height - titleHeight };
    const samples = (this.series.get(plot.metric) ?? []).filter((s) => s.t >= now - WINDOW_MS && !Number.isNaN(s.v));
    const x = (t: number) => box.left + box.width * (1 - (now - t) / WINDOW_MS);

    ctx.fillStyle = '#f8f9fb';
    ctx.fillRect(box.left, box.top, box.width, box.height);

    // Value range with a little headroom, always including zero.
    let max = 0;
    for (const s of samples) max = Math.max(max, s.v);
    const step = niceStep(max > 0 ? max * 1.15 : 1, 4);
    const top = Math.max(step, Math.ceil((max * 1.15) / step) * step);
    const y = (v: number) => box.top + box.height * (1 - v / top);

    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 1;
    for (let v = 0; v <= top + step / 2; v += step) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.strokeStyle = '#dee2e6';
      ctx.beginPath();
      ctx.moveTo(box.left, yy);
      ctx.lineTo(box.left + box.width, yy);
      ctx.stroke();
      ctx.fillStyle = '#495057';
      ctx.fillText(formatTick(v, step), box.left - 6, yy);
    }

    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillStyle = plot.color;
    ctx.font = '600 12px system-ui, sans-serif';
    const latest = samples[samples.length - 1];
    const title = latest
      ? `${plot.label}: ${latest.v.toFixed(plot.digits)} ${plot.unit}`
      : `${plot.label} (${plot.unit}): waiting for data`;
    ctx.fillText(title, panel.left, panel.top + 13);

    if (samples.length > 0) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(box.left, box.top, box.width, box.height);
      ctx.clip();
      ctx.strokeStyle = plot.color;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      samples.forEach((s, i) => (i === 0 ? ctx.moveTo(x(s.t), y(s.v)) : ctx.lineTo(x(s.t), y(s.v))));
      ctx.stroke();
      ctx.restore();
    }
    return samples.length;
  }

  private drawTimeAxis(ctx: CanvasRenderingContext2D, box: { left: number; top: number; width: number }): void {
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#495057';
    ctx.textBaseline = 'top';
    for (let s = 30; s >= 0; s -= 5) {
      const xx = box.left + box.width * (1 - s / 30);
      ctx.textAlign = s === 30 ? 'left' : s === 0 ? 'right' : 'center';
      ctx.fillText(s === 0 ? 'now' : `−${s} s`, xx, box.top + 4);
    }
  }
}

/** A round step (1, 2 or 5 times a power of ten) giving about `count` intervals. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function formatTick(v: number, step: number): string {
  const digits = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
  return v.toFixed(digits);
}
