import { s, type Infer } from '../schema/dsl.js';
import type { ProbeType } from './types.js';
import { maskCredentials, splitCredentials } from '../core/redact-url.js';
import { redact } from '../core/log.js';
import { httpRequest } from '../core/http.js';

const spec = s
  .object({
    url: s.url().doc('URL to request; endpoint templates like ${glb}/health are allowed.'),
    method: s.optional(s.enum(['GET', 'HEAD', 'POST'] as const), 'GET'),
    timeout: s.optional(s.duration({ min: '1ms', max: '1h' }).doc('Deadline for the whole request.'), { ms: 5000, text: '5s' }, '5s'),
    expect: s.optional(
      s.object({
        status: s.optional(s.integer({ min: 100, max: 599 }).doc('Expected status code.'), 200),
        bodyContains: s.optional(s.string().doc('Text the body must contain.')),
      }),
    ),
  })
  .doc('An HTTP request that must answer as expected.');
type Spec = Infer<typeof spec>;

export const httpProbe: ProbeType<Spec> = {
  spec,
  async run(sp, ctx) {
    // credentials travel as a header and never appear in details; plain node:http with keep-alive,
    // not fetch (undici's first use is a start-up cost on every run: docs/performance.md)
    const { url, authorization } = splitCredentials(ctx.resolve(sp.url));
    const shown = maskCredentials(ctx.resolve(sp.url));
    const started = performance.now();
    const method = sp.method ?? 'GET';
    const timeout = AbortSignal.timeout(sp.timeout?.ms ?? 5000);
    try {
      const res = await httpRequest(url, { method, headers: authorization ? { authorization } : undefined, signal: AbortSignal.any([ctx.signal, timeout]) });
      const body = await res.text();
      const ms = Math.round(performance.now() - started);
      const wantStatus = sp.expect?.status ?? 200;
      const problems: string[] = [];
      if (res.status !== wantStatus) problems.push(`expected status ${wantStatus}`);
      if (sp.expect?.bodyContains && !body.includes(sp.expect.bodyContains)) problems.push(`body lacks ${JSON.stringify(sp.expect.bodyContains)}`);
      return { ok: problems.length === 0, detail: `${method} ${shown} → ${res.status} in ${ms}ms${problems.length ? ` (${problems.join('; ')})` : ''}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const why = timeout.aborted ? `no answer within ${sp.timeout?.text ?? '5s'}` : (cause ?? (err as Error).message);
      return { ok: false, detail: `${method} ${shown} → ${redact(why)}` };
    }
  },
};
