// The run's request data used to be a store of every record; it is now the streaming aggregate
// (aggregate.ts). `RecordStore` stays as its name for code and tests that fill one and hand it to
// the guards.
export { RunMetrics as RecordStore } from './aggregate.js';
