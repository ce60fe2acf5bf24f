// The live view's one page: no build step and no network access. uPlot (MIT, ~50 KB) is read from
// node_modules once and inlined, the rest is plain DOM code driven by server-sent events.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cached: string | undefined;

export function livePage(): string {
  if (cached) return cached;
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  cached = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>faultline game day</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${uplotCss}
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1f2933;color:#fff}
header h1{font-size:1.1rem;margin:0;flex:1}#stop{background:#c92a2a;color:#fff;border:0;padding:.5rem 1rem;border-radius:4px;font-weight:600;cursor:pointer}
#stop:disabled{opacity:.5;cursor:default}
main{display:grid;grid-template-columns:300px 1fr;gap:1rem;padding:1rem}
section{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:.6rem .8rem;margin-bottom:1rem}
h2{font-size:.95rem;margin:.1rem 0 .5rem}
#steps{list-style:none;margin:0;padding:0}#steps li{padding:.3rem 0;border-bottom:1px solid #eee;display:flex;justify-content:space-between;gap:.5rem}
#steps li.child{padding-left:1rem}.status{font-weight:600}
.s-passed,.s-confirmed,.s-done{color:#2b8a3e}.s-failed,.s-error,.s-timed-out{color:#c92a2a}.s-aborted{color:#e67700}.s-running,.s-waiting{color:#1c7ed6}.s-skipped{color:#868e96}
.prompt{border:2px solid #1c7ed6;border-radius:6px;padding:.6rem;margin:.4rem 0;background:#e7f5ff}
.prompt button{background:#1c7ed6;color:#fff;border:0;padding:.4rem .9rem;border-radius:4px;font-weight:600;cursor:pointer;margin-top:.4rem}
#faults li{margin:.2rem 0}#region{font-weight:600}#banner{padding:.5rem 1rem;font-weight:600;display:none}
.muted{color:#868e96}
</style></head><body>
<header><h1 id="title">faultline game day</h1><span id="region-box">serving: <span id="region">-</span></span><button id="stop" title="Roll back the current experiment and end the game day">Stop</button></header>
<div id="banner"></div>
<main>
<div>
<section><h2>Steps</h2><ul id="steps"></ul></section>
<section><h2>Operator</h2><div id="prompts"><p class="muted">No operator step is waiting.</p></div></section>
</div>
<div>
<section><h2>Timeline <span id="experiment" class="muted"></span> <span id="phase" class="muted"></span></h2><div id="chart" data-points="0"></div>
<p class="muted">requests/s and errors/s (left), p50/p99 latency in ms (right); shaded: fault windows; strip: serving region.</p></section>
<section><h2>Active faults</h2><ul id="faults"><li class="muted">none</li></ul></section>
</div>
</main>
<script>${uplotJs}</script>
<script>
(function () {
  var token = new URLSearchParams(location.search).get('token') || '';
  var state = { steps: [], timeline: [], faultWindows: [], activeFaults: [], prompts: [] };
  var colors = ['#2b8a3e', '#1c7ed6', '#e67700', '#7048e8', '#c2255c'];
  var regionColor = {};
  function colorOf(r) { if (!(r in regionColor)) regionColor[r] = colors[Object.keys(regionColor).length % colors.length]; return regionColor[r]; }
  function el(tag, attrs, text) { var e = document.createElement(tag); for (var k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
  function post(path, body) {
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-faultline-token': token }, body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.status); return j; }); });
  }
  function banner(text, color) { var b = document.getElementById('banner'); b.textContent = text; b.style.display = 'block'; b.style.background = color; }

  var plot = new uPlot({
    width: Math.max(400, document.getElementById('chart').clientWidth || 700), height: 300,
    scales: { x: { time: true }, ms: { auto: true } },
    series: [{}, { label: 'req/s', stroke: '#1c7ed6', width: 2 }, { label: 'errors/s', stroke: '#c92a2a', width: 2 },
      { label: 'p50 ms', stroke: '#2b8a3e', scale: 'ms' }, { label: 'p99 ms', stroke: '#e67700', scale: 'ms' }],
    axes: [{}, { label: 'per second' }, { side: 1, scale: 'ms', label: 'ms', grid: { show: false } }],
    hooks: { drawClear: [function (u) {
      var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
      ctx.save();
      state.faultWindows.forEach(function (w) {
        var x0 = u.valToPos(w.from / 1000, 'x', true), x1 = u.valToPos((w.to || Date.now()) / 1000, 'x', true);
        ctx.fillStyle = 'rgba(201,42,42,0.12)'; ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
      });
      state.timeline.forEach(function (p) {
        if (!p.region) return;
        var x0 = u.valToPos(p.t / 1000, 'x', true), x1 = u.valToPos(p.t / 1000 + 1, 'x', true);
        ctx.fillStyle = colorOf(p.region); ctx.fillRect(x0, top + h - 6, Math.max(1, x1 - x0), 6);
      });
      ctx.restore();
    }] }
  }, [[], [], [], [], []], document.getElementById('chart'));

  function drawChart() {
    var tl = state.timeline;
    plot.setData([tl.map(function (p) { return p.t / 1000; }), tl.map(function (p) { return p.rps; }), tl.map(function (p) { return p.errors; }),
      tl.map(function (p) { return p.p50 == null ? null : p.p50; }), tl.map(function (p) { return p.p99 == null ? null : p.p99; })]);
    document.getElementById('chart').setAttribute('data-points', String(tl.length));
    var last = tl[tl.length - 1];
    var reg = document.getElementById('region');
    if (last && last.regions) {
      var total = 0, parts = []; for (var r in last.regions) total += last.regions[r];
      for (var r2 in last.regions) parts.push(r2 + ' ' + Math.round(100 * last.regions[r2] / total) + '%');
      reg.textContent = parts.join(', '); reg.style.color = colorOf(last.region);
    }
  }
  function drawSteps() {
    var ul = document.getElementById('steps'); ul.textContent = '';
    state.steps.forEach(function (s) {
      var li = el('li', { 'data-step-id': s.id, 'data-status': s.status, class: s.id.indexOf('.') >= 0 ? 'child' : '' });
      li.appendChild(el('span', {}, s.id + ' ' + s.name + ' (' + s.kind + ')'));
      li.appendChild(el('span', { class: 'status s-' + s.status }, s.status));
      if (s.error) li.title = s.error;
      ul.appendChild(li);
    });
  }
  function drawPrompts() {
    var box = document.getElementById('prompts'); box.textContent = '';
    if (!state.prompts.length) { box.appendChild(el('p', { class: 'muted' }, 'No operator step is waiting.')); return; }
    state.prompts.forEach(function (p) {
      var d = el('div', { class: 'prompt', 'data-step-id': p.stepId });
      d.appendChild(el('div', {}, p.step + ': ' + p.prompt));
      d.appendChild(el('div', { class: 'muted' }, 'shown ' + new Date(p.shownAt).toLocaleTimeString()));
      var b = el('button', { class: 'confirm', 'data-step-id': p.stepId }, 'Confirm');
      b.onclick = function () { b.disabled = true; post('/api/confirm', { stepId: p.stepId }).catch(function (e) { b.disabled = false; alert('Confirm failed: ' + e.message); }); };
      d.appendChild(b); box.appendChild(d);
    });
  }
  function drawFaults() {
    var ul = document.getElementById('faults'); ul.textContent = '';
    if (!state.activeFaults.length) { ul.appendChild(el('li', { class: 'muted' }, 'none')); return; }
    state.activeFaults.forEach(function (f) {
      var left = f.expiresAt ? Math.max(0, Math.round((f.expiresAt - Date.now()) / 1000)) + ' s left (until ' + new Date(f.expiresAt).toLocaleTimeString() + ')' : 'until the fault phase ends';
      ul.appendChild(el('li', { 'data-fault': f.name }, f.name + ': ' + left));
    });
  }
  function drawHeader() {
    if (state.gameday) document.getElementById('title').textContent = 'Game day ' + state.gameday.name;
    document.getElementById('experiment').textContent = state.experiment ? '· ' + state.experiment.name : '';
    document.getElementById('phase').textContent = state.phase ? '· ' + state.phase : '';
    if (state.finished) {
      document.getElementById('stop').disabled = true;
      banner('Finished: ' + state.finished.verdict + ' (report in ' + state.finished.outDir + ')', state.finished.verdict === 'passed' ? '#d3f9d8' : '#ffe3e3');
      document.body.setAttribute('data-verdict', state.finished.verdict);
    } else if (state.stopping) { document.getElementById('stop').disabled = true; banner('Stopping: rolling back the current experiment...', '#fff3bf'); }
  }
  function drawAll() { drawHeader(); drawSteps(); drawPrompts(); drawFaults(); drawChart(); }

  function apply(e) {
    switch (e.type) {
      case 'gameday': state.gameday = e; break;
      case 'step': var i = state.steps.findIndex(function (x) { return x.id === e.step.id; }); if (i >= 0) state.steps[i] = e.step; else state.steps.push(e.step); state.steps.sort(function (a, b) { return a.id.localeCompare(b.id, undefined, { numeric: true }); }); break;
      case 'experiment': state.experiment = e; break;
      case 'phase': state.phase = e.name; break;
      case 'tick':
        var at = state.timeline.findIndex(function (p) { return p.t === e.point.t; });
        if (at >= 0) state.timeline[at] = e.point; else state.timeline.push(e.point);
        if (state.timeline.length > 1800) state.timeline.shift();
        break;
      case 'fault':
        if (e.action === 'applied') { state.activeFaults.push({ name: e.name, appliedAt: e.at, expiresAt: e.expiresAt }); state.faultWindows.push({ name: e.name, from: e.at }); }
        else { state.activeFaults = state.activeFaults.filter(function (f) { return f.name !== e.name; }); state.faultWindows.forEach(function (w) { if (w.name === e.name && !w.to) w.to = e.at; }); }
        break;
      case 'prompt': state.prompts.push(e.prompt); break;
      case 'confirmed': state.prompts = state.prompts.filter(function (p) { return p.stepId !== e.stepId; }); break;
      case 'stopping': state.stopping = true; break;
      case 'finished': state.finished = e; state.prompts = []; state.activeFaults = []; break;
    }
  }
  var es = new EventSource('/events');
  es.addEventListener('snapshot', function (m) { state = JSON.parse(m.data); drawAll(); });
  ['gameday', 'step', 'experiment', 'phase', 'tick', 'fault', 'prompt', 'confirmed', 'stopping', 'finished'].forEach(function (t) {
    es.addEventListener(t, function (m) { apply(JSON.parse(m.data)); drawAll(); });
  });
  setInterval(drawFaults, 1000);
  document.getElementById('stop').onclick = function () {
    if (!confirm('Stop the game day? The current experiment is rolled back and the remaining steps are skipped.')) return;
    post('/api/stop').catch(function (e) { alert('Stop failed: ' + e.message); });
  };
  if (!token) { document.getElementById('stop').disabled = true; banner('Read-only: open the URL with ?token=... printed by faultline to confirm or stop.', '#fff3bf'); }
})();
</script></body></html>`;
  return cached;
}
