// test_files.test.mjs - the file server in a real browser (headless Debian chromium via
// playwright-core) against a real micros with fileserver=True: the built-in Files page (drag
// and drop with a progress bar, download, delete, disk usage) and a micrOS-style filesui page
// (tests/browser/filesui/, written from COMPAT Part C.2) served at /fs.
import {after, afterEach, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {screenshots, startBrowser, startTarget} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const browser = await startBrowser();
if (browser.skip) console.log('skipped: ' + browser.skip);
const skip = browser.skip || (process.env.MICROS_BROWSER_TARGET === 'fake' ? 'needs a real micros' : false);

describe('files', {skip}, () => {
  let target;
  let page;
  const pageErrors = [];

  before(async () => {
    target = await startTarget({webui: true, fileserver: true});
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
  const pub = () => path.join(target.dataDir, 'web', 'user_data');

  /* Drops files (name -> text or size in bytes) onto the drop zone, as a person would. */
  async function drop(files) {
    const dt = await page.evaluateHandle((list) => {
      const d = new DataTransfer();
      for (const [name, body] of list)
        d.items.add(new File([typeof body === 'number' ? new Uint8Array(body).fill(65) : body], name));
      return d;
    }, Object.entries(files));
    await page.dispatchEvent('#drop', 'dragenter', {dataTransfer: dt});
    await page.dispatchEvent('#drop', 'drop', {dataTransfer: dt});
  }

  test('Files page: drop to upload with progress, list, download, delete, usage', async () => {
    await page.goto(url('/files.html'));
    await page.locator('#folder option[value="/user_data"]').waitFor({state: 'attached'});
    await page.locator('#usage', {hasText: /used, .* free/}).waitFor();
    await drop({'LM_hello.lua': 'function hello() return "hi" end\n', 'big.bin': 3 << 20});
    await page.locator('.upload.done[data-name="big.bin"]').waitFor();
    await page.locator('.upload.done[data-name="LM_hello.lua"]').waitFor();
    assert.equal(await page.locator('.upload[data-name="big.bin"] .bar').evaluate((b) => b.style.width), '100%');
    await page.locator('#list tr[data-name="big.bin"]').waitFor();
    assert.equal(fs.statSync(path.join(pub(), 'big.bin')).size, 3 << 20);
    assert.equal(fs.readFileSync(path.join(pub(), 'LM_hello.lua'), 'utf8'), 'function hello() return "hi" end\n');
    await screenshots(page, 'files');

    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click('#list tr[data-name="LM_hello.lua"] a.dl')]);
    assert.equal(dl.suggestedFilename(), 'LM_hello.lua');
    assert.equal(fs.readFileSync(await dl.path(), 'utf8'), 'function hello() return "hi" end\n');

    page.once('dialog', (d) => d.accept());
    await page.click('#list tr[data-name="big.bin"] button.danger');
    await page.locator('#list tr[data-name="big.bin"]').waitFor({state: 'detached'});
    assert.equal(fs.existsSync(path.join(pub(), 'big.bin')), false);

    // a read-only mount: listed, no drop zone, no delete buttons
    await page.selectOption('#folder', '$logs');
    await page.locator('#mode', {hasText: 'read-only'}).waitFor();
    assert.equal(await page.locator('#drop').isHidden(), true);
    await page.locator('#list tr[data-name$=".sys.log"]').first().waitFor();
    assert.equal(await page.locator('#list button.danger').count(), 0);
  });

  test('a micrOS-style filesui.html in web/ is served at /fs and works', async () => {
    for (const f of ['filesui.html', 'filesui.js'])
      fs.copyFileSync(path.join(here, 'filesui', f), path.join(target.dataDir, 'web', f));
    await page.goto(url('/fs'));
    await page.locator('#dir option[value="/user_data"]').waitFor({state: 'attached'});
    await page.setInputFiles('#up', [
      {name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('first')},
      {name: 'b.txt', mimeType: 'text/plain', buffer: Buffer.from('second')}]);
    await page.click('#send');
    await page.locator('#status', {hasText: 'upload: ok'}).waitFor();
    await page.locator('#files li', {hasText: '/user_data/b.txt 6'}).waitFor();
    assert.equal(fs.readFileSync(path.join(pub(), 'a.txt'), 'utf8'), 'first');
    await page.locator('#usage', {hasText: /used \d+ free \d+/}).waitFor();
    await page.locator('#files li', {hasText: '/user_data/a.txt'}).locator('button').click();
    await page.locator('#status', {hasText: 'delete: ok'}).waitFor();
    await page.locator('#files li', {hasText: '/user_data/a.txt'}).waitFor({state: 'detached'});
    assert.equal(fs.existsSync(path.join(pub(), 'a.txt')), false);
    const r = await fetch(url('/user_data/b.txt'));
    assert.equal(await r.text(), 'second');
  });
});
