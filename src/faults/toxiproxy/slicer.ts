import { s } from '../../schema/dsl.js';
import { formatBytes } from '../../schema/values.js';
import { toxicFault } from './toxic.js';

export const slicer = toxicFault({
  toxic: 'slicer',
  doc: 'Slices data into small packets, optionally delaying each one.',
  fields: {
    averageSize: s.byteSize({ min: '1B', max: '1GB' }).doc('Average packet size, e.g. 64B.'),
    sizeVariation: s.optional(s.byteSize({ max: '1GB' }).doc('Variation of the packet size; smaller than averageSize.'), 0, '0B'),
    delay: s.optional(s.duration({ max: '1m' }).doc('Delay between packets (sent to Toxiproxy in microseconds).'), { ms: 0, text: '0ms' }, '0ms'),
  },
  // Toxiproxy draws each slice from averageSize ± sizeVariation: a variation as large as the
  // average asks for empty or negative slices.
  rules: (sp) =>
    sp.sizeVariation && sp.sizeVariation >= sp.averageSize
      ? [{ path: ['sizeVariation'], expected: `a variation smaller than averageSize (${formatBytes(sp.averageSize)})`, found: formatBytes(sp.sizeVariation) }]
      : [],
  attributes: (sp) => ({ average_size: sp.averageSize, size_variation: sp.sizeVariation ?? 0, delay: Math.round((sp.delay?.ms ?? 0) * 1000) }),
});
