import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const bandwidth = toxicFault({
  toxic: 'bandwidth',
  doc: 'Limits throughput through the proxy.',
  fields: { rate: s.byteSize({ min: '1KB', max: '1GB' }).doc('Bytes per second allowed through, e.g. 64KB (Toxiproxy works in whole KB/s, minimum 1KB).') },
  attributes: (sp) => ({ rate: Math.max(1, Math.round(sp.rate / 1024)) }),
});
