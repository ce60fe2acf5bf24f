import { expect } from 'chai';
import { parsePredicate, PredicateError } from '../../../src/slo/predicate.js';
import type { RequestRecord } from '../../../src/core/records.js';

const rec = (over: Partial<RequestRecord>): RequestRecord => ({ t: 0, latencyMs: 10, status: 200, ok: true, op: 'read', ...over });

describe('request predicates', () => {
  const good: [string, Partial<RequestRecord>, boolean][] = [
    ['all', {}, true],
    ['none', {}, false],
    ['status < 500', { status: 200 }, true],
    ['status < 500', { status: 503 }, false],
    ['status<500', { status: 201 }, true],
    // no response is a missing status: never good by an ordered comparison, found by == 0
    ['status < 500', { status: 0 }, false],
    ['status >= 500', { status: 0 }, false],
    ['status == 0', { status: 0 }, true],
    ['status != 200', { status: 0 }, true],
    ['status != 0', { status: 0 }, false],
    ['status >= 200 and status < 300', { status: 204 }, true],
    ['status >= 200 and status < 300', { status: 301 }, false],
    ['status == 0 or status >= 500', { status: 0 }, true],
    ['status == 0 or status >= 500', { status: 404 }, false],
    ['status != 404', { status: 404 }, false],
    ['status < 500 and region == "eu-west"', { status: 200, region: 'eu-west' }, true],
    ['status < 500 and region == "eu-west"', { status: 200, region: 'us-east' }, false],
    ['status < 500 and region == "eu-west"', { status: 200 }, false],
    ["region != 'us-east'", {}, true],
    ['op == "write" and (status >= 500 or status == 0)', { op: 'write', status: 0 }, true],
    ['op == "write" and (status >= 500 or status == 0)', { op: 'read', status: 0 }, false],
    ['latency <= 250ms', { latencyMs: 250 }, true],
    ['latency <= 250ms', { latencyMs: 251 }, false],
    ['latency < 1.5s', { latencyMs: 1499 }, true],
    ['latency < 300', { latencyMs: 299 }, true],
    ['ok', { ok: false }, false],
    ['not ok', { ok: false }, true],
    ['ok == true', { ok: true }, true],
    ['ok != true', { ok: true }, false],
    ['not (status >= 500)', { status: 500 }, false],
    ['tag.name == "checkout"', { tags: { name: 'checkout' } }, true],
    ['tag.name == "checkout"', {}, false],
    ['error == "ECONNRESET"', { error: 'ECONNRESET' }, true],
    // "and" binds tighter than "or"
    ['status == 1 or status == 2 and op == "write"', { status: 1, op: 'read' }, true],
    ['status == 1 or status == 2 and op == "write"', { status: 2, op: 'read' }, false],
  ];
  for (const [src, r, want] of good) {
    it(`${src} is ${want} for ${JSON.stringify(r)}`, () => expect(parsePredicate(src)(rec(r))).to.equal(want));
  }

  const bad: [string, string, number][] = [
    ['', 'a field', 1],
    ['status', 'a comparison operator', 7],
    ['status <', 'a number', 9],
    ['status < "500"', 'a number', 10],
    ['status < 500ms', 'without a unit', 10],
    ['region == eu-west', 'a quoted string', 11],
    ['region < "eu-west"', '== or !=', 8],
    ['code < 500', 'a field: status', 1],
    ['status < 500 and', 'a field', 17],
    ['status < 500 region == "x"', '"and", "or" or the end', 14],
    ['(status < 500', '")"', 14],
    ['status < 500)', '"and", "or" or the end', 13],
    ['region == "eu-west', 'a closing "', 11],
    ['status ~ 5', 'a field, value, operator', 8],
    ['ok == 1', 'true or false', 7],
  ];
  for (const [src, expected, column] of bad) {
    it(`rejects ${JSON.stringify(src)} at column ${column}, expecting ${expected}`, () => {
      let err: unknown;
      try {
        parsePredicate(src);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(PredicateError);
      const pe = err as PredicateError;
      expect(pe.expected).to.contain(expected);
      expect(pe.column + 1).to.equal(column);
      expect(pe.message).to.contain(`column ${column}`);
    });
  }
});
