// test_lua_files_dashboard.test.mjs - issue 15's "done when" in a real browser, with nothing
// but the web UI, from a node with the default config (file server off, mounts read-only): a
// person starts the file server on the Files page, makes the mounts writable on the Config page
// (the Files page links there), drops LM_hello.lua into $modules, follows the page's link to
// the dashboard, and calls the module's `greet` function from its card (and its BUTTON
// widget); a second upload with changed code (through the page's file input) is live on the
// next call; a module named like a reserved command is refused with the reason shown.
import {after, afterEach, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {PASSWORD, screenshots, startBrowser, startTarget} from './lib.mjs';

const browser = await startBrowser();
if (browser.skip) console.log('skipped: ' + browser.skip);
const skip = browser.skip || (process.env.MICROS_BROWSER_TARGET === 'fake' ? 'needs a real micros' : false);

const HELLO = `local M = {}
function M.greet(name) return "hi " .. name end
function M.world() return "round" end
M.__help = {"BUTTON world"}
return M
`;

describe('a Lua module from the Files page to the dashboard', {skip}, () => {
  let target;
  let page;
  const pageErrors = [];

  before(async () => {
    target = await startTarget({webui: true});
    assert.equal(target.mode, 'real', 'the Files page needs a real micros');
    page = await browser.context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterEach(() => assert.deepEqual(pageErrors.splice(0), []));

  after(async () => {
    if (browser.close) await browser.close();
    if (target) await target.stop();
  });

  const url = (p) => target.base + p;
  const modFile = () => path.join(target.dataDir, 'modules', 'LM_hello.lua');

  async function rest(p) {
    const r = await fetch(url('/rest/' + p));
    assert.equal(r.status, 200, 'GET /rest/' + p);
    return r.json();
  }

  /* Drops files (name -> text) onto the drop zone, as a person's drag and drop does. */
  async function drop(files) {
    const dt = await page.evaluateHandle((list) => {
      const d = new DataTransfer();
      for (const [name, body] of list) d.items.add(new File([body], name, {type: 'text/plain'}));
      return d;
    }, Object.entries(files));
    await page.dispatchEvent('#drop', 'dragenter', {dataTransfer: dt});
    await page.dispatchEvent('#drop', 'dragover', {dataTransfer: dt});
    await page.dispatchEvent('#drop', 'drop', {dataTransfer: dt});
  }

  async function openModules() {
    await page.goto(url('/files.html'));
    await page.locator('#folder option[value="$modules"]').waitFor({state: 'attached'});
    await page.selectOption('#folder', '$modules');
    await page.locator('#mode', {hasText: 'read-write'}).waitFor();
    await page.locator('#drop').waitFor({state: 'visible'});
  }

  const card = () => page.locator('section.card[data-module="hello"]');
  const greetRow = () => card().locator('.fn[data-fn="greet"]');

  /* Registered only when CMake found lua5.4; a micros without Lua cannot run the module. */
  async function needLua(t) {
    if ((await rest('lua/available')).result) return true;
    t.skip('this micros is built without Lua (MICROS_LUA off)');
    return false;
  }

  test('drop LM_hello.lua into $modules, open the dashboard from the page, run greet', async (t) => {
    if (!await needLua(t)) return;
    const bare = await rest('hello');
    assert.equal(bare.state, false, 'before: /rest/hello is micrOS hint');
    // the file server is off by default: the page's button starts it
    await page.goto(url('/files.html'));
    await page.locator('#off:not(.hidden)').waitFor();
    await page.click('#start-fs');
    await page.locator('#folder option[value="$modules"]').waitFor({state: 'attached'});
    // $modules is read-only by default: the page says where to change that
    await page.selectOption('#folder', '$modules');
    await page.locator('#mode', {hasText: 'read-only'}).waitFor();
    assert.equal(await page.locator('#drop').isHidden(), true);
    await page.click('#mounts-config');
    await page.waitForURL(/\/config\.html#key-fs_mounts_rw$/);
    await page.fill('#pwd', PASSWORD);
    await page.press('#pwd', 'Enter');
    await page.locator('#cfg-card:not(.hidden)').waitFor();
    await page.locator('.kv-row.linked[data-key="fs_mounts_rw"]').waitFor({state: 'attached'});
    assert.equal(await page.isChecked('#key-fs_mounts_rw'), false);
    await page.locator('label.switch:has(#key-fs_mounts_rw)').click();
    await page.click('#save');
    await page.locator('#cfg-msg.ok').waitFor();
    await openModules();
    await drop({'LM_hello.lua': HELLO});
    const box = page.locator('.upload.done[data-name="LM_hello.lua"]');
    await box.waitFor();
    assert.equal(fs.readFileSync(modFile(), 'utf8'), HELLO);
    await page.locator('#list tr[data-name="LM_hello.lua"]').waitFor();
    const note = box.locator('.lm[data-state="ok"]');
    await note.waitFor();
    assert.match(await note.textContent(), /hello is ready/);
    await screenshots(page, 'files-lua-module');

    // the person follows the link: the dashboard loads the module and shows its card
    await note.locator('a.open-dash').click();
    await page.waitForURL(/\/dashboard\.html\?load=hello$/);
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    await card().waitFor();
    assert.ok((await rest('modules')).result.includes('hello'), 'hello is loaded now');
    // every function has a row; greet has a field for its parameter
    await greetRow().waitFor();
    assert.equal(await card().locator('.fn[data-fn="world"]').count(), 1);
    await greetRow().locator('input[name="name"]').fill('you');
    await greetRow().locator('button.run').click();
    await greetRow().locator('.result[data-state="ok"]').waitFor();
    assert.equal(await greetRow().locator('.result').textContent(), '→ hi you');
    // the BUTTON widget the module declares
    const button = card().locator('.widget[data-type="button"] button');
    assert.equal(await button.count(), 1);
    await button.click();
    await card().locator('.widget[data-type="button"] .result[data-state="ok"]').waitFor();
    assert.equal(await card().locator('.widget[data-type="button"] .result').textContent(), '→ round');
    await screenshots(page, 'dashboard-lua-hello');

    // micrOS's answers did not change: REST's bare hello is still the hint
    assert.deepEqual(await rest('hello'), bare);
    assert.deepEqual(await rest('hello/greet/x'), {result: 'hi x', state: true});
  });

  test('a changed LM_hello.lua uploaded through the file input is live on the next call', async (t) => {
    if (!await needLua(t)) return;
    await openModules();
    await page.setInputFiles('#pick', {name: 'LM_hello.lua', mimeType: 'text/plain',
      buffer: Buffer.from(HELLO.replace('"hi "', '"hey "'))});
    await page.locator('.upload.done[data-name="LM_hello.lua"] .lm[data-state="ok"]').waitFor();
    assert.match(fs.readFileSync(modFile(), 'utf8'), /"hey "/);
    // a plain visit to the dashboard (no ?load): hello is loaded, its card is there
    await page.goto(url('/dashboard.html'));
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    // a module with widgets keeps its function list folded: the person opens it
    assert.equal(await greetRow().isVisible(), false);
    await card().locator('details.fns summary').click();
    await greetRow().locator('input[name="name"]').fill('there you');
    await greetRow().locator('input[name="name"]').press('Enter');
    await greetRow().locator('.result[data-state="ok"]').waitFor();
    assert.equal(await greetRow().locator('.result').textContent(), '→ hey there you');
  });

  test('a module named like a reserved command: the Files page says why', async (t) => {
    if (!await needLua(t)) return;
    await openModules();
    await drop({'LM_task.lua': HELLO});
    const note = page.locator('.upload.done[data-name="LM_task.lua"] .lm[data-state="error"]');
    await note.waitFor();
    assert.match(await note.textContent(), /LM_task\.lua ignored: 'task' is the executor's task command/);
  });

  test('dropped into the public folder, the page offers to put it into $modules', async (t) => {
    if (!await needLua(t)) return;
    fs.rmSync(modFile(), {force: true});
    await page.goto(url('/files.html'));
    await page.locator('#folder option[value="/user_data"]').waitFor({state: 'attached'});
    await page.locator('#drop').waitFor({state: 'visible'});
    await drop({'LM_hello.lua': HELLO});
    const put = page.locator('.upload.done[data-name="LM_hello.lua"][data-folder="/user_data"] button.put-modules');
    await put.waitFor();
    await put.click();
    await page.locator('.upload.done[data-name="LM_hello.lua"][data-folder="$modules"] .lm[data-state="ok"]').waitFor();
    assert.equal(fs.readFileSync(modFile(), 'utf8'), HELLO);
  });
});
