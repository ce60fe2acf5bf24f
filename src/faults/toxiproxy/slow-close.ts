import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const slowClose = toxicFault({
  toxic: 'slow_close',
  doc: 'Delays the closing of connections.',
  fields: { delay: s.duration({ max: '1h' }).doc('How long the close is held back.') },
  attributes: (sp) => ({ delay: Math.round(sp.delay.ms) }),
});
