/* board.js - the simulated hardware on the dashboard, for people without a board: the OLED
 * displays on the simulated I2C bus drawn from their framebuffers (`sim display`, what the
 * controller keeps, so exactly what the glass would show), and the simulated pin bank as a
 * board view (`sim pins`: use, tag, level, PWM duty). Polled twice a second while the page is
 * visible. On real buses (`sim devices` fails) a "Displays" card draws what the loaded oled
 * modules last sent to their displays (`oled framebuffer`). */
'use strict';
(() => {
  const {el, rest} = Micros;
  const POLL_MS = 500;
  const SCALE = 3;

  /* One OLED: a 128x64 canvas scaled up; data-lit / data-writes let tests and people see it
   * change. */
  function oled(addr, model) {
    const canvas = el('canvas', {class: 'oled', width: 128 * SCALE, height: 64 * SCALE,
      'data-addr': addr, 'aria-label': model + ' at ' + addr});
    const note = el('div', {class: 'muted'}, model + ' at ' + addr);
    let last = '';
    const draw = (d) => {
      const key = d.fb + d.on + d.inverted;
      if (key === last) return;
      last = key;
      const g = canvas.getContext('2d');
      g.fillStyle = '#05080a';
      g.fillRect(0, 0, canvas.width, canvas.height);
      let lit = 0;
      g.fillStyle = '#8fe3ff';
      for (let x = 0; x < 128; x++) {
        for (let y = 0; y < 64; y++) {
          const byte = parseInt(d.fb.substr(((y >> 3) * 128 + x) * 2, 2), 16);
          let on = (byte >> (y & 7)) & 1;
          if (d.inverted) on ^= 1;
          if (!d.on) on = 0;
          if (on) { lit++; g.fillRect(x * SCALE, y * SCALE, SCALE - 0.5, SCALE - 0.5); }
        }
      }
      canvas.dataset.lit = String(lit);
      canvas.dataset.writes = String(d.writes);
      canvas.dataset.on = String(d.on);
      note.textContent = model + ' at ' + addr + (d.on ? '' : ' (off)') + (d.inverted ? ' (inverted)' : '');
    };
    return {node: el('div', {class: 'oled-box'}, canvas, note), draw};
  }

  /* One pin of the board view. */
  function pinView(n, p) {
    const bar = el('i', {class: 'duty'});
    const v = el('div', {class: 'pin', 'data-pin': n}, el('b', {}, String(n)),
      el('span', {class: 'tag'}, ''), el('span', {class: 'val muted'}, ''), bar);
    const set = (q) => {
      v.dataset.use = q.use;
      v.dataset.level = q.level === undefined ? '' : String(q.level);
      v.dataset.duty = q.duty === undefined ? '' : String(q.duty);
      v.children[1].textContent = q.tag || '';
      v.children[2].textContent = q.use === 'pwm' ? 'pwm ' + q.duty
        : q.use === 'adc' ? 'adc ' + q.raw : q.use === 'neopixel' ? q.pixels + ' px'
          : q.use + ' ' + (q.level ? 'high' : 'low');
      v.classList.toggle('high', q.level === 1 || (q.use === 'pwm' && q.duty > 0));
      bar.style.width = q.use === 'pwm' ? Math.round(q.duty / 1023 * 100) + '%' : '0';
    };
    set(p);
    return {node: v, set};
  }

  /* Real buses: the displays the oled modules drive, from their last `show` (their
   * `framebuffer` function), once a module is loaded. */
  async function startReal(main) {
    const displays = el('div', {class: 'row oleds'});
    const card = el('section', {class: 'card wide hidden', id: 'displays'}, el('h2', {}, 'Displays'), displays);
    main.append(card);
    const screens = new Map();
    const poll = async () => {
      if (document.hidden) return;
      try {
        const mods = await rest(['modules']);
        const loaded = Array.isArray(mods.result) ? mods.result : [];
        for (const m of ['oled', 'oled_sh1106'].filter((x) => loaded.includes(x))) {
          const d = await rest([m, 'framebuffer']);
          if (!d.state) continue;
          if (!screens.has(m)) {
            const s = oled(d.result.addr, d.result.model);
            screens.set(m, s);
            displays.append(s.node);
            card.classList.remove('hidden');
          }
          screens.get(m).draw(d.result);
        }
      } catch (e) { /* next poll */ }
    };
    poll();
    setInterval(poll, POLL_MS * 2);
  }

  async function start() {
    const main = document.getElementById('dash');
    try {
      const b = await rest(['sim', 'devices']);
      if (!b.state) return startReal(main); /* real buses and pins */
    } catch (e) { return; }
    const displays = el('div', {class: 'row oleds'});
    const board = el('div', {class: 'board'});
    const card = el('section', {class: 'card wide', id: 'sim-board'}, el('h2', {}, 'Simulated hardware'),
      displays, el('h3', {}, 'Pins'), board);
    main.append(card);
    const screens = new Map();
    const pins = new Map();
    let busy = false;
    const poll = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const dev = await rest(['sim', 'devices']);
        const found = dev.state ? Object.entries(dev.result || {})
          .filter(([, m]) => m === 'ssd1306' || m === 'sh1106') : [];
        for (const [addr, model] of found) {
          if (!screens.has(addr)) {
            const s = oled(addr, model);
            screens.set(addr, s);
            displays.append(s.node);
          }
          const d = await rest(['sim', 'display', addr]);
          if (d.state) screens.get(addr).draw(d.result);
        }
        const p = await rest(['sim', 'pins']);
        if (p.state) {
          for (const [n, q] of Object.entries(p.result || {})) {
            if (!pins.has(n)) {
              const v = pinView(n, q);
              pins.set(n, v);
              board.append(v.node);
            } else {
              pins.get(n).set(q);
            }
          }
        }
        card.dataset.polls = String(Number(card.dataset.polls || 0) + 1);
      } catch (e) { /* next poll */ }
      busy = false;
    };
    poll();
    setInterval(poll, POLL_MS);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
