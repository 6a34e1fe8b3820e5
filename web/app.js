/* app.js - shared helpers of the micrOS-C web UI: DOM building, command words, REST calls,
 * the password kept for this tab, and the page header. No framework, no network but the node. */
'use strict';

const Micros = (() => {
  const AUTH_KEY = 'micros-auth';
  const TIMEOUT_MS = 8000;

  /* el('div', {class: 'x', onclick: f}, child, 'text') -> element. */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      e.append(kid instanceof Node ? kid : String(kid));
    }
    return e;
  }

  /* Splits a command line into words on blanks. A quoted part ("..." or '...', backslash
   * escapes kept) stays in its word with its quotes: `notify "hi there"` -> notify, "hi there". */
  function words(line) {
    const out = [];
    let cur = '', quote = '', has = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        cur += c;
        if (c === '\\' && i + 1 < line.length) cur += line[++i];
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") {
        quote = c; cur += c; has = true;
      } else if (/\s/.test(c)) {
        if (has) out.push(cur);
        cur = ''; has = false;
      } else {
        cur += c; has = true;
      }
    }
    if (has) out.push(cur);
    return out;
  }

  /* The REST path of a command: its words percent-encoded, joined by '/'. */
  function restPath(ws) {
    return '/rest/' + ws.map(encodeURIComponent).join('/');
  }

  async function fetchTimeout(url, opts, ms) {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), ms || TIMEOUT_MS);
    try {
      return await fetch(url, Object.assign({cache: 'no-store', signal: ctl.signal}, opts || {}));
    } catch (e) {
      throw new Error(e.name === 'AbortError' ? 'no answer from the node' : 'node unreachable');
    } finally {
      clearTimeout(t);
    }
  }

  async function readJson(resp) {
    const text = await resp.text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error('HTTP ' + resp.status + ': ' + (text.trim().slice(0, 200) || resp.statusText));
    }
  }

  /* Runs one command (a line or a word array) through /rest: resolves to {result, state}. */
  async function rest(cmd, ms) {
    const ws = Array.isArray(cmd) ? cmd : words(cmd);
    const resp = await fetchTimeout(restPath(ws), null, ms);
    const j = await readJson(resp);
    if (typeof j !== 'object' || j === null || !('result' in j))
      throw new Error('unexpected reply: ' + JSON.stringify(j).slice(0, 200));
    return j;
  }

  /* Calls a protected endpoint with the tab's password: resolves to {status, body}. */
  async function authFetch(path, opts) {
    const o = Object.assign({}, opts || {});
    o.headers = Object.assign({'x-micros-auth': password() || ''}, o.headers || {});
    const resp = await fetchTimeout(path, o);
    return {status: resp.status, body: await readJson(resp)};
  }

  function password() {
    try { return sessionStorage.getItem(AUTH_KEY); } catch (e) { return null; }
  }
  function setPassword(p) {
    try {
      if (p === null) sessionStorage.removeItem(AUTH_KEY);
      else sessionStorage.setItem(AUTH_KEY, p);
    } catch (e) { /* private mode: ask again next time */ }
  }

  /* A result as text: strings as they are, anything else as indented JSON. */
  function show(result) {
    return typeof result === 'string' ? result : JSON.stringify(result, null, 2);
  }

  /* "D H:M:S" (system info's uptime) -> seconds, or null. */
  function uptimeSeconds(s) {
    const m = /^(\d+) (\d+):(\d+):(\d+)$/.exec(String(s || ''));
    return m ? ((+m[1] * 24 + +m[2]) * 60 + +m[3]) * 60 + +m[4] : null;
  }

  const PAGES = [['/', 'Home'], ['/dashboard.html', 'Dashboard'], ['/config.html', 'Config'], ['/files.html', 'Files']];

  /* Fills <header class="top"> with the node's name and the page links; returns /rest's result. */
  async function header(active) {
    const top = document.querySelector('header.top');
    const dot = el('span', {class: 'dot'});
    const name = el('span', {id: 'node-name'}, 'micrOS');
    top.replaceChildren(
      el('a', {class: 'brand', href: '/'}, dot, name),
      el('nav', {}, PAGES.map(([href, label]) =>
        el('a', {href, class: href === active ? 'active' : null}, label))));
    try {
      const r = await rest([]);
      name.textContent = r.result.node || 'micrOS';
      document.title = name.textContent + ' · ' + document.title.split(' · ').pop();
      dot.classList.add('on');
      if (r.result.config_problem) {
        /* The node runs on a fallback config (fail closed) until a key is saved. */
        const note = el('div', {class: 'banner err', id: 'config-problem', role: 'alert'},
          'Config problem: ' + r.result.config_problem,
          el('div', {class: 'muted'}, 'Check the settings on the Config page and save one: ' +
            'that confirms them and ends this notice.'));
        top.after(note);
      }
      return r.result;
    } catch (e) {
      dot.classList.add('off');
      name.textContent = 'offline';
      return null;
    }
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  return {el, words, restPath, rest, authFetch, fetchTimeout, password, setPassword, show,
          uptimeSeconds, header, sleep};
})();
