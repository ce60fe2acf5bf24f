// k6/html (issue 20): parseHTML, res.html(), the Selection and Element APIs as the k6 docs show
// them, and res.submitForm() / res.clickLink(), in scripts run by `faultline load` in a child
// process against a real local HTTP server. Each script posts what it saw to /result; the
// assertions are here, on what the server received.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptServer, type ScriptServer } from '../../helpers/script-server.js';

const PAGE = `<!doctype html>
<html lang="en"><head><title>Pizza shop</title></head>
<body>
<table id="menu"><tr><td>Margherita</td><td>9</td></tr><tr><td>Diavola</td><td>11</td></tr></table>
<ul id="items">
  <li class="item" data-id="1" data-price="9.5" data-tags='["veg"]'>Apple</li>
  <li class="item" data-id="2">Pear</li>
  <li class="item sold">Plum</li>
  <li class="item"><!-- note -->Fig <b>fresh</b></li>
</ul>
<p>one<p>two
<a id="next" href="/catalog?page=2">next</a>
<a class="ext" href="https://elsewhere.test/x">away</a>
<form id="login" action="/login" method="post">
  <input name="user" value="ann">
  <input type="password" name="password">
  <input type="hidden" name="csrf" value="t0k3n">
  <input type="checkbox" name="remember" checked>
  <input type="checkbox" name="newsletter">
  <input type="radio" name="plan" value="basic">
  <input type="radio" name="plan" value="pro" checked>
  <input name="locked" value="x" disabled>
  <select name="lang"><option value="en">English</option><option value="fr" selected>Français</option></select>
  <select name="toppings" multiple><option selected>cheese</option><option value="ham" selected>Ham</option><option>olives</option></select>
  <textarea name="note">hello
there</textarea>
  <input type="file" name="avatar">
  <input type="submit" name="action" value="Sign in">
</form>
<form id="search" action="search"><input name="q" value="old"><button type="submit" name="go" value="1">Go</button></form>
</body></html>`;

describe('k6/html: parseHTML, res.html() and res.submitForm() against a local server', function () {
  this.timeout(60_000);
  let srv: ScriptServer;
  let base: string;
  let dir: string;
  const seen: { method: string; path: string; body: string; type?: string }[] = [];

  before(async () => {
    srv = await startScriptServer('faultline-k6html-', (req, body, res) => {
      seen.push({ method: req.method!, path: req.url!, body, type: req.headers['content-type'] });
      const html = req.url!.startsWith('/shop/page') ? PAGE : `<html><body><h1>${req.method} ${req.url}</h1></body></html>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) }).end(html);
    });
    ({ base, dir } = srv);
  });
  after(() => srv.close());

  const script = (name: string, text: string) => srv.script(name, text);
  const load = (path: string) => srv.load(path);
  const result = (name: string): Record<string, unknown> => {
    const r = seen.find((s) => s.path === `/result/${name}`);
    expect(r, `the script posted /result/${name}`).to.not.equal(undefined);
    return JSON.parse(r!.body) as Record<string, unknown>;
  };

  it('parseHTML and the Selection API as the k6 docs show them (find, attr, text, html, each, map, filter, is, traversal, val, data, serialize...)', async () => {
    writeFileSync(join(dir, 'page.html'), PAGE);
    const r = await load(
      script(
        'selection.js',
        `import http from 'k6/http';
import { parseHTML } from 'k6/html';
const content = open('./page.html');
export default function () {
  const doc = parseHTML(content);
  const out = {};
  out.title = doc.find('title').text();
  out.tbody = doc.find('#menu > tbody > tr').size();           // implied <tbody>, as an HTML5 parser makes it
  out.paragraphs = doc.find('p').size();                          // <p>one<p>two: two paragraphs
  out.attr = doc.find('#next').attr('href');
  out.attrDefault = doc.find('#next').attr('rel', 'none');
  out.attrMissing = doc.find('#nothing').attr('href') === undefined;
  out.html = doc.find('li').last().html();
  out.htmlEmpty = doc.find('#nothing').html() === undefined;
  out.texts = doc.find('li').map(function (idx, el) { return idx + ':' + el.text(); });
  const each = [];
  doc.find('li').each(function (idx, el) { each.push(el.nodeName() + '#' + el.getAttribute('data-id') + '=' + el.textContent()); });
  out.each = each;
  out.filterSel = doc.find('li').filter('.sold').text();
  out.filterFn = doc.find('li').filter(function (i, s) { return s.attr('data-id') !== undefined; }).size();
  out.filterSelection = doc.find('li').filter(doc.find('.sold')).size();
  out.is = [doc.find('li').is('.sold'), doc.find('li').first().is('.sold'), doc.find('li').is(function (i, s) { return s.text() === 'Pear'; })];
  out.not = doc.find('li').not('.sold').size();
  out.has = doc.find('li').has('b').size();
  out.eq = [doc.find('li').eq(1).text(), doc.find('li').first().text(), doc.find('li').last().find('b').text()];
  out.slice = doc.find('li').slice(1, 3).map(function (i, s) { return s.text(); });
  out.children = doc.find('#items').children().size();
  out.childrenSel = doc.find('#items').children('.sold').size();
  out.contents = doc.find('li').last().contents().size();
  out.parent = doc.find('.sold').parent().attr('id');
  out.parents = doc.find('.sold').parents().map(function (i, s) { return s.get(0).nodeName(); });
  out.parentsUntil = doc.find('b').parentsUntil('ul').size();
  out.closest = doc.find('b').closest('ul').attr('id');
  out.next = doc.find('li').first().next().text();
  out.nextAll = doc.find('li').first().nextAll().size();
  out.nextUntil = doc.find('li').first().nextUntil('.sold').size();
  out.prev = doc.find('.sold').prev().text();
  out.prevAll = doc.find('.sold').prevAll().size();
  out.prevUntil = doc.find('li').last().prevUntil('[data-id="1"]').size();
  out.data = doc.find('li').first().data();
  out.dataKey = doc.find('li').first().data('price');
  out.dataNone = doc.find('li').eq(2).data('id') === undefined;
  out.val = [doc.find('[name=user]').val(), doc.find('[name=lang]').val(), doc.find('[name=toppings]').val(), doc.find('[name=note]').val(), doc.find('li').val() === undefined];
  out.serializeArray = doc.find('#login').serializeArray();
  out.serializeObject = doc.find('#login').serializeObject();
  out.serialize = doc.find('#search').serialize();
  out.toArray = doc.find('li').toArray().map(function (s) { return s.text().length; });
  const el = doc.find('li').get(0);
  out.element = {
    nodeType: el.nodeType(), id: doc.find('#items').get(0).id(), classList: doc.find('.sold').get(0).classList(),
    parent: el.parentElement().id(), next: el.nextElementSibling().textContent(), children: doc.find('#items').get(0).childElementCount(),
    query: doc.find('#items').get(0).querySelectorAll('li.item').length, first: doc.find('#items').get(0).querySelector('.sold').textContent(),
    matches: el.matches('li[data-id]'), hasAttr: el.hasAttribute('data-price'), attrs: Object.keys(el.attributes()).sort(),
    inner: doc.find('li').get(3).innerHTML(), lang: doc.find('html').get(0).lang(), textNode: doc.find('li').last().contents().get(0).nodeType(),
    options: doc.find('[name=lang]').get(0).options().length, selected: doc.find('[name=lang]').get(0).selectedIndex(),
    last: doc.find('li').get(-1).textContent(),
  };
  http.post(__ENV.BASE + '/result/selection', JSON.stringify(out));
}`,
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(0);
    const o = result('selection');
    expect(o.title).to.equal('Pizza shop');
    expect(o.tbody).to.equal(2);
    expect(o.paragraphs).to.equal(2);
    expect(o.attr).to.equal('/catalog?page=2');
    expect(o.attrDefault).to.equal('none');
    expect(o.attrMissing).to.equal(true);
    expect(o.html).to.equal('<!-- note -->Fig <b>fresh</b>');
    expect(o.htmlEmpty).to.equal(true);
    expect(o.texts).to.deep.equal(['0:Apple', '1:Pear', '2:Plum', '3:Fig fresh']);
    expect(o.each).to.deep.equal(['li#1=Apple', 'li#2=Pear', 'li#undefined=Plum', 'li#undefined=Fig fresh']);
    expect(o.filterSel).to.equal('Plum');
    expect(o.filterFn).to.equal(2);
    expect(o.filterSelection).to.equal(1);
    expect(o.is).to.deep.equal([true, false, true]);
    expect(o.not).to.equal(3);
    expect(o.has).to.equal(1);
    expect(o.eq).to.deep.equal(['Pear', 'Apple', 'fresh']);
    expect(o.slice).to.deep.equal(['Pear', 'Plum']);
    expect(o.children).to.equal(4);
    expect(o.childrenSel).to.equal(1);
    expect(o.contents).to.equal(3);
    expect(o.parent).to.equal('items');
    expect(o.parents).to.deep.equal(['ul', 'body', 'html']);
    expect(o.parentsUntil).to.equal(1);
    expect(o.closest).to.equal('items');
    expect(o.next).to.equal('Pear');
    expect(o.nextAll).to.equal(3);
    expect(o.nextUntil).to.equal(1);
    expect(o.prev).to.equal('Pear');
    expect(o.prevAll).to.equal(2);
    expect(o.prevUntil).to.equal(2);
    expect(o.data).to.deep.equal({ id: 1, price: 9.5, tags: ['veg'] });
    expect(o.dataKey).to.equal(9.5);
    expect(o.dataNone).to.equal(true);
    expect(o.val).to.deep.equal(['ann', 'fr', ['cheese', 'ham'], 'hello\nthere', true]);
    // checked boxes only, no disabled/file/submit fields, every selected option, CRLF in textareas
    expect(o.serializeArray).to.deep.equal([
      { name: 'user', value: 'ann' },
      { name: 'password', value: '' },
      { name: 'csrf', value: 't0k3n' },
      { name: 'remember', value: 'on' },
      { name: 'plan', value: 'pro' },
      { name: 'lang', value: 'fr' },
      { name: 'toppings', value: 'cheese' },
      { name: 'toppings', value: 'ham' },
      { name: 'note', value: 'hello\r\nthere' },
    ]);
    expect(o.serializeObject).to.deep.equal({ user: 'ann', password: '', csrf: 't0k3n', remember: 'on', plan: 'pro', lang: 'fr', toppings: 'ham', note: 'hello\r\nthere' });
    expect(o.serialize).to.equal('q=old');
    expect(o.toArray).to.deep.equal([5, 4, 4, 9]);
    expect(o.element).to.deep.equal({
      nodeType: 1,
      id: 'items',
      classList: ['item', 'sold'],
      parent: 'items',
      next: 'Pear',
      children: 4,
      query: 4,
      first: 'Plum',
      matches: true,
      hasAttr: true,
      attrs: ['class', 'data-id', 'data-price', 'data-tags'],
      inner: '<!-- note -->Fig <b>fresh</b>',
      lang: 'en',
      textNode: 8,
      options: 2,
      selected: 1,
      last: 'Fig fresh',
    });
  });

  it('res.html(selector), res.submitForm() (POST with fields, GET to a relative action) and res.clickLink()', async () => {
    const r = await load(
      script(
        'forms.js',
        `import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const res = http.get(__ENV.BASE + '/shop/page');
  const out = {};
  out.title = res.html().find('title').text();
  out.items = res.html('li.item').size();
  out.link = res.html('#next').get(0).href();
  let sent = res.submitForm({ formSelector: '#login', fields: { password: 's3cret', user: 'bob' }, params: { headers: { 'X-Form': 'login' }, tags: { name: 'login' } } });
  out.post = [sent.status, sent.url, sent.html('h1').text()];
  sent = res.submitForm({ formSelector: '#search', fields: { q: 'pizza & pasta' } });
  out.get = [sent.status, sent.url];
  const clicked = res.clickLink({ selector: '#next' });
  out.click = [clicked.status, clicked.url];
  out.defaultClick = res.clickLink().url;
  try { res.submitForm({ formSelector: '#nope' }); } catch (e) { out.noForm = String(e.message); }
  http.post(__ENV.BASE + '/result/forms', JSON.stringify(out));
}`,
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(0);
    const o = result('forms');
    expect(o.title).to.equal('Pizza shop');
    expect(o.items).to.equal(4);
    expect(o.link).to.equal(`${base}/catalog?page=2`);
    const login = seen.find((s) => s.path === '/login')!;
    expect(login.method).to.equal('POST');
    expect(login.type).to.equal('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(login.body))).to.deep.equal({
      user: 'bob',
      password: 's3cret',
      csrf: 't0k3n',
      remember: 'on',
      plan: 'pro',
      lang: 'fr',
      toppings: 'ham',
      note: 'hello\r\nthere',
      action: 'Sign in',
    });
    expect(o.post).to.deep.equal([200, `${base}/login`, 'POST /login']);
    // the action "search" is relative to /shop/page; GET puts the values in the query, keys sorted
    expect(o.get).to.deep.equal([200, `${base}/shop/search?go=1&q=pizza+%26+pasta`]);
    expect(seen.some((s) => s.method === 'GET' && s.path === '/shop/search?go=1&q=pizza+%26+pasta')).to.equal(true);
    expect(o.click).to.deep.equal([200, `${base}/catalog?page=2`]);
    expect(o.defaultClick).to.equal(`${base}/catalog?page=2`);
    expect(o.noForm).to.match(/no form found for selector "#nope"/);
  });

  it('Selection.each with a callback that makes requests: awaited in turn, in document order', async () => {
    const r = await load(
      script(
        'each.js',
        `import http from 'k6/http';
export default function () {
  const doc = http.get(__ENV.BASE + '/shop/page').html();
  doc.find('li[data-id]').each(function (i, el) {
    http.get(__ENV.BASE + '/item/' + el.getAttribute('data-id'));
  });
  http.get(__ENV.BASE + '/after-each');
}`,
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(0);
    const paths = seen.map((s) => s.path);
    const i1 = paths.indexOf('/item/1');
    expect(i1).to.be.greaterThan(-1);
    expect(paths.slice(i1, i1 + 3)).to.deep.equal(['/item/1', '/item/2', '/after-each']);
  });

  it('refuses a k6 module it does not implement (k6/ws) at load time, with file:line:col, before any request', async () => {
    const before = seen.length;
    const r = await load(script('ws.js', `import http from 'k6/http';\nimport ws from 'k6/ws';\nexport default function () { http.get(__ENV.BASE + '/never'); }`));
    expect(r.exitCode).to.equal(107);
    expect(r.stderr).to.match(/ws\.js:2:\d+: unsupported k6 module "k6\/ws"/);
    expect(seen.length).to.equal(before);
  });
});
