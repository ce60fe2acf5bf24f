import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const timeout = toxicFault({
  toxic: 'timeout',
  doc: 'Stops all data and closes the connection after the timeout; 0ms holds it open and drops data until rolled back (a black hole).',
  fields: { timeout: s.duration({ max: '1h' }).doc('When to close the connection; 0ms never closes it.') },
  attributes: (sp) => ({ timeout: Math.round(sp.timeout.ms) }),
});
