import { s } from '../../schema/dsl.js';
import { toxicFault } from './toxic.js';

export const limitData = toxicFault({
  toxic: 'limit_data',
  doc: 'Closes each connection after it has carried this many bytes.',
  fields: { bytes: s.byteSize().doc('Bytes allowed per connection, e.g. 1KB.') },
  attributes: (sp) => ({ bytes: sp.bytes }),
});
