/* index.js - the home page: node identity and state, modules, and a command box over /rest. */
'use strict';
(() => {
  const {el, rest, words, restPath, show} = Micros;
  const HISTORY_KEY = 'micros-history';
  const HISTORY_MAX = 20;
  const $ = (id) => document.getElementById(id);
  let history = [];
  let cursor = -1;
  let node = null;            /* /rest's result: name, version, auth, endpoints */

  function loadHistory() {
    try { history = JSON.parse(localStorage.getItem(HISTORY_KEY)) || []; } catch (e) { history = []; }
    if (!Array.isArray(history)) history = [];
  }
  function saveHistory() {
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(history)); } catch (e) { /* full */ }
  }

  function renderHistory() {
    const ol = $('history');
    if (history.length === 0) {
      ol.replaceChildren(el('li', {class: 'muted'}, 'No commands yet.'));
      return;
    }
    ol.replaceChildren(...history.map((h) => el('li', {},
      el('button', {type: 'button', title: 'Run again', onclick: () => { $('cmd').value = h.cmd; run(h.cmd); }},
        h.cmd),
      el('span', {class: 'badge ' + (h.state ? 'ok' : 'err')}, h.state ? 'ok' : 'error'))));
  }

  async function run(line) {
    line = line.trim();
    if (!line) return;
    const ws = words(line);
    const out = $('cmd-out');
    $('cmd-url').textContent = 'GET ' + restPath(ws);
    $('run').disabled = true;
    out.classList.remove('hidden', 'err');
    out.textContent = '…';
    let state = false;
    try {
      const r = await rest(ws, 30000);
      state = r.state === true;
      out.textContent = show(r.result);
      out.classList.toggle('err', !state);
    } catch (e) {
      out.textContent = e.message;
      out.classList.add('err');
    }
    out.dataset.state = state ? 'ok' : 'error';
    $('run').disabled = false;
    history = [{cmd: line, state}].concat(history.filter((h) => h.cmd !== line)).slice(0, HISTORY_MAX);
    cursor = -1;
    saveHistory();
    renderHistory();
    refreshModules(); /* a module is loaded on its first use */
  }

  function onKey(ev) {
    if (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') return;
    if (history.length === 0) return;
    ev.preventDefault();
    cursor = ev.key === 'ArrowUp' ? Math.min(cursor + 1, history.length - 1) : Math.max(cursor - 1, -1);
    $('cmd').value = cursor < 0 ? '' : history[cursor].cmd;
  }

  async function refreshInfo() {
    const rows = [];
    if (node) {
      rows.push(['name', node.node], ['version', node.micrOS], ['auth', String(node.auth)]);
    }
    try {
      const r = await rest(['system', 'info']);
      if (r.state && r.result && typeof r.result === 'object') {
        const order = ['uptime', 'board', 'upython', 'CPU clock [MHz]', 'CPU load [%]',
          'Mem usage [%]', 'FS usage [%]', 'mac'];
        const keys = order.filter((k) => k in r.result)
          .concat(Object.keys(r.result).filter((k) => !order.includes(k)));
        for (const k of keys) rows.push([k, show(r.result[k])]);
      } else {
        rows.push(['system info', show(r.result)]);
      }
    } catch (e) {
      rows.push(['status', e.message]);
    }
    $('info').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {'data-key': k}, v)]));
  }

  async function refreshModules() {
    try {
      const r = await rest(['modules']);
      const mods = Array.isArray(r.result) ? r.result : [];
      $('modules').replaceChildren(...mods.map((m) => el('li', {},
        el('button', {type: 'button', title: m + ' help', onclick: () => { $('cmd').value = m + ' help'; run(m + ' help'); }},
          m))));
    } catch (e) {
      $('modules').replaceChildren(el('li', {class: 'err'}, e.message));
    }
    const eps = node && Array.isArray(node.usr_endpoints) ? node.usr_endpoints : [];
    $('endpoints').replaceChildren(...(eps.length ? eps.map((p) => el('li', {}, el('a', {href: '/' + p}, '/' + p)))
      : [el('li', {class: 'muted'}, 'none')]));
  }

  async function start() {
    loadHistory();
    renderHistory();
    $('cmd-form').addEventListener('submit', (ev) => { ev.preventDefault(); run($('cmd').value); });
    $('cmd').addEventListener('keydown', onKey);
    node = await Micros.header('/');
    await refreshInfo(); /* first: it loads system, which the module list then shows */
    await refreshModules();
    setInterval(() => { if (!document.hidden) refreshInfo(); }, 10000);
  }
  start();
})();
