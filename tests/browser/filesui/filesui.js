// filesui.js - the test's stand-in for micrOS's filesui.js (COMPAT Part C.2 contract only).
'use strict';
const $ = (id) => document.getElementById(id);

async function dirs() {
  const list = await (await fetch('/fs/dirs')).json();
  $('dir').replaceChildren(...list.map(([p, mode]) => {
    const o = document.createElement('option');
    o.value = p;
    o.textContent = p + ' (' + mode + ')';
    return o;
  }));
}

async function files() {
  const list = await (await fetch('/fs/list', {method: 'POST', body: $('dir').value})).json();
  $('files').replaceChildren(...list.map((f) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = f.path;
    a.textContent = f.path + ' ' + f.size;
    const del = document.createElement('button');
    del.textContent = 'delete';
    del.onclick = async () => {
      const r = await fetch('/fs/files', {method: 'DELETE', body: f.path});
      $('status').textContent = 'delete: ' + (await r.text());
      await files();
    };
    li.append(a, del);
    return li;
  }));
  const u = await (await fetch('/fs/usage')).json();
  $('usage').textContent = 'used ' + u.used + ' free ' + u.free;
}

$('send').onclick = async () => {
  const fd = new FormData();
  for (const f of $('up').files) fd.append('file', f, f.name);
  const r = await fetch('/fs/files', {method: 'POST', body: fd});
  $('status').textContent = 'upload: ' + (await r.text());
  await files();
};
$('dir').onchange = files;
dirs().then(files);
