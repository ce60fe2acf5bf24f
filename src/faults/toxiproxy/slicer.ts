import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const slicer = toxicFault({
  toxic: 'slicer',
  doc: 'Slices data into small packets, optionally delaying each one.',
  fields: {
    averageSize: s.byteSize().doc('Average packet size, e.g. 64B.'),
    sizeVariation: s.optional(s.byteSize().doc('Variation of the packet size; smaller than averageSize.'), 0, '0B'),
    delay: s.optional(s.duration().doc('Delay between packets (sent to Toxiproxy in microseconds).'), { ms: 0, text: '0ms' }, '0ms'),
  },
  attributes: (sp) => ({ average_size: sp.averageSize, size_variation: sp.sizeVariation ?? 0, delay: Math.round((sp.delay?.ms ?? 0) * 1000) }),
});
