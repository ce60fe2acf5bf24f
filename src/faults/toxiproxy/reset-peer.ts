import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const resetPeer = toxicFault({
  toxic: 'reset_peer',
  doc: 'Resets connections (TCP RST), immediately or after the timeout. Note: Toxiproxy applies it even at toxicity 0 (Shopify/toxiproxy#603).',
  fields: { timeout: s.optional(s.duration({ max: '1h' }).doc('Delay before the reset.'), { ms: 0, text: '0ms' }, '0ms') },
  attributes: (sp) => ({ timeout: Math.round(sp.timeout?.ms ?? 0) }),
});
