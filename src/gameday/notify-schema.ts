// The `notify:` entries of a game day (and of `faultline schedule --notify`): webhooks.
import { s, type Infer } from '../schema/dsl.js';

export const NOTIFY_EVENTS = ['start', 'step-failed', 'finish', 'abort'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const webhookSpec = s
  .object({
    webhook: s
      .string({ pattern: /^https?:\/\/\S+$/, patternHint: 'an http(s) URL like "https://hooks.slack.com/services/..." (use ${ENV} for secrets)' })
      .doc('Where to POST. Use an environment template (${SLACK_WEBHOOK}) to keep secrets out of the file; URLs are never written to reports or logs.'),
    format: s.optional(s.enum(['slack', 'json'] as const).doc('slack: a Slack-compatible {text, blocks} message. json: the event as a generic JSON object.'), 'json'),
    events: s.optional(s.array(s.enum(NOTIFY_EVENTS), { min: 1 }).doc('Which events to send. Default: all of start, step-failed, finish, abort.')),
    timeout: s.optional(s.duration().doc('Per attempt. A hanging receiver never holds a run up longer than this, per attempt.'), { ms: 5000, text: '5s' }, '5s'),
    retries: s.optional(s.integer({ min: 0, max: 10 }).doc('Further attempts after a failure (5xx, 429, network), with exponential backoff from 500ms.'), 2),
    headers: s.optional(s.record(s.string()).doc('Extra request headers (e.g. authorization); never written to reports or logs.')),
  })
  .doc('A webhook notification.');

export type WebhookSpec = Infer<typeof webhookSpec>;
