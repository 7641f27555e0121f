// End-to-end test of the dashboard in headless chromium: `citytwin serve --grid --http` on Sioux Falls with
// tokens; the page draws the city; a closure sent through gRPC (the Python client's Ingest) turns that
// segment's marking on; a click shows the twin; a scenario run from the page fills its KPI table.
// Screenshots go to BROWSER_TEST_DIR/screenshots. Exits non-zero on the first failed check.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const work = process.env.BROWSER_TEST_DIR;
const { chromium } = require(path.join(work, 'node_modules', 'playwright-core'));
const source = process.env.CITYTWIN_SOURCE_DIR;
const binary = process.env.CITYTWIN_BINARY;
const tokens = { feed: 'browser-feed-token-0123456789', planner: 'browser-planner-token-0123456789' };

function check(condition, message) {
  if (!condition) throw new Error('check failed: ' + message);
  console.log('ok: ' + message);
}

// Starts the server and resolves with its gRPC address and dashboard URL once both are listening.
function startServer(runDir) {
  fs.writeFileSync(path.join(runDir, 'tokens.json'), JSON.stringify({
    tokens: [
      { token: tokens.feed, identity: 'browser-test-feed', role: 'feed' },
      { token: tokens.planner, identity: 'browser-test-planner', role: 'planner' },
    ],
  }));
  const server = spawn(binary, [
    'serve', '--city', path.join(source, 'data/tntp/SiouxFalls'), '--grid', '--grid-step', '1m',
    '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--tokens', path.join(runDir, 'tokens.json'),
    '--data-dir', path.join(runDir, 'data'), '--time-scale', '30', '--demand-scale', '0.3', '--no-sync',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not start in 60 s:\n' + out)), 60000);
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${out}`)));
    server.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
      const grpc = out.match(/serving citytwin\.v1 on port (\d+)/), http = out.match(/dashboard on (http:\/\/\S+)/);
      if (grpc && http) {
        clearTimeout(timer);
        resolve({ server, grpc: '127.0.0.1:' + grpc[1], url: http[1] });
      }
    });
  });
}

async function main() {
  const runDir = path.join(work, 'dashboard-run');
  const shots = path.join(work, 'screenshots');
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  fs.mkdirSync(shots, { recursive: true });
  const { server, grpc, url } = await startServer(runDir);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    page.on('pageerror', (e) => console.log('page error: ' + e.message));
    await page.goto(url + '#token=' + tokens.planner);

    // The map: every segment, building and utility node of the city's own geometry.
    const city = await (await fetch(url + 'api/city', { headers: { Authorization: 'Bearer ' + tokens.planner } })).json();
    await page.waitForFunction((n) => document.querySelectorAll('line.segment').length === n, city.segments.length);
    check(true, `the map draws all ${city.segments.length} segments`);
    check(await page.locator('circle.building').count() === city.buildings.length && city.buildings.length > 0,
      `the map draws all ${city.buildings.length} buildings`);
    await page.waitForSelector('#connection.online', { timeout: 20000 });
    await page.waitForFunction(() => document.getElementById('counter-speed').textContent !== '–');
    check(true, 'the event stream is live and the counters show: ' + await page.locator('#counters').innerText());
    const segment = page.locator('line.segment[data-id="10-15"]');
    check(await segment.getAttribute('data-closed') === 'false', 'segment 10-15 starts open');

    // A closure through gRPC turns the segment's marking on.
    const sent = spawnSync('/usr/bin/python3', [path.join(__dirname, 'send_segment_event.py'), grpc, tokens.feed, '10-15', 'closed'], {
      env: Object.assign({}, process.env, { PYTHONPATH: path.join(source, 'clients/python') }), encoding: 'utf8',
    });
    check(sent.status === 0, 'the closure was accepted through gRPC Ingest ' + sent.stdout.trim() + sent.stderr);
    await page.waitForSelector('line.segment.closed[data-id="10-15"]', { timeout: 30000 });
    check(await page.locator('line.segment.closed').count() === 1, 'segment 10-15, and only it, is marked closed');
    await segment.dispatchEvent('click');
    await page.waitForSelector('#twin-state [data-field="status"]');
    const status = await page.locator('#twin-state [data-field="status"]').innerText();
    check(status.includes('CLOSED'), 'clicking it shows its state: status ' + status);
    await page.screenshot({ path: path.join(shots, 'dashboard-closure.png') });

    // A scenario from the page: pick the bundled bridge closure, run it, read the KPI table.
    await page.click('#tab-scenarios');
    await page.selectOption('#scenario-select', 'siouxfalls_bridge_closure.json');
    await page.click('#run-scenario');
    await page.waitForSelector('#kpi-table', { timeout: 240000 });
    const headers = await page.locator('#kpi-table thead th').allInnerTexts();
    check(JSON.stringify(headers.slice(1)) === JSON.stringify(['baseline', 'closed 10m-35m', 'closed all run']),
      'the KPI table has the baseline and both variants side by side: ' + headers.join(' | '));
    const completed = (await page.locator('#kpi-table tr[data-kpi="trips_completed"] td').allInnerTexts()).slice(1).map(Number);
    check(completed.length === 3 && completed.every((n) => n > 0), 'trips completed per branch: ' + completed.join(', '));
    const delay = (await page.locator('#kpi-table tr[data-kpi="total_delay_vehicle_hours"] td').allInnerTexts()).slice(1).map(Number);
    check(delay[2] > delay[0], `closing the link all run adds delay: ${delay[0]} -> ${delay[2]} veh-h`);
    await page.selectOption('#change-branch', '2');
    check(await page.locator('line.change').count() > 0, 'the change in flow is drawn on the map');
    await page.screenshot({ path: path.join(shots, 'dashboard-scenario.png') });
    // A small copy for the README (docs/images/dashboard.jpg is one of these).
    await page.screenshot({ path: path.join(shots, 'dashboard-scenario.jpg'), type: 'jpeg', quality: 70 });
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
  console.log('screenshots in ' + shots);
}

main().then(() => process.exit(0), (e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
