/* config.js - the config page: GET /config and POST /config with the x-micros-auth header
 * (COMPAT §3.4), errors shown next to their key, and a reboot that waits for the node. */
'use strict';
(() => {
  const {el, authFetch, password, setPassword} = Micros;
  const $ = (id) => document.getElementById(id);
  let loaded = {};            /* key -> value as the node sent it */
  const rows = new Map();     /* key -> {row, input, err} */

  function message(id, text, kind) {
    const m = $(id);
    m.textContent = text;
    m.className = 'msg' + (kind ? ' ' + kind : '');
  }

  function lock(text) {
    setPassword(null);
    $('cfg-card').classList.add('hidden');
    $('login-card').classList.remove('hidden');
    message('login-msg', text || '', 'err');
    $('pwd').focus();
  }

  /* The value a control holds now, in the type the node sent for its key. */
  function valueOf(key) {
    const {input} = rows.get(key);
    const orig = loaded[key];
    if (typeof orig === 'boolean') return input.checked;
    if (typeof orig === 'number') {
      const n = Number(input.value);
      return input.value.trim() !== '' && Number.isFinite(n) ? n : input.value;
    }
    return input.value;
  }

  function changedKeys() {
    return [...rows.keys()].filter((k) => valueOf(k) !== loaded[k]);
  }

  function markChanged() {
    for (const [k, r] of rows) r.row.classList.toggle('changed', valueOf(k) !== loaded[k]);
    const n = changedKeys().length;
    $('save').disabled = n === 0;
    $('save').textContent = n ? 'Save ' + n + ' change' + (n > 1 ? 's' : '') : 'Save changes';
  }

  function render(conf) {
    loaded = conf;
    rows.clear();
    const grid = $('cfg');
    grid.replaceChildren();
    for (const [key, value] of Object.entries(conf)) {
      const id = 'key-' + key;
      let input;
      if (typeof value === 'boolean') {
        input = el('input', {type: 'checkbox', id, name: key, checked: value});
        input = {box: el('label', {class: 'switch'}, input, el('span')), input};
      } else if (typeof value === 'number') {
        input = el('input', {type: 'number', id, name: key, value: String(value), step: 'any'});
      } else {
        const secret = /pwd$/.test(key);
        input = el('input', {type: secret ? 'password' : 'text', id, name: key,
          value: value === null ? '' : String(value), spellcheck: 'false', autocomplete: 'off'});
      }
      const control = input.input || input;
      const err = el('span', {class: 'err', 'data-error-for': key});
      const field = el('div', {class: 'field'}, input.box || input, err);
      const label = el('label', {for: id}, key);
      const row = el('div', {class: 'kv-row', 'data-key': key}, label, field);
      grid.append(row);
      rows.set(key, {row, input: control, err});
      control.addEventListener(control.type === 'checkbox' ? 'change' : 'input', () => {
        err.textContent = '';
        row.classList.remove('bad');
        markChanged();
      });
    }
    applyFilter();
    markChanged();
    /* config.html#key-<name> (the Files page links to fs_mounts_rw): show that key */
    const linked = location.hash.startsWith('#key-') && rows.get(location.hash.slice(5));
    if (linked) {
      linked.row.classList.add('linked');
      linked.err.parentElement.scrollIntoView({block: 'center'}); /* the row is display: contents */
      linked.input.focus();
    }
  }

  function applyFilter() {
    const q = $('filter').value.trim().toLowerCase();
    for (const [k, r] of rows) r.row.classList.toggle('hidden', q !== '' && !k.toLowerCase().includes(q));
  }

  /* GET /config: the result object (also accepted wrapped as {"result": {...}}). */
  async function load() {
    let reply;
    try {
      reply = await authFetch('/config');
    } catch (e) {
      message('login-msg', e.message, 'err');
      return false;
    }
    if (reply.status === 401) {
      lock(password() ? 'Wrong password.' : '');
      return false;
    }
    let conf = reply.body;
    if (conf && typeof conf.result === 'object' && conf.result !== null && 'state' in conf) conf = conf.result;
    if (reply.status !== 200 || typeof conf !== 'object' || conf === null) {
      message('login-msg', 'Cannot read the config: HTTP ' + reply.status, 'err');
      return false;
    }
    $('login-card').classList.add('hidden');
    $('cfg-card').classList.remove('hidden');
    render(conf);
    return true;
  }

  async function save(ev) {
    ev.preventDefault();
    const keys = changedKeys();
    if (keys.length === 0) return;
    const body = {};
    for (const k of keys) body[k] = valueOf(k);
    for (const r of rows.values()) { r.err.textContent = ''; r.row.classList.remove('bad'); }
    $('save').disabled = true;
    message('cfg-msg', 'Saving…');
    let reply;
    try {
      reply = await authFetch('/config', {method: 'POST', headers: {'content-type': 'application/json'},
        body: JSON.stringify(body)});
    } catch (e) {
      message('cfg-msg', e.message, 'err');
      markChanged();
      return;
    }
    if (reply.status === 401) { lock('The password is no longer valid.'); return; }
    const b = reply.body || {};
    if (b.state === true) {
      await load();
      message('cfg-msg', (typeof b.result === 'string' ? b.result : 'Saved') + ': ' + keys.join(', '), 'ok');
      return;
    }
    const general = [];
    for (const f of Array.isArray(b.failed) ? b.failed : []) {
      const s = String(f);
      const i = s.indexOf(':');
      const key = (i < 0 ? s : s.slice(0, i)).trim();
      const why = i < 0 ? 'not accepted' : s.slice(i + 1).trim();
      const r = rows.get(key);
      if (r) { r.err.textContent = why; r.row.classList.add('bad'); } else general.push(s);
    }
    message('cfg-msg', (typeof b.result === 'string' ? b.result : 'Not saved') +
      (general.length ? ': ' + general.join('; ') : ''), 'err');
    markChanged();
  }

  /* Two clicks reboot: POST /config/reboot, then poll /rest/system/info until the node is back
   * (it stopped answering, or its uptime restarted). */
  let armed = 0;
  async function reboot() {
    const btn = $('reboot');
    if (Date.now() - armed > 4000) {
      armed = Date.now();
      btn.textContent = 'Click again to reboot';
      setTimeout(() => { if (Date.now() - armed >= 4000) btn.textContent = 'Reboot'; }, 4100);
      return;
    }
    armed = 0;
    btn.disabled = true;
    btn.textContent = 'Rebooting…';
    let before = null;
    try {
      const r = await Micros.rest(['system', 'info'], 3000);
      before = Micros.uptimeSeconds(r.result && r.result.uptime);
    } catch (e) { /* unknown: wait for a gap instead */ }
    let reply;
    try {
      reply = await authFetch('/config/reboot', {method: 'POST'});
    } catch (e) {
      message('cfg-msg', e.message, 'err');
      btn.disabled = false; btn.textContent = 'Reboot';
      return;
    }
    if (reply.status === 401) { lock('The password is no longer valid.'); return; }
    message('cfg-msg', (reply.body && reply.body.result) || 'Reboot requested', 'ok');
    const t0 = Date.now();
    let gap = false, back = false;
    while (Date.now() - t0 < 90000) {
      await Micros.sleep(700);
      const waited = (Date.now() - t0) / 1000;
      message('cfg-msg', 'Waiting for the node… ' + Math.round(waited) + ' s');
      try {
        const r = await Micros.rest(['system', 'info'], 1500);
        const up = Micros.uptimeSeconds(r.result && r.result.uptime);
        if (gap || (before !== null && up !== null && up + 1 < before + waited)) { back = true; break; }
      } catch (e) {
        gap = true;
      }
    }
    btn.disabled = false;
    btn.textContent = 'Reboot';
    if (!back) { message('cfg-msg', 'The node did not come back within 90 s.', 'err'); return; }
    message('cfg-msg', 'The node is back after ' + Math.round((Date.now() - t0) / 1000) + ' s.', 'ok');
    document.body.dataset.rebooted = '1';
    await load();
  }

  async function start() {
    await Micros.header('/config.html');
    $('login').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      setPassword($('pwd').value);
      message('login-msg', 'Checking…', '');
      await load();
    });
    $('logout').addEventListener('click', () => lock(''));
    $('filter').addEventListener('input', applyFilter);
    $('cfg-form').addEventListener('submit', save);
    $('revert').addEventListener('click', () => { render(loaded); message('cfg-msg', ''); });
    $('reboot').addEventListener('click', reboot);
    if (password()) await load(); else $('pwd').focus();
  }
  start();
})();
