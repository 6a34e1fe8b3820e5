// lib.mjs - what the browser tests share: start the node under test (the real micros with
// webui=True on free loopback ports, or tests/browser/fake_node.py), start Debian's chromium
// through playwright-core, and keep screenshots as artifacts.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
export const ARTIFACTS = process.env.MICROS_ARTIFACTS || path.join(root, 'build-test', 'browser-artifacts');
export const CHROMIUM = process.env.MICROS_CHROMIUM || '/usr/bin/chromium';
export const PASSWORD = 'ADmin123';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, ms) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(what + ' did not happen within ' + ms + ' ms' + (last ? ': ' + last.message : ''));
}

/* GET /rest answered with JSON {"result": ..., "state": true}? */
export async function restAnswers(base) {
  try {
    const r = await fetch(base + '/rest', {signal: AbortSignal.timeout(1500)});
    const j = await r.json();
    return r.status === 200 && j.state === true && typeof j.result === 'object';
  } catch (e) {
    return false;
  }
}

/* Does the micros binary contain an HTTP server? Its server handles x-micros-auth. */
function binaryServesHttp(bin) {
  return fs.readFileSync(bin).includes(Buffer.from('x-micros-auth'));
}

class Proc {
  constructor(cmd, args, logName) {
    fs.mkdirSync(ARTIFACTS, {recursive: true});
    this.logPath = path.join(ARTIFACTS, logName);
    this.log = fs.openSync(this.logPath, 'w');
    this.child = spawn(cmd, args, {stdio: ['ignore', this.log, this.log]});
    this.exited = null;
    this.child.on('exit', (code, sig) => { this.exited = sig || code; });
  }
  output() {
    return fs.readFileSync(this.logPath, 'utf8');
  }
  async stop() {
    if (this.exited === null) {
      this.child.kill('SIGTERM');
      for (let i = 0; i < 100 && this.exited === null; i++) await sleep(50);
      if (this.exited === null) this.child.kill('SIGKILL');
    }
    fs.closeSync(this.log);
    const out = this.output();
    if (/ERROR: AddressSanitizer|runtime error:/.test(out)) throw new Error('sanitizer report:\n' + out);
  }
}

/* Starts the node the tests talk to; resolves to {mode, base, stop(), note}. config: the
 * node's config file (default {webui: true}); prepare(dataDir) may put files in its folder. */
export async function startTarget(config, prepare) {
  const bin = process.env.MICROS && path.resolve(process.env.MICROS);
  let mode = process.env.MICROS_BROWSER_TARGET || '';
  let note = '';
  if (!mode) {
    if (bin && fs.existsSync(bin) && binaryServesHttp(bin)) {
      mode = 'real';
    } else {
      mode = 'fake';
      note = 'this micros has no HTTP server yet (no x-micros-auth handling in ' + (bin || 'MICROS unset') +
        '): testing the web UI against tests/browser/fake_node.py [MICROS_BROWSER_TARGET=fake]';
    }
  }
  if (mode === 'real') {
    if (!bin) throw new Error('MICROS is not set');
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'micros-ui-'));
    fs.mkdirSync(path.join(data, 'config'));
    fs.writeFileSync(path.join(data, 'config', 'node_config.json'),
      JSON.stringify(config || {webui: true}));
    if (prepare) prepare(data);
    const port = await freePort();
    const webport = await freePort();
    const p = new Proc(bin, ['--data', data, '--port', String(port), '--webport', String(webport),
      '--bind', '127.0.0.1'], 'micros.log');
    const base = 'http://127.0.0.1:' + webport;
    try {
      await waitFor('micros answering GET /rest on its webport', async () => {
        if (p.exited !== null) throw new Error('micros exited with ' + p.exited + ':\n' + p.output());
        return restAnswers(base);
      }, 15000);
    } catch (e) {
      await p.stop().catch(() => {});
      throw new Error(e.message + '\n--- micros log ---\n' + p.output());
    }
    return {mode, base, note, dataDir: data, stop: async () => {
      await p.stop();
      fs.rmSync(data, {recursive: true, force: true});
    }};
  }
  if (mode !== 'fake') throw new Error('MICROS_BROWSER_TARGET must be real or fake, not ' + mode);
  const port = await freePort();
  const p = new Proc('python3', [path.join(here, 'fake_node.py'), '--port', String(port),
    '--web', path.join(root, 'web')], 'fake_node.log');
  const base = 'http://127.0.0.1:' + port;
  await waitFor('fake_node.py answering', async () => {
    if (p.exited !== null) throw new Error('fake_node.py exited:\n' + p.output());
    return restAnswers(base);
  }, 10000);
  return {mode, base, note, stop: () => p.stop()};
}

/* Starts headless chromium with a fresh profile; resolves to {context} or {skip: reason}. */
export async function startBrowser() {
  const deps = path.resolve(process.env.MICROS_BROWSER_DEPS || here);
  const require = createRequire(path.join(deps, 'package.json'));
  const {chromium} = require('playwright-core');
  if (!fs.existsSync(CHROMIUM)) return {skip: 'chromium cannot start: ' + CHROMIUM + ' is not installed'};
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'micros-chromium-'));
  try {
    // launchPersistentContext passes the fresh profile as --user-data-dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: {width: 1280, height: 860},
      timeout: 60000,
    });
    return {context, close: async () => {
      await context.close();
      fs.rmSync(profile, {recursive: true, force: true});
    }};
  } catch (e) {
    fs.rmSync(profile, {recursive: true, force: true});
    return {skip: 'chromium cannot start: ' + String(e.message).split('\n')[0]};
  }
}

/* Saves a full-page screenshot at desktop and phone width into ARTIFACTS; returns the paths. */
export async function screenshots(page, name) {
  fs.mkdirSync(ARTIFACTS, {recursive: true});
  const out = [];
  const size = page.viewportSize();
  for (const [tag, vp] of [['desktop', {width: 1280, height: 860}], ['phone', {width: 390, height: 844}]]) {
    await page.setViewportSize(vp);
    await page.evaluate(() => window.scrollTo(0, 0));
    await sleep(300); // let the layout and canvases settle at the new width
    const file = path.join(ARTIFACTS, name + '-' + tag + '.png');
    await page.screenshot({path: file, fullPage: true});
    out.push(file);
  }
  await page.setViewportSize(size);
  return out;
}
