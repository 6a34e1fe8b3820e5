/* auth.js - loaded by the node's 401 page for a protected endpoint (COMPAT §3.4): asks for the
 * node password, repeats the request with the x-micros-auth header and shows the answer in
 * place. The password is kept for this tab (sessionStorage, shared with the config page). */
'use strict';
(() => {
  const KEY = 'micros-auth';
  const url = location.pathname + location.search;

  function stored() {
    try { return sessionStorage.getItem(KEY); } catch (e) { return null; }
  }
  function store(p) {
    try { if (p === null) sessionStorage.removeItem(KEY); else sessionStorage.setItem(KEY, p); } catch (e) { /* */ }
  }

  function node(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text) e.textContent = text;
    return e;
  }

  /* Replaces this page with the answer: HTML as a document, images and text as they are. */
  async function show(resp) {
    const type = (resp.headers.get('content-type') || '').toLowerCase();
    if (type.startsWith('text/html')) {
      const html = await resp.text();
      document.open();
      document.write(html);
      document.close();
      return;
    }
    const main = node('main');
    if (type.startsWith('image/')) {
      const img = node('img', {alt: url, class: 'embed'});
      img.src = URL.createObjectURL(await resp.blob());
      main.append(img);
    } else {
      let text = await resp.text();
      if (type.startsWith('application/json')) {
        try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* shown as sent */ }
      }
      main.append(node('pre', {class: 'out wide', id: 'auth-result'}, text));
    }
    document.body.replaceChildren(main);
  }

  async function attempt(pwd) {
    const resp = await fetch(url, {cache: 'no-store', headers: {'x-micros-auth': pwd, accept: 'text/html,*/*'}});
    if (resp.status === 401) return false;
    store(pwd);
    await show(resp);
    return true;
  }

  function form(note) {
    if (!document.querySelector('link[href="/style.css"]'))
      document.head.append(node('link', {rel: 'stylesheet', href: '/style.css'}));
    if (!document.querySelector('meta[name=viewport]'))
      document.head.append(node('meta', {name: 'viewport', content: 'width=device-width, initial-scale=1'}));
    const f = node('form', {class: 'card login', id: 'auth-form'});
    const input = node('input', {type: 'password', id: 'auth-pwd', autocomplete: 'current-password',
      placeholder: 'Password', 'aria-label': 'Password'});
    const msg = node('p', {class: 'msg err', role: 'alert'}, note || '');
    f.append(node('h2', {}, 'Password required'),
      node('p', {class: 'muted'}, '/' + url.replace(/^\//, '') + ' is protected by the node password.'),
      input, node('button', {type: 'submit'}, 'Continue'), msg);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      msg.textContent = '';
      try {
        if (!(await attempt(input.value))) { msg.textContent = 'Wrong password.'; input.select(); }
      } catch (e) {
        msg.textContent = 'Node unreachable.';
      }
    });
    const main = node('main');
    main.append(f);
    document.body.replaceChildren(main);
    input.focus();
  }

  async function start() {
    const pwd = stored();
    if (pwd !== null) {
      try {
        if (await attempt(pwd)) return;
        store(null);
        form('The saved password was not accepted.');
        return;
      } catch (e) { /* fall through to the form */ }
    }
    form('');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
