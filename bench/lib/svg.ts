/**
 * Small hand-made SVG charts: line panels (log or linear y) and grouped-bar panels, laid out
 * side by side under one title. No dependencies; the output is a static file a browser or a
 * Markdown viewer shows as is.
 */

export interface Series {
  label: string;
  color: string;
  dash?: string;
  width?: number;
  points: Array<{ x: number; y: number; hollow?: boolean }>;
}

export interface LinePanel {
  kind: 'line';
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: Series[];
  /** Horizontal reference lines, e.g. a latency limit. */
  hlines?: Array<{ y: number; label: string }>;
}

export interface BarPanel {
  kind: 'bar';
  title: string;
  yLabel: string;
  categories: string[];
  series: Array<{ label: string; color: string; values: Array<number | null>; colors?: string[] }>;
  /** Horizontal reference lines, e.g. a target. */
  hlines?: Array<{ y: number; label: string }>;
}

export type Panel = LinePanel | BarPanel;

export const COLORS = {
  parley: '#1f5fa8',
  parleyLight: '#7fa7d6',
  baseline: '#d9711c',
  baselineLight: '#f0b27a',
  grid: '#e4e4e4',
  text: '#222',
  muted: '#666',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  if (a >= 10) return `${Math.round(v)}`;
  if (a >= 1) return `${+v.toFixed(1)}`;
  return `${+v.toPrecision(2)}`;
}

function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(+v.toPrecision(12));
  return out;
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  }
  return out;
}

function renderLine(p: LinePanel, x0: number, y0: number, w: number, h: number): string {
  const pad = { l: 56, r: 12, t: 28, b: 44 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const pts = p.series
    .flatMap((s) => s.points)
    .filter((q) => Number.isFinite(q.y) && Number.isFinite(q.x));
  const ys = [...pts.map((q) => q.y), ...(p.hlines ?? []).map((l) => l.y)].filter(
    (v) => !p.logY || v > 0,
  );
  const xs = pts.map((q) => q.x);
  const xMin = 0;
  const xMax = Math.max(1, ...xs) * 1.05;
  let yMin = p.logY ? Math.max(0.01, Math.min(...ys) / 1.5) : 0;
  let yMax = Math.max(...ys, p.logY ? 1 : 0) * (p.logY ? 1.6 : 1.1);
  if (!Number.isFinite(yMin)) yMin = p.logY ? 0.1 : 0;
  if (!Number.isFinite(yMax) || yMax <= yMin) yMax = yMin * 10 || 1;
  if (p.logY) {
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(yMax));
  }
  const sx = (v: number) => x0 + pad.l + ((v - xMin) / (xMax - xMin)) * pw;
  const sy = (v: number) =>
    p.logY
      ? y0 +
        pad.t +
        ph -
        ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) /
          (Math.log10(yMax) - Math.log10(yMin))) *
          ph
      : y0 + pad.t + ph - ((v - yMin) / (yMax - yMin)) * ph;
  const out: string[] = [];
  out.push(
    `<text x="${x0 + pad.l}" y="${y0 + 16}" font-size="13" font-weight="bold" fill="${COLORS.text}">${esc(p.title)}</text>`,
  );
  for (const t of p.logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax)) {
    const y = sy(t);
    out.push(
      `<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`,
    );
    out.push(
      `<text x="${x0 + pad.l - 6}" y="${y + 4}" font-size="10" text-anchor="end" fill="${COLORS.muted}">${fmt(t)}</text>`,
    );
  }
  for (const t of niceTicks(xMin, xMax, 6)) {
    const x = sx(t);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${y0 + pad.t + ph}" y2="${y0 + pad.t + ph + 4}" stroke="${COLORS.muted}"/>`,
    );
    out.push(
      `<text x="${x}" y="${y0 + pad.t + ph + 16}" font-size="10" text-anchor="middle" fill="${COLORS.muted}">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${x0 + pad.l}" y="${y0 + pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`,
  );
  out.push(
    `<text x="${x0 + pad.l + pw / 2}" y="${y0 + h - 8}" font-size="11" text-anchor="middle" fill="${COLORS.text}">${esc(p.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(${x0 + 14},${y0 + pad.t + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="${COLORS.text}">${esc(p.yLabel)}</text>`,
  );
  for (const l of p.hlines ?? []) {
    const y = sy(l.y);
    out.push(
      `<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="2,3"/>`,
    );
    out.push(
      `<text x="${x0 + pad.l + pw - 4}" y="${y - 4}" font-size="10" text-anchor="end" fill="#c00">${esc(l.label)}</text>`,
    );
  }
  for (const s of p.series) {
    const good = s.points.filter((q) => Number.isFinite(q.y) && (!p.logY || q.y > 0));
    if (!good.length) continue;
    const d = good
      .map((q, i) => `${i ? 'L' : 'M'}${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`)
      .join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    for (const q of good) {
      out.push(
        `<circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="3" fill="${q.hollow ? 'white' : s.color}" stroke="${s.color}"/>`,
      );
    }
  }
  // legend, on a white card so lines behind it stay readable
  const legendW = 30 + Math.max(...p.series.map((s) => s.label.length)) * 5.8;
  out.push(
    `<rect x="${x0 + pad.l + 3}" y="${y0 + pad.t + 2}" width="${legendW}" height="${p.series.length * 14 + 4}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`,
  );
  let ly = y0 + pad.t + 8;
  for (const s of p.series) {
    const lx = x0 + pad.l + 8;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    out.push(
      `<text x="${lx + 27}" y="${ly + 4}" font-size="10" fill="${COLORS.text}">${esc(s.label)}</text>`,
    );
    ly += 14;
  }
  return out.join('\n');
}

function renderBars(p: BarPanel, x0: number, y0: number, w: number, h: number): string {
  const pad = { l: 56, r: 12, t: 28, b: 44 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const values = p.series
    .flatMap((s) => s.values)
    .filter((v): v is number => v !== null && Number.isFinite(v));
  const yMax = Math.max(...values, ...(p.hlines ?? []).map((l) => l.y), 1e-9) * 1.18;
  const sy = (v: number) => y0 + pad.t + ph - (v / yMax) * ph;
  const out: string[] = [];
  out.push(
    `<text x="${x0 + pad.l}" y="${y0 + 16}" font-size="13" font-weight="bold" fill="${COLORS.text}">${esc(p.title)}</text>`,
  );
  for (const t of niceTicks(0, yMax)) {
    const y = sy(t);
    out.push(
      `<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`,
    );
    out.push(
      `<text x="${x0 + pad.l - 6}" y="${y + 4}" font-size="10" text-anchor="end" fill="${COLORS.muted}">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(${x0 + 14},${y0 + pad.t + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="${COLORS.text}">${esc(p.yLabel)}</text>`,
  );
  const groupW = pw / p.categories.length;
  const barW = Math.min(40, (groupW * 0.8) / p.series.length);
  p.categories.forEach((c, ci) => {
    const gx = x0 + pad.l + ci * groupW + (groupW - barW * p.series.length) / 2;
    p.series.forEach((s, si) => {
      const v = s.values[ci];
      const x = gx + si * barW;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        out.push(
          `<text x="${x + barW / 2}" y="${y0 + pad.t + ph - 4}" font-size="9" text-anchor="middle" fill="${COLORS.muted}">n/a</text>`,
        );
        return;
      }
      out.push(
        `<rect x="${x.toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y0 + pad.t + ph - sy(v)).toFixed(1)}" fill="${s.colors?.[ci] ?? s.color}"/>`,
      );
      out.push(
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(sy(v) - 3).toFixed(1)}" font-size="9" text-anchor="middle" fill="${COLORS.text}">${fmt(v)}</text>`,
      );
    });
    out.push(
      `<text x="${x0 + pad.l + ci * groupW + groupW / 2}" y="${y0 + pad.t + ph + 16}" font-size="11" text-anchor="middle" fill="${COLORS.text}">${esc(c)}</text>`,
    );
  });
  out.push(
    `<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${y0 + pad.t + ph}" y2="${y0 + pad.t + ph}" stroke="#999"/>`,
  );
  for (const l of p.hlines ?? []) {
    const y = sy(l.y);
    out.push(
      `<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="2,3"/>`,
    );
    out.push(
      `<text x="${x0 + pad.l + pw - 4}" y="${y - 4}" font-size="10" text-anchor="end" fill="#c00">${esc(l.label)}</text>`,
    );
  }
  let lx = x0 + pad.l;
  for (const s of p.series.filter((q) => !q.colors)) {
    out.push(`<rect x="${lx}" y="${y0 + h - 16}" width="10" height="10" fill="${s.color}"/>`);
    out.push(
      `<text x="${lx + 14}" y="${y0 + h - 7}" font-size="10" fill="${COLORS.text}">${esc(s.label)}</text>`,
    );
    lx += 18 + s.label.length * 5.6;
  }
  return out.join('\n');
}

/** Panels side by side (wrapping after `columns`) under a title and a subtitle. */
export function chart(o: {
  title: string;
  subtitle: string;
  panels: Panel[];
  columns?: number;
  panelWidth?: number;
  panelHeight?: number;
}): string {
  const cols = o.columns ?? o.panels.length;
  const pw = o.panelWidth ?? 460;
  const ph = o.panelHeight ?? 320;
  const rows = Math.ceil(o.panels.length / cols);
  const top = 52;
  const width = cols * pw + 20;
  const height = top + rows * ph + 10;
  const body = o.panels.map((p, i) => {
    const x = 10 + (i % cols) * pw;
    const y = top + Math.floor(i / cols) * ph;
    return p.kind === 'line' ? renderLine(p, x, y, pw, ph) : renderBars(p, x, y, pw, ph);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="16" y="22" font-size="16" font-weight="bold" fill="${COLORS.text}">${esc(o.title)}</text>`,
    `<text x="16" y="40" font-size="11" fill="${COLORS.muted}">${esc(o.subtitle)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
