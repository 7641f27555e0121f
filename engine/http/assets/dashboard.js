// CityTwin dashboard: draws the city from /api/city, colours it from the /api/events stream, shows one
// twin's state and history on click, and runs scenarios. Plain DOM and SVG, no libraries, no network
// beyond the engine that served the page.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const HISTORY_SAMPLES = 240;  // live samples kept per segment for the chart

const app = {
  token: new URLSearchParams(location.hash.slice(1)).get('token') || localStorage.getItem('citytwin-token') || '',
  city: null,
  state: null,
  points: null,         // projected segment end points and building / node positions
  view: { scale: 1, x: 0, y: 0 },
  selected: null,       // {kind, id, index, element}
  samples: new Map(),   // segment index -> [[epoch_ms, speed_kmh], ...]
  events: null,
};

const $ = (id) => document.getElementById(id);

function showError(text) {
  const box = $('error');
  box.textContent = text;
  box.hidden = !text;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (app.token) headers.Authorization = 'Bearer ' + app.token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
  if (!response.ok) {
    const why = body && body.error ? body.error : response.status + ' ' + response.statusText;
    throw new Error(path + ': ' + why);
  }
  return body;
}

function svg(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes || {})) element.setAttribute(k, v);
  return element;
}

// ---- geometry: the city's own coordinates, longitude/latitude shrunk by cos(latitude), y pointing up
function projector(city) {
  const [minX, minY, maxX, maxY] = city.bounds;
  if (city.coordinate_system === 'wgs84') {
    const lat0 = (minY + maxY) / 2, k = Math.cos(lat0 * Math.PI / 180);
    return (x, y) => [(x - minX) * 111320 * k, -(y - lat0) * 110540];
  }
  return (x, y) => [x - minX, -(y - minY)];
}

function drawCity(city) {
  app.city = city;
  $('city-name').textContent = city.name;
  const project = projector(city);
  const segmentLayer = $('layer-segments'), buildingLayer = $('layer-buildings'), nodeLayer = $('layer-nodes');
  segmentLayer.replaceChildren(); buildingLayer.replaceChildren(); nodeLayer.replaceChildren();
  app.points = { segments: [], buildings: [], nodes: [] };
  city.segments.forEach((s, i) => {
    const a = project(s.from[0], s.from[1]), b = project(s.to[0], s.to[1]);
    app.points.segments.push([a, b]);
    const line = svg('line', { class: 'segment', 'data-id': s.id, 'data-index': i, stroke: '#adb5bd' });
    line.appendChild(svg('title')).textContent = (s.name ? s.name + ' ' : '') + s.id;
    line.addEventListener('click', () => select('segment', s.id, i, line));
    segmentLayer.appendChild(line);
  });
  city.buildings.forEach((b, i) => {
    const p = project(b.x, b.y);
    app.points.buildings.push(p);
    const dot = svg('circle', { class: 'building', 'data-id': b.id, cx: p[0], cy: p[1], fill: '#4c6ef5' });
    dot.addEventListener('click', () => select('building', b.id, i, dot));
    buildingLayer.appendChild(dot);
  });
  city.utility_nodes.forEach((n, i) => {
    if (n.x === undefined) { app.points.nodes.push(null); return; }
    const p = project(n.x, n.y);
    app.points.nodes.push(p);
    const box = svg('rect', { class: 'node' + (n.substation ? ' substation' : ''), 'data-id': n.id, fill: '#fab005' });
    box.appendChild(svg('title')).textContent = (n.substation ? 'substation ' : 'node ') + n.id;
    box.addEventListener('click', () => select('node', n.id, i, box));
    nodeLayer.appendChild(box);
  });
  fitView();
}

// Directed segments are drawn beside their opposite direction: offset to the right by a few pixels.
function layout() {
  const { scale, x, y } = app.view;
  $('world').setAttribute('transform', `translate(${x} ${y}) scale(${scale})`);
  if (!app.points) return;
  const offset = 2.5 / scale;
  const lines = $('layer-segments').children;
  app.points.segments.forEach(([a, b], i) => {
    const dx = b[0] - a[0], dy = b[1] - a[1], length = Math.hypot(dx, dy) || 1;
    const ox = -dy / length * offset, oy = dx / length * offset;
    const line = lines[i];
    line.setAttribute('x1', a[0] + ox); line.setAttribute('y1', a[1] + oy);
    line.setAttribute('x2', b[0] + ox); line.setAttribute('y2', b[1] + oy);
  });
  for (const dot of $('layer-buildings').children) dot.setAttribute('r', 2.2 / scale);
  const boxes = $('layer-nodes').children;
  let k = 0;
  app.points.nodes.forEach((p, i) => {
    if (!p) return;
    const half = (app.city.utility_nodes[i].substation ? 6 : 3.5) / scale;
    const box = boxes[k++];
    box.setAttribute('x', p[0] - half); box.setAttribute('y', p[1] - half);
    box.setAttribute('width', 2 * half); box.setAttribute('height', 2 * half);
  });
  layoutChange();
}

function fitView() {
  const all = app.points.segments.flat().concat(app.points.buildings, app.points.nodes.filter(Boolean));
  if (!all.length) return;
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const box = $('map').getBoundingClientRect();
  const scale = 0.92 * Math.min(box.width / Math.max(maxX - minX, 1e-9), box.height / Math.max(maxY - minY, 1e-9));
  app.view = { scale, x: box.width / 2 - scale * (minX + maxX) / 2, y: box.height / 2 - scale * (minY + maxY) / 2 };
  layout();
}

function zoomAt(factor, px, py) {
  const v = app.view;
  v.x = px - (px - v.x) * factor;
  v.y = py - (py - v.y) * factor;
  v.scale *= factor;
  layout();
}

function setUpPanZoom() {
  const map = $('map');
  map.addEventListener('wheel', (e) => {
    e.preventDefault();
    const box = map.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
  }, { passive: false });
  let drag = null;
  map.addEventListener('pointerdown', (e) => {
    if (e.target !== map && e.button !== 1 && !e.shiftKey && e.target.tagName !== 'svg') return;
    drag = { x: e.clientX, y: e.clientY };
    map.classList.add('dragging');
    map.setPointerCapture(e.pointerId);
  });
  map.addEventListener('pointermove', (e) => {
    if (!drag) return;
    app.view.x += e.clientX - drag.x; app.view.y += e.clientY - drag.y;
    drag = { x: e.clientX, y: e.clientY };
    layout();
  });
  const end = () => { drag = null; map.classList.remove('dragging'); };
  map.addEventListener('pointerup', end);
  map.addEventListener('pointercancel', end);
  const centre = () => { const b = map.getBoundingClientRect(); return [b.width / 2, b.height / 2]; };
  $('zoom-in').onclick = () => zoomAt(1.5, ...centre());
  $('zoom-out').onclick = () => zoomAt(1 / 1.5, ...centre());
  $('zoom-fit').onclick = fitView;
  window.addEventListener('resize', () => app.points && fitView());
}

// ---- state: colours from the latest whole state
function speedColour(ratio) {
  if (ratio >= 0.8) return '#2b8a3e';
  if (ratio >= 0.5) return '#f08c00';
  if (ratio >= 0.25) return '#e8590c';
  return '#c92a2a';
}

function applyState(state) {
  app.state = state;
  const segments = state.segments, lines = $('layer-segments').children;
  for (let i = 0; i < lines.length && i < segments.speed_kmh.length; i++) {
    const free = app.city.segments[i].free_flow_kmh;
    // An empty segment has no measured speed: show it at free flow.
    const speed = segments.vehicles[i] > 0 ? segments.speed_kmh[i] : free;
    const closed = segments.closed[i] === 1;
    const line = lines[i];
    line.setAttribute('stroke', speedColour(free > 0 ? speed / free : 1));
    line.classList.toggle('closed', closed);
    line.dataset.closed = closed;
    line.dataset.speedRatio = free > 0 ? (speed / free).toFixed(3) : '1';
    let samples = app.samples.get(i);
    if (!samples) app.samples.set(i, samples = []);
    if (!samples.length || samples[samples.length - 1][0] !== state.epoch_ms) samples.push([state.epoch_ms, segments.speed_kmh[i]]);
    if (samples.length > HISTORY_SAMPLES) samples.shift();
  }
  if (state.grid) {
    const dots = $('layer-buildings').children;
    // Thousands of buildings: touch only those whose supply changed.
    state.grid.building_supplied.forEach((supplied, i) => {
      if (!dots[i] || dots[i].dataset.supplied === String(supplied === 1)) return;
      dots[i].setAttribute('fill', supplied ? '#4c6ef5' : '#e03131');
      dots[i].dataset.supplied = supplied === 1;
    });
    const boxes = $('layer-nodes').children;
    let k = 0;
    state.grid.node_energized.forEach((energized, i) => {
      if (!app.points.nodes[i]) return;
      const box = boxes[k++];
      box.setAttribute('fill', energized ? '#fab005' : '#343a40');
      box.dataset.energized = energized === 1;
    });
  }
  if (app.selected) refreshSelected(false);
}

function applyStats(stats) {
  $('counter-rate').textContent = Number(stats.readings_per_second).toFixed(1);
  $('counter-logged').textContent = Number(stats.readings_logged || 0).toLocaleString();
  $('counter-lag').textContent = (Number(stats.lag_ms || 0) / 1000).toFixed(1) + ' s';
  $('counter-speed').textContent = Number(stats.simulated_speed).toFixed(1) + '×';
  $('counter-time').textContent = new Date(Number(stats.twin_time_ms)).toISOString().slice(11, 19) + ' UTC';
}

function connectEvents() {
  if (app.events) app.events.close();
  const url = '/api/events' + (app.token ? '?access_token=' + encodeURIComponent(app.token) : '');
  const events = new EventSource(url);
  app.events = events;
  events.addEventListener('state', (e) => applyState(JSON.parse(e.data)));
  events.addEventListener('stats', (e) => applyStats(JSON.parse(e.data)));
  events.onopen = () => { $('connection').className = 'online'; $('connection').textContent = 'live'; };
  events.onerror = () => { $('connection').className = 'offline'; $('connection').textContent = 'reconnecting'; };
}

// ---- one twin: its state and a history chart
function select(kind, id, index, element) {
  if (app.selected && app.selected.element) app.selected.element.classList.remove('selected');
  app.selected = { kind, id, index, element };
  element.classList.add('selected');
  showTab('twin');
  refreshSelected(true);
}

function formatValue(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (value && typeof value === 'object' && 'value' in value) return formatValue(value.value);
  return String(value);
}

function stateRows(twin) {
  const state = twin.road_segment || twin.building || twin.utility_node || {};
  const rows = [];
  for (const [key, value] of Object.entries(state)) {
    if (value !== null && typeof value === 'object' && !('value' in value)) continue;
    rows.push([key.replace(/_/g, ' '), formatValue(value), key]);
  }
  return rows;
}

async function refreshSelected(withHistory) {
  const sel = app.selected;
  if (!sel) return;
  const panel = $('twin-panel');
  try {
    const twin = await api(`/api/twins/${sel.kind}/${encodeURIComponent(sel.id)}`);
    if (app.selected !== sel) return;
    let history = sel.history;
    if (withHistory || !history) {
      const since = Date.now() - 6 * 3600 * 1000;
      history = sel.history = await api(`/api/twins/${sel.kind}/${encodeURIComponent(sel.id)}/history?start_ms=${since}&page_size=2000`);
    }
    const title = document.createElement('h2');
    title.textContent = `${sel.kind} ${twin.id}${twin.name ? ' — ' + twin.name : ''}`;
    const table = document.createElement('table');
    table.id = 'twin-state';
    for (const [label, value, key] of stateRows(twin)) {
      const row = table.insertRow();
      row.insertCell().textContent = label;
      const cell = row.insertCell();
      cell.textContent = value;
      cell.className = 'num';
      if (key === 'status') { cell.dataset.field = 'status'; if (value.includes('CLOSED')) cell.classList.add('status-closed'); }
    }
    const chartTitle = document.createElement('h3');
    const chart = historyChart(sel, history);
    chartTitle.textContent = chart.title;
    panel.replaceChildren(title, table, chartTitle, chart.element);
  } catch (e) {
    panel.textContent = e.message;
  }
}

// Stored readings of the twin (speeds, meter power, SCADA voltage) and, for a segment, its speed since the page opened.
function historyChart(sel, history) {
  const stored = [];
  for (const entry of (history && history.entries) || []) {
    const r = entry.reading || {};
    const t = Number(entry.time_ms);
    if (r.traffic_detector && r.traffic_detector.vehicle_count) stored.push([t, r.traffic_detector.mean_speed_kmh]);
    else if (r.meter) stored.push([t, r.meter.active_power_kw]);
    else if (r.scada && r.scada.voltage_pu) stored.push([t, r.scada.voltage_pu]);
  }
  const live = sel.kind === 'segment' ? (app.samples.get(sel.index) || []) : [];
  const unit = sel.kind === 'segment' ? 'speed km/h' : sel.kind === 'building' ? 'meter kW' : 'voltage p.u.';
  const title = `${unit}: ${live.length} live samples (line), ${stored.length} stored readings (dots)`;
  const width = 400, height = 160, pad = 28;
  const element = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none' });
  const all = live.concat(stored);
  if (!all.length) {
    element.appendChild(svg('text', { x: 10, y: 20, class: 'axis' })).textContent = 'no samples yet';
    return { element, title };
  }
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]));
  const v0 = Math.min(0, ...all.map((p) => p[1])), v1 = Math.max(1e-9, ...all.map((p) => p[1]));
  const X = (t) => pad + (width - 2 * pad) * (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5);
  const Y = (v) => height - pad + (2 * pad - height) * (v - v0) / (v1 - v0);
  element.appendChild(svg('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: '#ced4da' }));
  element.appendChild(svg('line', { x1: pad, y1: pad, x2: pad, y2: height - pad, stroke: '#ced4da' }));
  element.appendChild(svg('text', { x: 2, y: pad, class: 'axis' })).textContent = v1.toFixed(1);
  element.appendChild(svg('text', { x: 2, y: height - pad, class: 'axis' })).textContent = v0.toFixed(1);
  const clock = (t) => new Date(t).toISOString().slice(11, 19);
  element.appendChild(svg('text', { x: pad, y: height - 8, class: 'axis' })).textContent = clock(t0);
  element.appendChild(svg('text', { x: width - pad - 50, y: height - 8, class: 'axis' })).textContent = clock(t1);
  if (live.length) {
    element.appendChild(svg('polyline', {
      points: live.map((p) => `${X(p[0])},${Y(p[1])}`).join(' '), fill: 'none', stroke: '#1971c2', 'stroke-width': 1.5,
    }));
  }
  for (const p of stored) element.appendChild(svg('circle', { cx: X(p[0]), cy: Y(p[1]), r: 2.5, fill: '#e8590c' }));
  return { element, title };
}

// ---- scenarios
function showTab(name) {
  $('twin-panel').hidden = name !== 'twin';
  $('scenario-panel').hidden = name !== 'scenarios';
  $('tab-twin').classList.toggle('active', name === 'twin');
  $('tab-scenarios').classList.toggle('active', name === 'scenarios');
}

async function loadExamples() {
  const select = $('scenario-select');
  const examples = await api('/api/scenarios/examples');
  select.replaceChildren();
  for (const e of examples) {
    const option = document.createElement('option');
    option.value = e.file;
    option.textContent = e.name ? `${e.name} (${e.file})` : `${e.file}: ${e.error}`;
    select.appendChild(option);
  }
}

async function runScenario() {
  const status = $('scenario-status'), progress = $('scenario-progress');
  const file = $('scenario-file').files[0];
  let body;
  try {
    body = file ? await file.text() : JSON.stringify({ example: $('scenario-select').value });
  } catch (e) {
    status.textContent = 'cannot read the file: ' + e.message;
    return;
  }
  $('run-scenario').disabled = true;
  progress.textContent = '';
  $('scenario-result').replaceChildren();
  try {
    const started = await api('/api/scenarios/runs', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    status.textContent = `run ${started.id}: running…`;
    const began = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 400));
      const run = await api(started.status);
      progress.textContent = run.progress.join('\n');
      progress.scrollTop = progress.scrollHeight;
      if (run.state === 'running') { status.textContent = `run ${run.id}: running… ${((Date.now() - began) / 1000).toFixed(0)} s`; continue; }
      if (run.state === 'failed') { status.textContent = `run ${run.id} failed: ${run.error}`; break; }
      status.textContent = `run ${run.id}: done in ${run.wall_seconds.toFixed(1)} s`;
      showReport(run.report);
      break;
    }
  } catch (e) {
    status.textContent = e.message;
  } finally {
    $('run-scenario').disabled = false;
  }
}

// One KPI row per figure, one column per branch; a variant's cell is green when it beats the baseline.
const LOWER_IS_BETTER = /delay|trip_time|hours_travelled|en_route|unserved|without_power|over_capacity|unroutable|dark/;

function kpiValue(value) {
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.length;
  if (value && typeof value.count === 'number') return value.count;
  return null;
}

function showReport(report) {
  const result = $('scenario-result');
  const heading = document.createElement('h3');
  heading.textContent = `${report.scenario.name} — ${report.city.name}`;
  const table = document.createElement('table');
  table.id = 'kpi-table';
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement('th')).textContent = 'KPI';
  for (const b of report.branches) {
    const th = head.appendChild(document.createElement('th'));
    th.textContent = b.name;
    th.className = 'num';
  }
  const keys = [];
  for (const b of report.branches) for (const k of Object.keys(b.kpi)) if (!keys.includes(k) && kpiValue(b.kpi[k]) !== null) keys.push(k);
  const body = table.createTBody();
  for (const key of keys) {
    const row = body.insertRow();
    row.dataset.kpi = key;
    row.insertCell().textContent = key.replace(/_/g, ' ');
    const base = kpiValue(report.branches[0].kpi[key]);
    report.branches.forEach((b, i) => {
      const value = kpiValue(b.kpi[key]);
      const cell = row.insertCell();
      cell.className = 'num';
      cell.textContent = value === null ? '' : formatValue(value);
      if (i > 0 && value !== null && base !== null && value !== base && LOWER_IS_BETTER.test(key))
        cell.classList.add(value < base ? 'better' : 'worse');
    });
  }
  result.replaceChildren(heading, table);
  if (report.branches[0].kpi.emergency) result.appendChild(responseBars(report));
  if (app.city && report.city.name === app.city.name) {
    const pick = document.createElement('select');
    pick.id = 'change-branch';
    pick.appendChild(new Option('map: no change overlay', ''));
    report.branches.slice(1).forEach((b, i) => pick.appendChild(new Option('map: change in flow, ' + b.name, String(i + 1))));
    pick.onchange = () => showChange(pick.value ? report.branches[Number(pick.value)] : null);
    result.appendChild(pick);
  }
}

// Emergency plans: per incident, one bar per branch, as long as its response time.
function responseBars(report) {
  const box = document.createElement('div');
  box.id = 'response-bars';
  const title = box.appendChild(document.createElement('h4'));
  const coverage = report.branches.map(b => `${b.name} ${(100 * b.kpi.emergency.coverage_share).toFixed(1)} %`).join(', ');
  title.textContent = `Response times (covered within ${report.branches[0].kpi.emergency.coverage_limit_s / 60} min: ${coverage})`;
  let longest = 1;
  for (const b of report.branches)
    for (const i of b.kpi.emergency.incidents) if (i.response_time_s) longest = Math.max(longest, i.response_time_s);
  report.branches[0].kpi.emergency.incidents.forEach((incident, k) => {
    const group = box.appendChild(document.createElement('div'));
    group.className = 'incident';
    group.appendChild(document.createElement('span')).textContent = `${incident.incident} (${incident.kind})`;
    for (const b of report.branches) {
      const r = b.kpi.emergency.incidents[k];
      const line = group.appendChild(document.createElement('div'));
      line.className = 'bar-line';
      const bar = line.appendChild(document.createElement('div'));
      bar.className = 'bar';
      bar.style.width = r.response_time_s ? `${(60 * r.response_time_s) / longest}%` : '0';
      line.appendChild(document.createElement('span')).textContent =
        r.response_time_s ? `${b.name}: ${Math.round(r.response_time_s)} s from ${r.station}` : `${b.name}: no unit arrived`;
    }
  });
  return box;
}

// Every segment whose flow a variant changed, over the live map: blue gains flow, purple loses it.
// The report's flow_change is [segment index, change], in the city's segment order.
function showChange(branch) {
  app.change = [];
  for (const [index, change] of (branch && branch.flow_change) || []) {
    if (index < app.city.segments.length) app.change.push([index, change]);
  }
  layoutChange();
}

function layoutChange() {
  const layer = $('layer-change');
  layer.replaceChildren();
  if (!app.change || !app.points) return;
  const biggest = Math.max(1, ...app.change.map((c) => Math.abs(c[1])));
  for (const [index, change] of app.change) {
    const [a, b] = app.points.segments[index];
    const line = svg('line', {
      class: 'change', x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: change > 0 ? '#1971c2' : '#9c36b5',
      'stroke-width': 3 + 9 * Math.abs(change) / biggest,
    });
    layer.appendChild(line);
  }
}

// ---- start
async function start() {
  showError('');
  try {
    drawCity(await api('/api/city'));
    applyState(await api('/api/state'));
    connectEvents();
    await loadExamples();
  } catch (e) {
    showError(e.message + (/401|token/.test(e.message) ? ' — enter a bearer token above' : ''));
  }
}

$('token').value = app.token;
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  app.token = $('token').value.trim();
  localStorage.setItem('citytwin-token', app.token);
  start();
});
$('tab-twin').onclick = () => showTab('twin');
$('tab-scenarios').onclick = () => showTab('scenarios');
$('run-scenario').onclick = runScenario;
setUpPanZoom();
start();
