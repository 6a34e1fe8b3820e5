// test_webui.test.mjs - the web UI in a real browser (headless Debian chromium via
// playwright-core) against a real micros with webui=True: the home page and its command box,
// the dashboard generated from widget JSON, the config page with auth, save and reboot.
// Screenshots of every page (desktop and phone width) go to build-test/browser-artifacts/.
import {after, afterEach, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {PASSWORD, screenshots, startBrowser, startTarget} from './lib.mjs';

const browser = await startBrowser();
if (browser.skip) console.log('skipped: ' + browser.skip);
const skip = browser.skip || false;

describe('web UI', {skip}, () => {
  let target;
  let page;
  const pageErrors = [];

  before(async () => {
    target = await startTarget();
    console.log('# target: ' + target.mode + ' ' + target.base + (target.note ? '\n# NOTE: ' + target.note : ''));
    page = await browser.context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterEach(() => {
    // No script error on any page.
    assert.deepEqual(pageErrors.splice(0), []);
  });

  after(async () => {
    if (browser.close) await browser.close();
    if (target) await target.stop();
  });

  const url = (p) => target.base + p;

  /* GET /config with the password, from the test (not the page): the node's own state. */
  async function nodeConfig() {
    const r = await fetch(url('/config'), {headers: {'x-micros-auth': PASSWORD}});
    assert.equal(r.status, 200);
    const j = await r.json();
    return j && typeof j.result === 'object' && 'state' in j ? j.result : j;
  }

  async function rest(p) {
    const r = await fetch(url('/rest/' + p));
    return r.json();
  }

  test('home page shows the node and runs a command from the box', async () => {
    await page.goto(url('/'));
    const info = await rest('');
    await page.locator('#node-name', {hasText: info.result.node}).waitFor();
    await page.locator('#info dd[data-key="version"]', {hasText: info.result.micrOS}).waitFor();
    await page.locator('#info dd[data-key="uptime"]').waitFor();
    // The list shows the loaded modules (the page's own `system info` loaded system).
    await page.locator('#modules button', {hasText: 'system'}).waitFor();

    await page.fill('#cmd', 'system info');
    await page.press('#cmd', 'Enter');
    await page.locator('#cmd-out[data-state="ok"]').waitFor();
    const out = await page.textContent('#cmd-out');
    assert.match(out, /"uptime"/);
    assert.match(out, /"CPU load \[%\]"/);
    assert.equal(await page.textContent('#cmd-url'), 'GET /rest/system/info');

    // An error keeps the REST contract: state false and the Core error text, shown as an error.
    await page.fill('#cmd', 'nosuchmodule fn');
    await page.click('#run');
    await page.locator('#cmd-out[data-state="error"]').waitFor();
    assert.match(await page.textContent('#cmd-out'), /Core error/);

    // The history keeps both, newest first; clicking one runs it again.
    const items = page.locator('#history li button');
    assert.deepEqual(await items.allTextContents(), ['nosuchmodule fn', 'system info']);
    await items.nth(1).click();
    await page.locator('#cmd-out[data-state="ok"]').waitFor();
    await screenshots(page, 'index');
  });

  test('dashboard renders every declared widget and the system graph draws', async () => {
    await rest('system/top'); // modules load on first use: make sure system is loaded
    await page.goto(url('/dashboard.html'));
    await page.locator('#dash-status[data-ready="1"]').waitFor();

    // Every widget each module declares (help/True) is on the page, in order.
    const mods = (await rest('modules')).result;
    const expected = [];
    for (const m of mods.filter((x) => x !== 'task')) {
      const h = await rest(m + '/help/True');
      if (!h.state || !Array.isArray(h.result)) continue;
      const ws = h.result.map((s) => JSON.parse(s)).filter((w) => w.type);
      for (const w of ws.filter((x) => x.type !== 'status')) expected.push(m + ':' + w.callback);
      for (const w of ws.filter((x) => x.type === 'status')) expected.push(m + ':' + w.callback);
    }
    const shown = await page.$$eval('.widget[data-module]', (els) =>
      els.map((e) => e.dataset.module + ':' + e.dataset.callback));
    assert.deepEqual(shown, expected);
    assert.ok(expected.includes('system:top '), 'system declares its graph');
    assert.equal(await page.locator('.widget .muted', {hasText: 'unsupported'}).count(), 0);

    // The system graph polls `system top` and draws it: two samples, pixels on the canvas.
    const canvas = page.locator('.widget[data-module="system"][data-type="graph"] canvas');
    await page.waitForFunction((el) => Number(el.dataset.samples) >= 2, await canvas.elementHandle(),
      {timeout: 20000});
    const painted = await canvas.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 500, 'the graph drew lines (' + painted + ' pixels)');
    const legend = await page.textContent('.widget[data-module="system"] .legend');
    assert.match(legend, /CPU load \[%\]/);
    await screenshots(page, 'dashboard');
  });

  test('a dashboard input widget changes the node state', async (t) => {
    // Needs a module with a STATUS widget and a slider/colour/toggle (rgb and friends).
    await page.goto(url('/dashboard.html'));
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    const card = page.locator('section.card[data-module]').filter({
      has: page.locator('.widget[data-type="status"]'),
    }).filter({has: page.locator('.widget input[type="range"], .widget[data-type="toggle"]')}).first();
    if (await card.count() === 0) {
      t.skip('no loaded module has a status widget and an input widget yet');
      return;
    }
    const m = await card.getAttribute('data-module');
    const before = JSON.stringify((await rest(m + '/status')).result);
    const range = card.locator('.widget input[type="range"]').first();
    if (await range.count()) {
      const max = Number(await range.getAttribute('max'));
      const value = String(Math.round(max / 2 / 2) * 2 + 2);
      await range.evaluate((el, v) => {
        el.value = v;
        el.dispatchEvent(new Event('input', {bubbles: true}));
      }, value);
      await card.locator('.widget .result[data-state="ok"]').first().waitFor();
    } else {
      await card.locator('.widget[data-type="toggle"] .switch').first().click();
      await card.locator('.widget[data-type="toggle"] .result[data-state="ok"]').first().waitFor();
    }
    const afterState = JSON.stringify((await rest(m + '/status')).result);
    assert.notEqual(afterState, before, m + ' status changed after using its widget');
    // The page re-read the status (STATUS widget sync) after the action.
    await page.waitForFunction((el) => Number(el.dataset.synced) >= 2, await card.elementHandle());
  });

  test('a sudo function row asks for the password: wrong -> access denied, back-off, right -> runs', async (t) => {
    if (target.mode !== 'real') {
      t.skip('the fake node has no sudo functions');
      return;
    }
    // a log file `system alarms clean=True` deletes once the password is right
    const fsMod = await import('node:fs');
    const pathMod = await import('node:path');
    const logs = pathMod.join(target.dataDir, 'logs');
    fsMod.mkdirSync(logs, {recursive: true});
    const victim = pathMod.join(logs, 'sudoui.log');
    fsMod.writeFileSync(victim, 'x\n');
    const help = await rest('system/help');
    assert.deepEqual(help.sudo, {setclock: true, alarms: 'clean'}, 'help names the sudo functions');
    assert.ok(help.result.includes('alarms clean=False'), 'the help strings are micrOS\'s');

    await page.goto(url('/dashboard.html'));
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    const card = page.locator('section.card[data-module="system"]');
    await card.locator('details.fns summary').click();
    const row = card.locator('.fn[data-fn="alarms"]');
    const pwd = row.locator('input[type="password"][name="pwd"]');
    assert.equal(await pwd.getAttribute('autocomplete'), 'off');
    assert.equal(await row.getAttribute('data-sudo'), 'clean');
    assert.equal(await card.locator('.fn[data-fn="setclock"] input[type="password"]').count(), 1);
    // other functions are as before: no password field
    assert.equal(await card.locator('.fn[data-fn="info"] input[type="password"]').count(), 0);
    assert.equal(await card.locator('input[type="password"]').count(), 2);
    const result = row.locator('.result');

    // wrong password: the row says access denied, the log is still there
    await row.locator('input[name="clean"]').fill('True');
    await pwd.fill('not-' + PASSWORD);
    await row.locator('button.run').click();
    await row.locator('.result[data-state="denied"]').waitFor();
    assert.equal(await result.textContent(), 'Access denied: wrong password.');
    assert.ok(fsMod.existsSync(victim), 'a wrong password deleted nothing');

    // more wrong guesses from this address: the node's back-off window (429) is explained
    // (each wrong guess doubles the window: guess until the node says it is at least 1.5 s)
    for (let i = 0; i < 20; i++) {
      const r = await fetch(url('/rest/system/alarms/clean=True/pwd=%22nope%22'));
      const j = await r.json();
      if (r.status !== 429) continue;
      assert.ok(r.headers.get('retry-after'), '429 has retry-after');
      const ms = Number(/retry in (\d+) ms/.exec(j.result)[1]);
      if (ms >= 1500) break;
      await new Promise((res) => setTimeout(res, ms + 30));
    }
    await pwd.fill(PASSWORD);
    await row.locator('button.run').click();
    await row.locator('.result[data-state="backoff"]').waitFor();
    assert.match(await result.textContent(), /^Too many wrong passwords from this address: .* Try again after that\.$/);
    assert.ok(fsMod.existsSync(victim), 'refused inside the back-off window');
    const waitMs = Number(await result.getAttribute('data-retry-ms'));
    assert.ok(waitMs > 0, 'the page knows how long to wait');

    // after the window, the right password: the call runs and the log is gone
    await new Promise((r) => setTimeout(r, waitMs + 100));
    await row.locator('button.run').click();
    await row.locator('.result[data-state="ok"]').waitFor();
    assert.match(await result.textContent(), /OK alarm|NOK alarm/);
    assert.equal(fsMod.existsSync(victim), false, 'alarms clean=True deleted the log');
    assert.equal(await pwd.inputValue(), '', 'the password field is cleared after the call');
    // the password is in no storage, not in the address bar, not in the page's text
    const stored = await page.evaluate(() => JSON.stringify([Object.entries(localStorage),
      Object.entries(sessionStorage), location.href, document.body.innerText]));
    assert.equal(stored.includes(PASSWORD), false);
  });

  test('config page: password, change keys, see errors next to the key, reboot', async () => {
    await page.goto(url('/config.html'));
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.fill('#pwd', 'Wrong1234');
    await page.press('#pwd', 'Enter');
    await page.locator('#login-msg', {hasText: 'Wrong password'}).waitFor();

    await page.fill('#pwd', PASSWORD);
    await page.press('#pwd', 'Enter');
    await page.locator('#cfg-card:not(.hidden)').waitFor();
    const conf = await nodeConfig();
    for (const hidden of ['hwuid', 'socport', 'version', 'auth', 'soctout', 'guimeta']) {
      assert.equal(await page.locator('[data-key="' + hidden + '"]').count(), 0, hidden + ' hidden');
    }
    assert.ok(await page.locator('#key-devfid').count() === 1);
    assert.equal(await page.inputValue('#key-devfid'), conf.devfid);
    await screenshots(page, 'config');

    // Change an int and a bool; the page posts only those and the node keeps them.
    const utc = conf.utc === 120 ? 90 : 120;
    await page.fill('#key-utc', String(utc));
    await page.locator('label.switch:has(#key-dbg)').click();
    assert.equal(await page.isChecked('#key-dbg'), !conf.dbg);
    assert.equal(await page.textContent('#save'), 'Save 2 changes');
    await page.click('#save');
    await page.locator('#cfg-msg.ok').waitFor();
    const saved = await nodeConfig();
    assert.equal(saved.utc, utc);
    assert.equal(saved.dbg, !conf.dbg);
    assert.equal(await page.inputValue('#key-utc'), String(utc));

    // An empty device name is refused; the reason is shown next to devfid, nothing is saved.
    await page.fill('#key-devfid', '');
    await page.click('#save');
    await page.locator('#cfg-msg.err').waitFor();
    const why = await page.textContent('[data-error-for="devfid"]');
    assert.ok(why.length > 0, 'an error next to devfid');
    assert.equal((await nodeConfig()).devfid, conf.devfid);
    await screenshots(page, 'config-error');

    // Reboot: two clicks, then the page waits until the node answers again.
    await page.click('#revert');
    await page.click('#reboot');
    await page.click('#reboot');
    await page.waitForFunction(() => document.body.dataset.rebooted === '1', null, {timeout: 60000});
    await page.locator('#cfg-msg.ok', {hasText: 'back'}).waitFor();
    assert.equal((await nodeConfig()).utc, utc, 'the saved key survived the reboot');
  });

  test('a protected endpoint opened in the browser asks for the password (auth.js)', async () => {
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(url('/config'));
    await page.locator('#auth-form').waitFor();
    await page.fill('#auth-pwd', 'Wrong1234');
    await page.press('#auth-pwd', 'Enter');
    await page.locator('#auth-form .msg', {hasText: 'Wrong password'}).waitFor();
    await screenshots(page, 'auth-form');
    await page.fill('#auth-pwd', PASSWORD);
    await page.press('#auth-pwd', 'Enter');
    await page.locator('#auth-result').waitFor();
    const shown = JSON.parse(await page.textContent('#auth-result'));
    const conf = shown && typeof shown.result === 'object' && 'state' in shown ? shown.result : shown;
    assert.equal(conf.devfid, (await nodeConfig()).devfid);
    await screenshots(page, 'auth-result');
  });
});
