// test_dashboard_lua.test.mjs - issue 14's done-when in a real browser: a Lua Load Module
// dropped into the node's modules/ folder (no rebuild, no restart) is offered by the dashboard's
// "Add a module" control, shows the widgets its help strings declare, and its slider drives a
// simulated PWM pin through the Lua code (`sim pin`).
import {after, afterEach, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {screenshots, startBrowser, startTarget} from './lib.mjs';

const browser = await startBrowser();
if (browser.skip) console.log('skipped: ' + browser.skip);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PIN = 21;
const LAMP = `local M = {}
local pin = nil
function M.level(v)
  if not pin then pin = micros.pwm(${PIN}, 1000, 0) end
  micros.duty(pin, v * micros.DUTY_MAX // 1000)
  return {level = v}
end
function M.off() return M.level(0) end
M.__help = {"SLIDER level v=<0-1000-10>", "BUTTON off"}
return M
`;

describe('dashboard drives a Lua module on simulated pins', {skip: browser.skip || false}, () => {
  let target;
  let page;
  const pageErrors = [];

  before(async () => {
    target = await startTarget();
    console.log('# target: ' + target.mode + ' ' + target.base);
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
    return r.json();
  }

  async function duty() {
    const j = await rest('sim/pin/' + PIN);
    return j.state ? j.result.duty : undefined;
  }

  async function settle(fn, want, ms) {
    const end = Date.now() + ms;
    let got;
    do {
      got = await fn();
      if (got === want) return got;
      await sleep(100);
    } while (Date.now() < end);
    assert.equal(got, want, 'did not settle within ' + ms + ' ms');
    return got;
  }

  const card = () => page.locator('section.card[data-module="lamp"]');

  test('drop LM_lamp.lua, add it on the dashboard, move its slider: the PWM duty follows', async (t) => {
    if (target.mode !== 'real') {
      t.skip('needs a real micros (the fake node runs no Lua)');
      return;
    }
    const mods = path.join(target.dataDir, 'modules');
    fs.mkdirSync(mods, {recursive: true});
    fs.writeFileSync(path.join(mods, 'LM_lamp.lua'), LAMP);
    await page.goto(target.base + '/dashboard.html');
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    assert.equal(await card().count(), 0);
    await page.selectOption('#add-module', 'lamp');
    await page.click('#add-module-go');
    await card().waitFor();
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    assert.ok((await rest('modules')).result.includes('lamp'));
    const slider = card().locator('.widget[data-type="slider"] input[type="range"]');
    assert.equal(await slider.count(), 1);
    assert.equal(await slider.getAttribute('max'), '1000');
    assert.equal(await card().locator('.widget[data-type="button"] button').count(), 1);
    await slider.evaluate((el) => {
      for (const v of ['300', '600']) {
        el.value = v;
        el.dispatchEvent(new Event('input', {bubbles: true}));
      }
      el.dispatchEvent(new Event('change', {bubbles: true}));
    });
    await settle(duty, Math.floor(600 * 1023 / 1000), 8000);
    await screenshots(page, 'dashboard-lua-slider');
    await card().locator('.widget[data-type="button"] button').click();
    await settle(duty, 0, 8000);
  });
});
