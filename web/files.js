/* files.js - the Files page: the node's file server (/fs, docs/files.md). Browse the folders,
 * upload by drag and drop or the picker (one request per file, with a progress bar), download,
 * delete, and the disk usage. Writes send the tab's password as x-micros-auth. A Lua module
 * (LM_<name>.lua) uploaded into $modules is checked with `lua stats`: ready (with a link to
 * call it on the dashboard) or why not; dropped elsewhere, the page offers to put it there. */
'use strict';
(() => {
  const {el, header, password, setPassword, fetchTimeout} = Micros;
  const $ = (id) => document.getElementById(id);
  let folder = '/user_data';
  let writable = {};

  function message(text, kind) {
    const m = $('msg');
    m.textContent = text || '';
    m.className = 'msg' + (kind ? ' ' + kind : '');
  }

  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    if (password()) h['x-micros-auth'] = password();
    return h;
  }

  function askPassword(why) {
    $('pwd-row').classList.remove('hidden');
    message(why || 'This needs the node password.', 'err');
    $('pwd').focus();
  }

  function human(n) {
    const u = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
  }

  async function loadDirs() {
    const r = await fetchTimeout('/fs/dirs');
    if (r.status === 404) {
      $('off').classList.remove('hidden');
      $('files-card').classList.add('fs-off');
      return false;
    }
    $('off').classList.add('hidden');
    const dirs = await r.json();
    const sel = $('folder');
    sel.replaceChildren(...dirs.map(([p, m]) => el('option', {value: p}, p)));
    writable = Object.fromEntries(dirs);
    sel.value = folder;
    return true;
  }

  async function loadList() {
    const tb = $('list').querySelector('tbody');
    const r = await fetchTimeout('/fs/list', {method: 'POST', body: folder,
      headers: authHeaders({'content-type': 'text/plain'})});
    if (r.status === 401) {
      tb.replaceChildren(el('tr', {}, el('td', {colspan: 4, class: 'muted'}, 'locked')));
      askPassword('Listing ' + folder + ' needs the node password.');
      return;
    }
    const items = await r.json();
    $('mode').replaceChildren(writable[folder] === 'rw' ? 'read-write' : 'read-only',
      writable[folder] !== 'rw' && folder.startsWith('$') ? el('span', {}, ' (set fs_mounts_rw to True on the ',
        el('a', {href: '/config.html#key-fs_mounts_rw', id: 'mounts-config'}, 'Config page'), ' to upload here)') : null);
    $('drop').classList.toggle('hidden', writable[folder] !== 'rw');
    items.sort((a, b) => a.path.localeCompare(b.path));
    tb.replaceChildren(...(items.length ? items.map(row) :
      [el('tr', {}, el('td', {colspan: 4, class: 'muted'}, 'No files.'))]));
  }

  function row(it) {
    const name = it.path.split('/').pop();
    const when = it.created ? new Date(it.created * 1000).toLocaleString() : '';
    const del = writable[folder] === 'rw' ?
      el('button', {class: 'danger', type: 'button', 'aria-label': 'Delete ' + name,
        onclick: () => remove(it.path, name)}, 'Delete') : null;
    return el('tr', {'data-name': name},
      el('td', {}, el('a', {href: '#', class: 'dl', onclick: (e) => { e.preventDefault(); download(it.path, name); }}, name)),
      el('td', {class: 'num'}, human(it.size)), el('td', {}, when), el('td', {}, del));
  }

  async function download(path, name) {
    const r = await fetchTimeout('/' + path.replace(/^\//, ''), {headers: authHeaders()}, 600000);
    if (r.status === 401) return askPassword('Downloading needs the node password.');
    if (!r.ok) return message('Download failed: HTTP ' + r.status, 'err');
    const url = URL.createObjectURL(await r.blob());
    const a = el('a', {href: url, download: name});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function remove(path, name) {
    if (!confirm('Delete ' + name + '?')) return;
    const r = await fetchTimeout('/fs/files', {method: 'DELETE', body: path,
      headers: authHeaders({'content-type': 'text/plain'})});
    const text = await r.text();
    if (r.status === 401) return askPassword('Deleting needs the node password.');
    message(r.ok ? 'Deleted ' + name : text, r.ok ? 'ok' : 'err');
    await refresh();
  }

  const LUA_MODULE = /^LM_([A-Za-z_][A-Za-z0-9_]*)\.lua$/;

  /* After a Lua module's upload: in $modules, whether the node can run it (`lua stats`: its
   * load error, or a name it may not take) and a link to call it; elsewhere, an offer to put
   * it into $modules, where modules live. */
  async function luaNote(box, file, into) {
    const name = LUA_MODULE.exec(file.name)[1];
    const note = el('span', {class: 'lm'});
    box.append(note);
    if (into !== '$modules') {
      if (writable.$modules === 'rw') {
        note.append('A Lua module runs from $modules: ', el('button', {type: 'button', class: 'ghost put-modules',
          onclick: async () => { note.remove(); await uploadOne(file, '$modules'); await refresh(); }},
        'Put it in $modules'));
      } else if (writable.$modules) {
        note.append('A Lua module runs from $modules (read-only now: config fs_mounts_rw True).');
      }
      return;
    }
    let st = null;
    try {
      const r = await Micros.rest(['lua', 'stats']);
      st = r.state && r.result && typeof r.result === 'object' ? r.result[name] : null;
    } catch (e) { /* say nothing we do not know */ }
    if (!st) return;
    if (st.error) {
      note.classList.add('err');
      note.dataset.state = 'error';
      note.textContent = st.error;
      return;
    }
    note.classList.add('ok');
    note.dataset.state = 'ok';
    note.append(name + ' is ready: ', el('a', {href: '/dashboard.html?load=' + encodeURIComponent(name),
      class: 'open-dash'}, 'call it on the dashboard'));
  }

  /* One file, one multipart request, with a progress bar (XMLHttpRequest reports upload
   * progress; fetch does not). into: the folder (default: the one shown). */
  function uploadOne(file, into) {
    const dir = into || folder;
    return new Promise((resolve) => {
      const target = dir === '/user_data' ? file.name : dir + '/' + file.name;
      const bar = el('div', {class: 'bar'});
      const label = el('span', {}, file.name + ' 0%');
      const box = el('div', {class: 'upload', 'data-name': file.name, 'data-folder': dir}, label,
        el('div', {class: 'usage'}, bar));
      $('uploads').append(box);
      const fd = new FormData();
      fd.append('file', file, target);
      const x = new XMLHttpRequest();
      x.open('POST', '/fs/files');
      if (password()) x.setRequestHeader('x-micros-auth', password());
      x.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        const pc = Math.round(100 * e.loaded / e.total);
        bar.style.width = pc + '%';
        label.textContent = file.name + ' ' + pc + '%';
      };
      x.onload = async () => {
        const ok = x.status === 200;
        bar.style.width = '100%';
        label.textContent = file.name + (ok ? ' uploaded' : ' failed: ' + x.responseText);
        if (x.status === 401) askPassword('Uploading needs the node password.');
        if (ok && LUA_MODULE.test(file.name)) await luaNote(box, file, dir);
        box.classList.add(ok ? 'done' : 'failed');
        resolve(ok);
      };
      x.onerror = () => {
        box.classList.add('failed');
        label.textContent = file.name + ' failed: connection lost';
        resolve(false);
      };
      x.send(fd);
    });
  }

  async function uploadAll(files) {
    for (const b of $('uploads').querySelectorAll('.upload.done, .upload.failed')) b.remove();
    let ok = 0;
    for (const f of files) ok += await uploadOne(f) ? 1 : 0;
    message(ok + ' of ' + files.length + ' uploaded', ok === files.length ? 'ok' : 'err');
    await refresh();
  }

  async function usage() {
    const r = await fetchTimeout('/fs/usage');
    if (!r.ok) return;
    const u = await r.json();
    const total = u.used + u.free;
    $('usage-bar').style.width = (total ? Math.round(100 * u.used / total) : 0) + '%';
    $('usage').textContent = human(u.used) + ' used, ' + human(u.free) + ' free';
  }

  async function refresh() {
    try {
      if (!await loadDirs()) return;
      await loadList();
      await usage();
    } catch (e) {
      message(e.message, 'err');
    }
  }

  function wire() {
    const drop = $('drop');
    ['dragenter', 'dragover'].forEach((t) => drop.addEventListener(t, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    }));
    ['dragleave', 'drop'].forEach((t) => drop.addEventListener(t, () => drop.classList.remove('over')));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      uploadAll([...e.dataTransfer.files]);
    });
    $('pick').addEventListener('change', (e) => uploadAll([...e.target.files]));
    $('folder').addEventListener('change', (e) => { folder = e.target.value; refresh(); });
    $('refresh').addEventListener('click', refresh);
    $('pwd-ok').addEventListener('click', () => {
      setPassword($('pwd').value);
      $('pwd-row').classList.add('hidden');
      message('');
      refresh();
    });
    $('start-fs').addEventListener('click', async () => {
      const r = await fetchTimeout('/rest/fileserver/load');
      const j = await r.json().catch(() => ({}));
      message(Micros.show(j.result || ('HTTP ' + r.status)), r.ok ? 'ok' : 'err');
      refresh();
    });
  }

  wire();
  header('/files.html');
  refresh();
})();
