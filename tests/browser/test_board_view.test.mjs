// test_board_view.test.mjs - issue 18's "a person with no hardware sees, in the web UI, an OLED
// showing the text they sent": a real micros on the simulated bank, the dashboard open in
// chromium; text sent to the `oled` module over REST appears on the dashboard's OLED canvas
// (the lit pixels equal the simulated controller's framebuffer, checked on the canvas itself),
// and the board view follows pin levels and PWM duties set by commands.
import {after, afterEach, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {screenshots, startBrowser, startTarget} from './lib.mjs';

const browser = await startBrowser();
if (browser.skip) console.log('skipped: ' + browser.skip);

describe('dashboard shows the simulated OLED and pins', {skip: browser.skip || false}, () => {
  let target;
  let page;
  const pageErrors = [];

  before(async () => {
    target = await startTarget();
    page = await browser.context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterEach(() => assert.deepEqual(pageErrors.splice(0), []));

  after(async () => {
    if (browser.close) await browser.close();
    if (target) await target.stop();
  });

  async function rest(p) {
    const r = await fetch(target.base + '/rest/' + p);
    assert.equal(r.status, 200, 'GET /rest/' + p);
    const j = await r.json();
    assert.equal(j.state, true, p + ': ' + JSON.stringify(j));
    return j.result;
  }

  /* Lit pixels of a framebuffer in hex (8 pages x 128 columns, one bit per pixel). */
  const litOf = (hex) => Buffer.from(hex, 'hex').reduce((n, b) => {
    for (let k = 0; k < 8; k++) n += (b >> k) & 1;
    return n;
  }, 0);

  test('text sent to the OLED shows on the dashboard canvas', async function () {
    if (target.mode !== 'real') return this.skip('needs the real node (simulated I2C bus)');
    await page.goto(target.base + '/dashboard.html');
    const canvas = page.locator('#sim-board canvas.oled[data-addr="0x3c"]');
    await canvas.waitFor();
    await page.waitForFunction(() => document.querySelector('canvas.oled[data-addr="0x3c"]').dataset.lit === '0');
    await rest('oled/clean');
    await rest("oled/text/'Hello, board'/0/0");
    await rest("oled/text/micrOS-C/24/30");
    await rest('oled/show');
    const fb = (await rest('sim/display/0x3c')).fb;
    const lit = litOf(fb);
    assert.ok(lit > 150, 'the text lights pixels: ' + lit);
    await page.waitForFunction((n) => document.querySelector('canvas.oled[data-addr="0x3c"]').dataset.lit === String(n), lit);
    // Pixel by pixel on the canvas: the centre of each 3x3 cell is lit exactly where the
    // controller's framebuffer has a bit set.
    const bits = Buffer.from(fb, 'hex');
    const want = [];
    for (let y = 0; y < 64; y++) for (let x = 0; x < 128; x++) want.push((bits[(y >> 3) * 128 + x] >> (y & 7)) & 1);
    const got = await canvas.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const out = [];
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 128; x++) {
          const i = ((y * 3 + 1) * c.width + (x * 3 + 1)) * 4;
          out.push(d[i + 2] > 128 ? 1 : 0);
        }
      }
      return out;
    });
    assert.deepEqual(got, want);
    await screenshots(page, 'board-oled-text');
    // Inverting is shown too.
    await rest('oled/invert');
    await page.waitForFunction((n) => document.querySelector('canvas.oled[data-addr="0x3c"]').dataset.lit === String(n), 128 * 64 - lit);
  });

  test('the board view follows levels and PWM duties', async function () {
    if (target.mode !== 'real') return this.skip('needs the real node (simulated pins)');
    await page.goto(target.base + '/dashboard.html');
    await page.locator('#sim-board[data-polls]').waitFor();
    await rest('switch/set_state/1');
    await page.locator('#sim-board .pin[data-pin="26"][data-level="1"]').waitFor();
    assert.equal(await page.locator('#sim-board .pin[data-pin="26"] .tag').textContent(), 'switch_1');
    await rest('servo/sduty/100');
    await page.locator('#sim-board .pin[data-pin="27"][data-use="pwm"][data-duty="100"]').waitFor();
    await rest('switch/set_state/0');
    await page.locator('#sim-board .pin[data-pin="26"][data-level="0"]').waitFor();
    await screenshots(page, 'board-pins');
  });
});
