// Usage charts: uploads per day, storage and credits over the chosen period, drawn with uPlot (MIT, served as an
// asset of ours) from /dashboard/api/usage/series. Every chart's numbers are also written into a table.
import { announce, api, revealScripted } from './dashboard-api.js';
import uPlot from './uplot.js';

const DAY_SECONDS = 86_400;
const HEIGHT = 220;

/** The theme's colours (light or dark), read from the stylesheet's custom properties. */
function palette() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return {
    text: read('--text'),
    muted: read('--muted'),
    grid: read('--border'),
    accent: read('--accent'),
    success: read('--success'),
    warning: read('--warning'),
  };
}

function bytes(value) {
  if (value < 1024) return `${Math.round(value)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let n = value / 1024;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`;
}

const whole = (value) => (value == null ? '' : Math.round(value).toLocaleString('en-US'));

/** Tick steps: whole numbers for counts, and 1-2-5 steps of KB, MB, GB for bytes. */
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500];
const COUNT_STEPS = [0, 1, 2, 3].flatMap((k) => STEPS.map((m) => m * 1000 ** k));
const BYTE_STEPS = [0, 1, 2, 3, 4].flatMap((k) => STEPS.map((m) => m * 1024 ** k));

function axes(colors, format, steps) {
  const common = {
    stroke: colors.muted,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid },
  };
  return [common, { ...common, size: 64, incrs: steps, values: (_u, values) => values.map(format) }];
}

const bars = () => uPlot.paths.bars({ size: [0.7, 40] });
/** Balances and storage hold their value until the day they change: steps, not slopes. */
const steps = () => uPlot.paths.stepped({ align: 1 });

/** The chart definitions: title, series (label, value of a day, colour, bars or line) and value format. */
function definitions(colors) {
  return [
    {
      id: 'chart-uploads',
      format: whole,
      steps: COUNT_STEPS,
      series: [{ label: 'Uploads', value: (d) => d.uploads, color: colors.accent, bars: true }],
    },
    {
      id: 'chart-storage',
      format: bytes,
      steps: BYTE_STEPS,
      series: [
        { label: 'Storage', value: (d) => d.storage_bytes, color: colors.accent, fill: true, stepped: true },
      ],
    },
    {
      id: 'chart-credits',
      format: whole,
      steps: COUNT_STEPS,
      series: [
        { label: 'Paid available', value: (d) => d.paid_available, color: colors.accent, stepped: true },
        { label: 'Promotional', value: (d) => d.promotional, color: colors.success, stepped: true },
        { label: 'Spent', value: (d) => d.credits_spent, color: colors.warning, bars: true },
      ],
    },
  ];
}

function draw(definition, days, colors) {
  const host = document.getElementById(definition.id);
  if (!host) return null;
  host.replaceChildren();
  const x = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
  const data = [x, ...definition.series.map((s) => days.map(s.value))];
  const options = {
    width: Math.max(host.clientWidth, 240),
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    axes: axes(colors, definition.format, definition.steps),
    // Counts and bytes start at zero, whatever the data.
    scales: {
      x: { time: true, range: (_u, min, max) => [min - DAY_SECONDS / 2, max + DAY_SECONDS / 2] },
      y: { range: (_u, _min, max) => uPlot.rangeNum(0, Math.max(max, 1), 0.1, true) },
    },
    cursor: { points: { size: 6 } },
    legend: { live: true },
    series: [
      { label: 'Day', value: (_u, ts) => (ts == null ? '' : new Date(ts * 1000).toISOString().slice(0, 10)) },
      ...definition.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.bars ? 1 : 2,
        fill: s.bars || s.fill ? `${s.color}33` : undefined,
        paths: s.bars ? bars() : s.stepped ? steps() : undefined,
        points: { show: false },
        value: (_u, v) => definition.format(v),
      })),
    ],
  };
  return new uPlot(options, data, host);
}

function table(definition, days) {
  const host = document.getElementById(`${definition.id}-table`);
  if (!host) return;
  const element = document.createElement('table');
  element.className = 'chart-table';
  const head = element.createTHead().insertRow();
  for (const label of ['Day', ...definition.series.map((s) => s.label)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label;
    head.append(th);
  }
  const body = element.createTBody();
  for (const d of [...days].reverse()) {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = d.day;
    row.append(th);
    for (const s of definition.series) row.insertCell().textContent = definition.format(s.value(d));
  }
  host.replaceChildren(element);
}

async function main() {
  const section = document.getElementById('charts');
  if (!section) return;
  revealScripted(section);
  let days;
  try {
    ({ days } = await api('GET', `/usage/series?days=${encodeURIComponent(section.dataset.days ?? '30')}`));
  } catch (error) {
    announce('charts-status', 'error', error.message);
    return;
  }
  const render = () => {
    const colors = palette();
    return definitions(colors).map((definition) => {
      table(definition, days);
      return { definition, plot: draw(definition, days, colors) };
    });
  };
  let charts = render();
  // Follow the width of the page, and the theme when it changes.
  const resize = new ResizeObserver(() => {
    for (const { definition, plot } of charts) {
      const host = document.getElementById(definition.id);
      if (plot && host) plot.setSize({ width: Math.max(host.clientWidth, 240), height: HEIGHT });
    }
  });
  for (const { definition } of charts) {
    const host = document.getElementById(definition.id);
    if (host) resize.observe(host);
  }
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    for (const { plot } of charts) plot?.destroy();
    charts = render();
  });
}

main();
