// test_dashboard_rgb.test.mjs - issue 6's done-when in a real browser against a real micros on
// simulated pins: load `rgb` from the dashboard's "Add a module" control, move the colour
// widget's r/g/b sliders as a person would, and see the simulated PWM duties (`sim pins`) reach
// the chosen values; set a colour over REST, reload, and see the sliders and the toggle follow
// the node (STATUS widget sync). Screenshots go to the artifacts folder.
import {after, afterEach, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {screenshots, startBrowser, startTarget} from './lib.mjs';

const browser = await startBrowser();
if (browser.skip) console.log('skipped: ' + browser.skip);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TAGS = {r: 'redgb', g: 'rgreenb', b: 'rgbue'};

describe('dashboard drives rgb on simulated pins', {skip: browser.skip || false}, () => {
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

  /* The rgb PWM duties from `sim pins`, by channel: {r, g, b}. */
  async function duties() {
    const j = await rest('sim/pins');
    assert.equal(j.state, true, JSON.stringify(j));
    const out = {};
    for (const p of Object.values(j.result)) {
      for (const [ch, tag] of Object.entries(TAGS)) if (p.tag === tag && p.use === 'pwm') out[ch] = p.duty;
    }
    return out;
  }

  /* Polls until fn() deep-equals want (rgb fades), at most ms; returns the last value. */
  async function settle(fn, want, ms) {
    const end = Date.now() + ms;
    let got;
    do {
      got = await fn();
      if (JSON.stringify(got) === JSON.stringify(want)) return got;
      await sleep(100);
    } while (Date.now() < end);
    assert.deepEqual(got, want, 'did not settle within ' + ms + ' ms');
    return got;
  }

  const card = () => page.locator('section.card[data-module="rgb"]');
  const slider = (ch) => card().locator('.widget[data-type="color"] input[type="range"][aria-label="color ' + ch + '"]');
  const toggle = () => card().locator('.widget[data-type="toggle"] input[type="checkbox"]');

  /* Opens the dashboard and waits until the rgb card synced from `rgb status` n times. */
  async function openDashboard(n = 1) {
    await page.goto(target.base + '/dashboard.html');
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    await page.waitForFunction((k) => {
      const c = document.querySelector('section.card[data-module="rgb"]');
      return c && Number(c.dataset.synced) >= k;
    }, n);
  }

  test('load rgb with "Add a module", move the colour sliders, the PWM duties follow', async () => {
    assert.ok(!(await rest('modules')).result.includes('rgb'), 'rgb is not loaded before the test');
    await page.goto(target.base + '/dashboard.html');
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    assert.equal(await card().count(), 0);
    await page.selectOption('#add-module', 'rgb');
    await page.click('#add-module-go');
    await card().waitFor(); // the page reloaded with rgb loaded
    await page.locator('#dash-status[data-ready="1"]').waitFor();
    assert.ok((await rest('modules')).result.includes('rgb'));
    assert.equal(await page.locator('#add-module option[value="rgb"]').count(), 0, 'rgb no longer offered');

    // A person drags r, then g, then b, in quick succession (each drag: input events, then change).
    const want = {r: 320, g: 610, b: 90};
    for (const ch of ['r', 'g', 'b']) {
      await slider(ch).evaluate((el, v) => {
        for (const step of [Number(v) / 2, Number(v)]) {
          el.value = String(step);
          el.dispatchEvent(new Event('input', {bubbles: true}));
        }
        el.dispatchEvent(new Event('change', {bubbles: true}));
      }, want[ch]);
      await sleep(60);
    }
    await settle(duties, want, 8000);
    const st = await settle(async () => (await rest('rgb/status')).result, {R: 320, G: 610, B: 90, S: 1}, 5000);
    assert.equal(st.S, 1);
    // The page keeps what the person chose (a sync must not put older values back).
    await sleep(600);
    for (const ch of ['r', 'g', 'b']) assert.equal(await slider(ch).inputValue(), String(want[ch]), ch);
    assert.equal(await toggle().isChecked(), true, 'the toggle shows ON after the colour was set');
    await screenshots(page, 'dashboard-rgb-sliders');
  });

  test('a colour set over REST shows on the dashboard after a reload: sliders and toggle', async () => {
    const set = await rest('rgb/color/r=500/g=60/b=900');
    assert.equal(set.state, true, JSON.stringify(set));
    await settle(duties, {r: 500, g: 60, b: 900}, 8000);
    assert.equal((await rest('rgb/status')).result.S, 1);
    await openDashboard();
    for (const [ch, v] of Object.entries({r: 500, g: 60, b: 900})) {
      assert.equal(await slider(ch).inputValue(), String(v), ch + ' slider synced from rgb status');
    }
    assert.equal(await toggle().isChecked(), true, 'S: 1 in rgb status -> the toggle shows ON');
    await screenshots(page, 'dashboard-rgb-synced-on');

    // Off over REST: after a reload the toggle shows OFF, the sliders keep the colour (R/G/B).
    assert.equal((await rest('rgb/toggle/state=False')).state, true);
    await settle(duties, {r: 0, g: 0, b: 0}, 8000);
    assert.equal((await rest('rgb/status')).result.S, 0);
    await openDashboard();
    assert.equal(await toggle().isChecked(), false, 'S: 0 -> the toggle shows OFF');
    assert.equal(await slider('b').inputValue(), '900');

    // The dashboard's toggle turns it back on; the page re-syncs and keeps showing ON.
    await card().locator('.widget[data-type="toggle"] .switch').click();
    await card().locator('.widget[data-type="toggle"] .result[data-state="ok"]').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('section.card[data-module="rgb"]').dataset.synced) >= 2);
    await settle(duties, {r: 500, g: 60, b: 900}, 8000);
    assert.equal((await rest('rgb/status')).result.S, 1);
    assert.equal(await toggle().isChecked(), true);
    await screenshots(page, 'dashboard-rgb-toggled-on');
  });
});
