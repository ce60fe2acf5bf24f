import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const latency = toxicFault({
  toxic: 'latency',
  doc: 'Delays data through the proxy by latency ± jitter.',
  fields: {
    latency: s.duration({ max: '1h' }).doc('Added delay.'),
    jitter: s.optional(s.duration({ max: '1h' }).doc('Random variation, ±.'), { ms: 0, text: '0ms' }, '0ms'),
  },
  attributes: (sp) => ({ latency: Math.round(sp.latency.ms), jitter: Math.round(sp.jitter?.ms ?? 0) }),
});
