/* dashboard.js - a dashboard generated from each loaded module's widget JSON (COMPAT §9):
 * /rest/modules -> /rest/<m>/help/True (an array of JSON strings) -> one card per module.
 * Widget actions replace :range: / :options: with the control's value and call
 * /rest/<m>/<callback words>; a module's STATUS widget (hidden) syncs the controls.
 * Every card also lists the module's functions (/rest/<m>/help) with a field per parameter
 * and a Run button, so any function can be called, widget or not (a Lua module dropped on
 * the Files page included). ?load=<module> loads a module and shows its card. */
'use strict';
(() => {
  const {el, rest, words, show} = Micros;
  const COLORS = ['#0b7a75', '#e07a1f', '#6f42c1', '#d63384', '#2f80ed', '#8a9a16'];
  const BUILTIN = new Set(['task']);

  /* A legend colour mark (styled through the CSSOM, so a strict CSP allows it). */
  function swatchOf(color) {
    const i = el('i');
    i.style.background = color;
    return i;
  }

  /* What one widget declaration needs: type, module, the callback's words, fn name. */
  function parse(module, w) {
    const cb = words(String(w.callback || ''));
    return Object.assign({}, w, {module, cb, fn: cb[0] || ''});
  }

  /* The parameters whose value a control supplies: [{index, key, kind}] in callback order. */
  function slots(spec) {
    const out = [];
    spec.cb.forEach((word, index) => {
      for (const kind of [':range:', ':options:']) {
        if (word.includes(kind)) out.push({index, kind, key: word.split('=')[0] || spec.fn});
      }
    });
    return out;
  }

  /* Runs the widget's callback with its slots filled: values[i] goes into slots[i]. */
  async function call(spec, values, resultEl) {
    const ws = spec.cb.slice();
    let i = 0;
    for (const s of slots(spec)) ws[s.index] = ws[s.index].replace(s.kind, String(values[i++]));
    try {
      const r = await rest([spec.module].concat(ws));
      resultEl.textContent = '→ ' + show(r.result);
      resultEl.classList.toggle('err', !r.state);
      resultEl.dataset.state = r.state ? 'ok' : 'error';
      spec.card.dispatchEvent(new CustomEvent('changed'));
      return r;
    } catch (e) {
      resultEl.textContent = e.message;
      resultEl.classList.add('err');
      resultEl.dataset.state = 'error';
      return null;
    }
  }

  /* Calls fn at most once per `ms`, always with the latest arguments, never two at a time. */
  function throttle(fn, ms) {
    let busy = false, pending = null;
    const go = async (args) => {
      busy = true;
      await fn(...args);
      await Micros.sleep(ms);
      busy = false;
      if (pending) { const a = pending; pending = null; go(a); }
    };
    return (...args) => { if (busy) pending = args; else go(args); };
  }

  function box(spec, ...kids) {
    return el('div', {class: 'widget', 'data-type': spec.type, 'data-module': spec.module,
      'data-callback': spec.callback}, el('div', {class: 'label'}, el('b', {}, spec.fn || spec.type),
      el('span', {class: 'muted'}, spec.type)), ...kids);
  }

  const isBool = (o) => Array.isArray(o) && o.length === 2 &&
    o.map((x) => String(x).toLowerCase()).sort().join() === 'false,true';

  function button(spec) {
    const res = el('div', {class: 'result'});
    const opts = Array.isArray(spec.options) ? spec.options : [];
    if (isBool(opts) && slots(spec).length === 1) {
      const input = el('input', {type: 'checkbox', role: 'switch', 'aria-label': spec.fn});
      const trueOpt = opts.find((o) => String(o).toLowerCase() === 'true');
      const falseOpt = opts.find((o) => String(o).toLowerCase() === 'false');
      input.addEventListener('change', () => call(spec, [input.checked ? trueOpt : falseOpt], res));
      spec.sync.push({keys: keyCandidates(spec, slots(spec)[0].key, true),
        set: (v) => { input.checked = truthy(v); }});
      return box(Object.assign({}, spec, {type: 'toggle'}), el('label', {class: 'switch'}, input, el('span')), res);
    }
    const hasSlot = slots(spec).length > 0;
    const list = hasSlot ? opts : [null];
    return box(spec, el('div', {class: 'buttons'}, list.map((o) =>
      el('button', {type: 'button', onclick: () => call(spec, [o], res)},
        o === null || String(o) === 'None' && !hasSlot ? spec.fn : String(o)))), res);
  }

  /* slider, color, white, joystick: one range input per :range: slot. */
  function ranges(spec) {
    const res = el('div', {class: 'result'});
    const [min, max, step] = Array.isArray(spec.range) && spec.range.length >= 2
      ? [Number(spec.range[0]), Number(spec.range[1]), Number(spec.range[2] || 1)] : [0, 100, 1];
    const ss = slots(spec);
    const inputs = ss.map(() => el('input', {type: 'range', min, max, step, value: min}));
    const swatch = spec.type === 'color' ? el('div', {class: 'swatch'}) : null;
    const paint = () => {
      if (!swatch) return;
      const c = inputs.slice(0, 3).map((i) => Math.round((i.value - min) / ((max - min) || 1) * 255));
      while (c.length < 3) c.push(0);
      swatch.style.background = 'rgb(' + c.join(',') + ')';
    };
    /* dirty: the person moved a slider since the last call took the values; a status sync
     * (which answers for an older call) must not put older values back until that is sent. */
    let dirty = false;
    const send = throttle(() => { dirty = false; return call(spec, inputs.map((i) => i.value), res); }, 250);
    const rows = ss.map((s, i) => {
      const out = el('output', {}, inputs[i].value);
      inputs[i].setAttribute('aria-label', spec.fn + ' ' + s.key);
      inputs[i].addEventListener('input', () => { dirty = true; out.textContent = inputs[i].value; paint(); send(); });
      spec.sync.push({keys: keyCandidates(spec, s.key, false),
        set: (v) => { if (!dirty && Number.isFinite(+v)) { inputs[i].value = v; out.textContent = inputs[i].value; paint(); } }});
      return el('div', {class: 'slider'}, el('span', {class: 'muted'}, s.key), inputs[i], out);
    });
    paint();
    const grid = el('div', {class: 'sliders grow'}, rows);
    const body = swatch ? el('div', {class: 'row'}, swatch, grid) : grid;
    return box(spec, body, res);
  }

  /* graph: polls the callback every `refresh` ms, keeps `limit` points per numeric key. */
  function graph(spec) {
    const canvas = el('canvas', {class: 'graph', width: 600, height: 180});
    const legend = el('div', {class: 'legend'});
    const res = el('div', {class: 'result'});
    const limit = Math.max(2, Number(spec.limit) || 30);
    const series = new Map();
    let samples = 0;
    const draw = () => {
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(200, canvas.clientWidth), h = canvas.clientHeight || 180;
      if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
      const g = canvas.getContext('2d');
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);
      let top = 0;
      for (const pts of series.values()) for (const v of pts) top = Math.max(top, v);
      top = top <= 100 ? 100 : Math.pow(10, Math.ceil(Math.log10(top)));
      const padL = 34, padB = 6, padT = 8, fg = getComputedStyle(document.body).color;
      g.font = '11px system-ui, sans-serif';
      g.fillStyle = fg;
      g.strokeStyle = fg;
      g.globalAlpha = 0.18;
      for (let k = 0; k <= 4; k++) {
        const y = padT + (h - padT - padB) * k / 4;
        g.beginPath(); g.moveTo(padL, y); g.lineTo(w - 4, y); g.stroke();
      }
      g.globalAlpha = 0.7;
      for (let k = 0; k <= 4; k++) {
        const y = padT + (h - padT - padB) * k / 4;
        g.fillText(String(Math.round(top * (4 - k) / 4)), 2, y + 4);
      }
      g.globalAlpha = 1;
      g.lineWidth = 2;
      let n = 0;
      for (const pts of series.values()) {
        g.strokeStyle = COLORS[n++ % COLORS.length];
        g.beginPath();
        pts.forEach((v, i) => {
          const x = padL + (w - padL - 4) * i / (limit - 1); /* grows from the left, then scrolls */
          const y = padT + (h - padT - padB) * (1 - v / top);
          if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
        });
        if (pts.length === 1) g.arc(padL, padT + (h - padT - padB) * (1 - pts[0] / top), 2, 0, 7);
        g.stroke();
      }
      legend.replaceChildren(...[...series.entries()].map(([k, pts], i) => el('span', {},
        swatchOf(COLORS[i % COLORS.length]), k + ': ', el('b', {}, String(pts[pts.length - 1])))));
      canvas.dataset.samples = String(samples);
    };
    let busy = false;
    const poll = async () => {
      if (busy || document.hidden || !canvas.isConnected) return;
      busy = true;
      try {
        const r = await rest([spec.module].concat(spec.cb));
        const vals = typeof r.result === 'number' ? {[spec.fn]: r.result} : (r.result || {});
        let any = false;
        for (const [k, v] of Object.entries(vals)) {
          if (typeof v !== 'number' || !Number.isFinite(v)) continue;
          if (!series.has(k)) series.set(k, []);
          const pts = series.get(k);
          pts.push(v);
          if (pts.length > limit) pts.shift();
          any = true;
        }
        if (any) samples++;
        res.textContent = r.state ? '' : show(r.result);
        res.classList.toggle('err', !r.state);
        draw();
      } catch (e) {
        res.textContent = e.message;
        res.classList.add('err');
      }
      busy = false;
    };
    poll();
    setInterval(poll, Math.max(500, Number(spec.refresh) || 3000));
    window.addEventListener('resize', draw);
    return box(spec, canvas, legend, res);
  }

  /* textbox: the callback's result, refreshed every `refresh` ms. */
  function textbox(spec) {
    const out = el('pre', {class: 'out'}, '…');
    const poll = async () => {
      if (document.hidden) return;
      try {
        const r = await rest([spec.module].concat(spec.cb));
        out.textContent = show(r.result);
        out.classList.toggle('err', !r.state);
      } catch (e) {
        out.textContent = e.message;
        out.classList.add('err');
      }
    };
    poll();
    setInterval(poll, Math.max(500, Number(spec.refresh) || 10000));
    return box(spec, out);
  }

  function embed(spec) {
    const url = String(spec.callback || '').trim();
    const title = spec.title || url;
    const body = spec.image ? el('img', {src: url, alt: title, class: 'embed'})
      : el('a', {href: url}, title);
    return box(Object.assign({}, spec, {fn: title}), body);
  }

  /* status: hidden; its result dict sets the module's controls. */
  function status(spec) {
    const w = box(spec);
    w.classList.add('hidden');
    spec.card.addEventListener('changed', () => syncModule(spec));
    syncModule(spec);
    return w;
  }

  const truthy = (v) => v === true || v === 1 || /^(true|1|on)$/i.test(String(v));

  /* Status keys that may hold a control's value, best first: the light modules' status is
   * {"R","G","B","S"} / {"CW","WW","S"} / {"X","S","BR"}, where S is the on/off state. A toggle
   * looks for S/state first, whatever its parameter is called. */
  function keyCandidates(spec, key, isToggle) {
    const c = [key, key.toUpperCase(), key.charAt(0).toUpperCase(), spec.fn,
      spec.fn.toUpperCase(), spec.fn.slice(0, 2).toUpperCase()];
    return isToggle ? ['S', 'state', 'STATE'].concat(c) : c;
  }

  async function syncModule(spec) {
    try {
      const r = await rest([spec.module].concat(spec.cb));
      if (!r.state || typeof r.result !== 'object' || r.result === null) return;
      for (const s of spec.sync) {
        const k = s.keys.find((key) => key in r.result);
        if (k !== undefined) s.set(r.result[k]);
      }
      spec.card.dataset.synced = String(Number(spec.card.dataset.synced || 0) + 1);
    } catch (e) { /* the next action tries again */ }
  }

  /* One line of `<m> help` ("add a=1 b=<0-9>", "color r=<0-255> g b") -> {fn, params}:
   * each parameter with its default (a=1) or choice (<0-9>), as the node's help writes them. */
  function parseHelp(line) {
    const ws = words(String(line));
    const params = ws.slice(1).map((w) => {
      const i = w.indexOf('=');
      const name = i < 0 ? w : w.slice(0, i);
      const v = i < 0 ? '' : w.slice(i + 1);
      const choice = /^<.*>$/.test(v) ? v.slice(1, -1) : '';
      return {name, def: choice ? '' : v, choice};
    });
    return {fn: ws[0] || '', params};
  }

  /* A value typed into a parameter field as one command word: blanks or slashes need quotes. */
  function argWord(name, v) {
    const quoted = /^(["']).*\1$/.test(v);
    const val = !quoted && /[\s/]/.test(v) ? '"' + v.replace(/(["\\])/g, '\\$1') + '"' : v;
    return name + '=' + val;
  }

  /* pwd=<password> as one command word, always quoted: a password like 123 or True must reach
   * the node as a string (a bare one would be read as a number or a bool and refused). */
  const pwdWord = (v) => 'pwd="' + v.replace(/(["\\])/g, '\\$1') + '"';

  /* A sudo call: like rest(), but also says when the node answered 429 (the address is in
   * its password back-off window): {r, status, retryMs}. */
  async function sudoRest(ws, ms) {
    const resp = await Micros.fetchTimeout(Micros.restPath(ws), null, ms);
    const text = await resp.text();
    let r;
    try { r = JSON.parse(text); } catch (e) {
      throw new Error('HTTP ' + resp.status + ': ' + (text.trim().slice(0, 200) || resp.statusText));
    }
    if (typeof r !== 'object' || r === null || !('result' in r))
      throw new Error('unexpected reply: ' + text.slice(0, 200));
    let retryMs = 0;
    if (resp.status === 429) {
      const m = /retry in (\d+) ms/.exec(String(r.result));
      retryMs = m ? Number(m[1]) : 1000 * (Number(resp.headers.get('retry-after')) || 1);
    }
    return {r, status: resp.status, retryMs};
  }

  /* The message for a refused sudo call, or null when it was not about the password. */
  function sudoMessage(status, retryMs, result, typed) {
    const text = String(result);
    if (status === 429 || /Too many failed logins/.test(text)) {
      return 'Too many wrong passwords from this address: the node does not check any password ' +
        'for ' + Math.max(1, Math.ceil(retryMs / 1000)) + ' s. Try again after that.';
    }
    if (/no node password is set/.test(text)) return 'Access denied: the node has no password (appwd) set.';
    if (/Access denied/.test(text)) {
      return typed ? 'Access denied: wrong password.'
        : 'Access denied: this call needs the node password (appwd).';
    }
    return null;
  }

  /* A row that calls one function: a field per parameter (empty = its default), Run, result.
   * sudo (from help's "sudo" member): true when the function always needs pwd=, a parameter
   * name when it needs it only when that parameter is true, undefined otherwise. A sudo row
   * gets a password field: never stored, cleared after a call that went through. */
  function fnRow(m, line, sudo) {
    const {fn, params} = parseHelp(line);
    const res = el('div', {class: 'result'});
    const inputs = params.map((p) => el('input', {type: 'text', name: p.name,
      'aria-label': fn + ' ' + p.name, title: p.choice ? p.name + ': ' + p.choice : p.name,
      placeholder: p.name + (p.def ? ' = ' + p.def : p.choice ? ' ' + p.choice : '')}));
    const when = typeof sudo === 'string' && sudo ? ' if ' + sudo + '=True' : '';
    const pwd = sudo ? el('input', {type: 'password', name: 'pwd', class: 'pwd', autocomplete: 'off',
      'aria-label': fn + ' password', title: 'the node password (appwd), needed' + (when || ' for this function'),
      placeholder: 'password' + when}) : null;
    const run = el('button', {type: 'button', class: 'run', onclick: async () => {
      const ws = [m, fn];
      params.forEach((p, i) => { if (inputs[i].value !== '') ws.push(argWord(p.name, inputs[i].value)); });
      const typed = pwd ? pwd.value : '';
      if (typed) ws.push(pwdWord(typed));
      run.disabled = true;
      res.textContent = '…';
      delete res.dataset.retryMs;
      try {
        let r, msg = null;
        if (pwd) {
          const a = await sudoRest(ws, 30000);
          r = a.r;
          msg = a.r.state ? null : sudoMessage(a.status, a.retryMs, a.r.result, typed !== '');
          if (a.status === 429) res.dataset.retryMs = String(a.retryMs);
          if (a.r.state) pwd.value = '';
        } else {
          r = await rest(ws, 30000);
        }
        res.textContent = msg || '→ ' + show(r.result);
        res.classList.toggle('err', !r.state);
        res.dataset.state = r.state ? 'ok' : msg ? (res.dataset.retryMs ? 'backoff' : 'denied') : 'error';
        if (msg && pwd) pwd.select();
      } catch (e) {
        res.textContent = e.message;
        res.classList.add('err');
        res.dataset.state = 'error';
      }
      run.disabled = false;
    }}, 'Run');
    for (const i of pwd ? inputs.concat(pwd) : inputs)
      i.addEventListener('keydown', (e) => { if (e.key === 'Enter') run.click(); });
    const name = el('b', {}, fn);
    if (sudo) name.append(el('span', {class: 'muted sudo', title: 'needs the node password' + when}, ' (password)'));
    return el('div', {class: 'fn', 'data-module': m, 'data-fn': fn, 'data-sudo': sudo ? String(sudo) : null},
      el('div', {class: 'row'}, name, ...inputs, pwd, run), res);
  }

  /* help's sudo entry of fn (own members only: a function may be called "toString"). */
  const sudoOf = (sudo, fn) => Object.prototype.hasOwnProperty.call(sudo, fn) &&
    (sudo[fn] === true || typeof sudo[fn] === 'string') ? sudo[fn] : undefined;

  /* The module's functions (`help`) in a <details>, open or folded. */
  function functions(m, lines, open, sudo) {
    const rows = lines.map((l) => fnRow(m, l, sudoOf(sudo, parseHelp(l).fn))).filter((r) => r.dataset.fn);
    if (!rows.length) return null;
    return el('details', {class: 'fns', open},
      el('summary', {}, 'Functions (' + rows.length + ')'), ...rows);
  }

  const KINDS = {button, slider: ranges, color: ranges, white: ranges, joystick: ranges,
    graph, textbox, embed, status};

  async function moduleCard(m) {
    let r, h;
    try {
      [r, h] = await Promise.all([rest([m, 'help', 'True']), rest([m, 'help'])]);
    } catch (e) { return {m, error: e.message}; }
    if (!r.state || !Array.isArray(r.result)) return {m, error: show(r.result)};
    const decls = [];
    for (const s of r.result) {
      try { decls.push(typeof s === 'string' ? JSON.parse(s) : s); } catch (e) { /* not a widget */ }
    }
    const widgets = decls.filter((d) => d && typeof d === 'object' && d.type);
    const lines = h.state && Array.isArray(h.result) ? h.result : [];
    /* which functions need pwd= (micrOS-C's extra "sudo" member; absent elsewhere) */
    const sudo = h.sudo && typeof h.sudo === 'object' ? h.sudo : {};
    const card = el('section', {class: 'card', 'data-module': m}, el('h2', {}, m));
    if (widgets.length === 0) {
      const fns = functions(m, lines, lines.length <= 6, sudo); /* a long list starts folded */
      if (!fns) return {m, empty: true};
      card.append(fns);
      return {m, card, empty: true};
    }
    const sync = [];
    const statusSpecs = [];
    for (const w of widgets) {
      const spec = Object.assign(parse(m, w), {card, sync});
      if (spec.type === 'status') { statusSpecs.push(spec); continue; }
      const make = KINDS[spec.type];
      card.append(make ? make(spec) : box(spec, el('div', {class: 'muted'}, 'unsupported widget type')));
    }
    for (const spec of statusSpecs) card.append(status(spec));
    const fns = functions(m, lines, false, sudo);
    if (fns) card.append(fns);
    return {m, card};
  }

  async function start() {
    await Micros.header('/dashboard.html');
    const main = document.getElementById('dash');
    const note = document.getElementById('dash-status');
    const want = new URLSearchParams(location.search).get('load');
    let mods;
    try {
      /* ?load=<m> (the Files page links here after a module upload): modules load on first
       * use, and `help` is a use */
      if (want) await rest([want, 'help']);
      const r = await rest(['modules']);
      mods = Array.isArray(r.result) ? r.result : [];
    } catch (e) {
      note.replaceChildren(el('span', {class: 'err'}, 'Cannot list modules: ' + e.message));
      return;
    }
    const cards = await Promise.all(mods.filter((m) => !BUILTIN.has(m)).map(moduleCard));
    const shown = cards.filter((c) => c.card);
    for (const c of shown) main.append(c.card);
    const quiet = cards.filter((c) => c.empty).map((c) => c.m);
    const bad = cards.filter((c) => c.error);
    note.replaceChildren(...[
      el('span', {}, shown.length ? shown.length + ' module' + (shown.length > 1 ? 's' : '') + ' with widgets.'
        : 'No loaded module declares widgets.'),
      el('span', {class: 'muted'}, ' Modules load on first use (or from boothook).'),
      quiet.length ? el('span', {class: 'muted'}, ' Without widgets (functions only): ' + quiet.join(', ') + '.') : null,
      ...bad.map((c) => el('div', {class: 'err'}, c.m + ': ' + c.error))].filter(Boolean));
    note.append(await loader(mods));
    note.dataset.ready = '1';
    const focus = want && main.querySelector('section.card[data-module="' + CSS.escape(want) + '"]');
    if (focus) {
      focus.classList.add('focus');
      const fns = focus.querySelector('details.fns');
      if (fns) fns.open = true; /* just uploaded: its functions are what the person wants */
      focus.scrollIntoView({block: 'start'});
    } else if (want) {
      note.append(el('div', {class: 'err', id: 'load-error'}, want + ': not loaded (no such module?)'));
    }
  }

  /* Modules load on first use: offer the built-in ones not loaded yet (`modules all`). */
  async function loader(loaded) {
    let all = [];
    try {
      const r = await rest(['modules', 'all']);
      all = Array.isArray(r.result) ? r.result : [];
    } catch (e) {
      return el('div', {class: 'err'}, 'Cannot list the built-in modules: ' + e.message);
    }
    const rest_ = all.filter((m) => !loaded.includes(m));
    if (!rest_.length) return el('span');
    const pick = el('select', {id: 'add-module', 'aria-label': 'module to load'},
      ...rest_.map((m) => el('option', {value: m}, m)));
    /* a module uploaded since the page loaded (Files page, microsctl put) shows up too */
    pick.addEventListener('focus', async () => {
      try {
        const r = await rest(['modules', 'all']);
        const now = (Array.isArray(r.result) ? r.result : []).filter((m) => !loaded.includes(m));
        const have = [...pick.options].map((o) => o.value);
        if (now.join() !== have.join()) {
          const keep = pick.value;
          pick.replaceChildren(...now.map((m) => el('option', {value: m}, m)));
          if (now.includes(keep)) pick.value = keep;
        }
      } catch (e) { /* keep the list */ }
    });
    const msg = el('span', {class: 'muted'});
    const go = el('button', {id: 'add-module-go', onclick: async () => {
      go.disabled = true;
      try {
        await rest([pick.value, 'help', 'True']);
        location.reload();
      } catch (e) {
        msg.textContent = ' ' + e.message;
        go.disabled = false;
      }
    }}, 'Load');
    return el('div', {class: 'row'}, el('span', {}, 'Add a module: '), pick, go, msg);
  }
  start();
})();
