import { expect } from 'chai';
import { transformScript, TransformError } from '../../../../src/traffic/k6/transform.js';

const HEADER = "import http from 'k6/http';\nimport { check, sleep, group } from 'k6';\n";

/** Runs the transformed factory with stub k6 modules that record the order of events. */
async function run(src: string): Promise<string[]> {
  const events: string[] = [];
  const later = <T>(v: T) => new Promise<T>((r) => setTimeout(() => r(v), 1));
  const http = {
    get: (u: string) => (events.push(`get ${u}`), later({ status: 200, url: u })),
    batch: (xs: string[]) => later(xs.map((u) => ({ status: 200, url: u }))),
  };
  const k6 = {
    check: (v: unknown, sets: Record<string, (x: unknown) => boolean>) => (events.push(`check ${Object.values(sets).every((f) => f(v))}`), true),
    sleep: (s: number) => (events.push(`sleep ${s}`), later(undefined)),
    group: async (name: string, fn: () => unknown) => {
      events.push(`group ${name}`);
      return await fn();
    },
  };
  const modules: Record<string, unknown> = { 'k6/http': { ...http, default: http }, k6: { ...k6, default: k6 } };
  const { code } = transformScript(HEADER + src);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(`return (${code})`)() as (k: (n: string) => unknown, env: object, vu: { id: number }) => Promise<{ exports: Record<string, (d?: unknown) => unknown> }>;
  const inst = await factory((n) => modules[n], {}, { id: 1 });
  await inst.exports.default();
  return events;
}

describe('k6 script transformer', () => {
  const table: [string, string, string[]][] = [
    ['a plain request, check and sleep', `export default function () { const r = http.get('a'); check(r, { ok: (x) => x.status === 200 }); sleep(1); }`, ['get a', 'check true', 'sleep 1']],
    [
      'a helper that makes requests, called by name',
      `function browse(u) { return http.get(u); }\nexport default function () { const r = browse('b'); check(r, { ok: (x) => x.url === 'b' }); }`,
      ['get b', 'check true'],
    ],
    [
      'a method of an object literal that makes requests',
      `const api = { home() { return http.get('h'); } };\nexport default function () { const r = api.home(); check(r, { ok: (x) => x.status === 200 }); }`,
      ['get h', 'check true'],
    ],
    [
      'a group body, and the group value',
      `export default function () { const r = group('g', () => http.get('x')); check(r, { ok: (x) => x.status === 200 }); }`,
      ['group g', 'get x', 'check true'],
    ],
    [
      'a callback parameter called by a helper',
      `function step(name, fn) { return group(name, () => fn()); }\nexport default function () { step('s', () => { http.get('y'); sleep(2); }); }`,
      ['group s', 'get y', 'sleep 2'],
    ],
    [
      'a loop with requests',
      `export default function () { for (const u of ['1', '2']) { http.get(u); } }`,
      ['get 1', 'get 2'],
    ],
    [
      'named imports and http.batch',
      `export default function () { const rs = http.batch(['p', 'q']); check(rs, { two: (x) => x.length === 2 }); }`,
      ['check true'],
    ],
    [
      'a default export by name and an arrow function variable',
      `const go = (u) => http.get(u);\nfunction main() { go('z'); }\nexport { main as default };`,
      ['get z'],
    ],
    [
      'an alias of a k6 function',
      `const get = http.get;\nconst pause = sleep;\nexport default function () { const r = get('al'); check(r, { ok: (x) => x.status === 200 }); pause(3); }`,
      ['get al', 'check true', 'sleep 3'],
    ],
    [
      'a check callback made by a factory (a top-level value, not unknown)',
      `const is200 = ((code) => (r) => r.status === code)(200);\nexport default function () { const r = http.get('f'); check(r, { ok: (x) => is200(x) }); }`,
      ['get f', 'check true'],
    ],
  ];
  for (const [what, src, expected] of table) {
    it(`keeps synchronous semantics for ${what}`, async () => {
      expect(await run(src)).to.deep.equal(expected);
    });
  }

  it('leaves check callbacks and pure helpers synchronous', () => {
    const { code, colored } = transformScript(HEADER + `function fmt(x) { return String(x); }\nexport default function () { const r = http.get(fmt(1)); check(r, { ok: (x) => x.status === 200 }); }`);
    expect(colored).to.deep.equal(['<anonymous 4:16>']);
    expect(code).to.include('(x) => x.status === 200');
    expect(code).not.to.include('await fmt(');
    expect(code).to.include('(await http.get(fmt(1)))');
  });

  const refused: [string, string, RegExp][] = [
    ['forEach with a request-making callback', `export default function () { ['a'].forEach((u) => http.get(u)); }`, /passed to \['a'\]\.forEach\(\), which cannot wait for it/],
    ['setTimeout with a request-making function', `function f() { http.get('x'); }\nexport default function () { setTimeout(f, 10); }`, /function f makes requests or sleeps, and is passed to setTimeout\(\)/],
    ['a getter that sleeps', `const o = { get x() { sleep(1); return 1; } };\nexport default function () { return o.x; }`, /getter that makes requests or sleeps is not supported/],
    ['a constructor that makes requests', `class A { constructor() { http.get('x'); } }\nexport default function () { new A(); }`, /constructor that makes requests/],
    ['a syntax error', `export default function ( {`, /Unexpected token/],
  ];
  for (const [what, src, re] of refused) {
    it(`refuses ${what} at load time, saying where`, () => {
      expect(() => transformScript(HEADER + src)).to.throw(TransformError, re);
      expect(() => transformScript(HEADER + src)).to.throw(/^\d+:\d+: /);
    });
  }

  it('keeps line numbers when imports span several lines', () => {
    const { code } = transformScript(`import {\n  check,\n  sleep,\n} from 'k6';\nexport default function () { sleep(1); }`);
    const body = code.split('\n').slice(2).join('\n');
    expect(body.split('\n')[4]).to.include('(await sleep(1))');
  });
});
