// Webhook notifications on start, step failure, finish and abort. Sending never blocks a run:
// send() returns at once and delivery (with retries and backoff) happens on the side; at the end
// the game day waits for what is still in flight for at most one notification timeout, then
// gives up on it. A receiver that fails or hangs is logged, never fatal. Webhook URLs and headers
// can hold secrets: they are never logged or written to a report (hooks are named "webhook #N").
//
//   send(event) ─► payload (pure: slack | json) ─► deliver: attempt ─fail─► wait 500ms·2^n ─► attempt ...
//                                                     └ each attempt: AbortSignal.timeout(timeout)
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { NOTIFY_EVENTS, type NotifyEvent, type WebhookSpec } from './notify-schema.js';

export interface NotifyMessage {
  event: NotifyEvent;
  /** What is being run: a game day, or an experiment from the scheduler. */
  subject: { kind: 'gameday' | 'experiment'; name: string; id: string };
  at: string;
  verdict?: string;
  step?: { name: string; status: string; error?: string };
  summary?: Record<string, unknown>;
  reportDir?: string;
  reason?: string;
}

const ICON: Record<NotifyEvent, string> = { start: ':rocket:', 'step-failed': ':warning:', finish: ':checkered_flag:', abort: ':octagonal_sign:' };

/** One line a person reads first, shared by both payloads. */
export function headline(m: NotifyMessage): string {
  const what = `${m.subject.kind === 'gameday' ? 'Game day' : 'Experiment'} ${m.subject.name}`;
  switch (m.event) {
    case 'start':
      return `${what} started (${m.subject.id})`;
    case 'step-failed':
      return `${what}: step ${m.step?.name} ${m.step?.status}${m.step?.error ? `: ${m.step.error}` : ''}`;
    case 'finish':
      return `${what} finished: ${m.verdict}`;
    case 'abort':
      return `${what} aborted${m.reason ? `: ${m.reason}` : ''}`;
  }
}

/** Slack's incoming-webhook shape: `text` is the fallback, `blocks` the formatted message. */
export function slackPayload(m: NotifyMessage): { text: string; blocks: unknown[] } {
  const text = `${ICON[m.event]} ${headline(m)}`;
  const fields = Object.entries(m.summary ?? {})
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .slice(0, 10)
    .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${String(v)}` }));
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (fields.length) blocks.push({ type: 'section', fields });
  if (m.reportDir) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `report: \`${m.reportDir}\`` }] });
  return { text, blocks };
}

export function jsonPayload(m: NotifyMessage): Record<string, unknown> {
  return { source: 'faultline', version: 1, text: headline(m), ...m };
}

export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly giveUp = new AbortController();

  constructor(
    private readonly hooks: WebhookSpec[],
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.hooks.length > 0;
  }

  /** Queues the message for every hook that wants this event. Never throws, never waits. */
  send(message: NotifyMessage): void {
    this.hooks.forEach((hook, i) => {
      if (!(hook.events ?? NOTIFY_EVENTS).includes(message.event)) return;
      const body = JSON.stringify((hook.format ?? 'json') === 'slack' ? slackPayload(message) : jsonPayload(message));
      const p = this.deliver(hook, `webhook #${i + 1} (${hook.format ?? 'json'})`, message.event, body).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    });
  }

  /**
   * Waits for deliveries still in flight, at most the longest hook timeout; what is left after
   * that is abandoned (and logged). This is the only place a run ever waits for a webhook.
   */
  async flush(): Promise<void> {
    if (!this.inFlight.size) return;
    const limit = Math.max(...this.hooks.map((h) => h.timeout?.ms ?? 5000));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), limit)));
    const done = await Promise.race([Promise.allSettled([...this.inFlight]).then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (done === 'late') {
      this.log.warn(`notifications: ${this.inFlight.size} still undelivered after ${limit} ms; giving up on them`);
      this.giveUp.abort(new Error('gave up at the end of the run'));
    }
  }

  private async deliver(hook: WebhookSpec, name: string, event: NotifyEvent, body: string): Promise<void> {
    const attempts = 1 + (hook.retries ?? 2);
    const timeoutMs = hook.timeout?.ms ?? 5000;
    let last = '';
    for (let n = 0; n < attempts; n++) {
      if (this.giveUp.signal.aborted) return;
      if (n > 0) await sleep(500 * 2 ** (n - 1), this.giveUp.signal);
      if (this.giveUp.signal.aborted) return;
      try {
        const res = await fetch(hook.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'faultline', ...(hook.headers ?? {}) },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.giveUp.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        // A 4xx other than 429 will not get better by asking again.
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        last = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorMessage(err).replace(hook.webhook, '<url>');
      }
    }
    if (!this.giveUp.signal.aborted) this.log.warn(`notifications: ${name} could not deliver "${event}": ${last}`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
