// What the live view shows, as a fold over events: the server applies each event and forwards it
// to every page; a page that connects late gets snapshot(). Pure apart from the listeners.
import type { GameDayObserver } from '../run.js';
import type { Prompt } from '../operator.js';
import type { StepOutcome } from '../types.js';

export interface TimelinePoint {
  t: number;
  rps: number;
  errors: number;
  p50?: number;
  p99?: number;
  /** The region that served most of this second's requests. */
  region?: string;
  regions?: Record<string, number>;
}

export type LiveEvent =
  | { type: 'gameday'; id: string; name: string; description?: string; outDir: string }
  | { type: 'step'; step: StepOutcome }
  | { type: 'experiment'; step: string; name: string; at: number; faults: { name: string; forMs?: number }[] }
  | { type: 'phase'; name: string; at: number }
  | { type: 'tick'; point: TimelinePoint; activeFaults: string[] }
  | { type: 'fault'; name: string; action: 'applied' | 'reverted' | 'failed'; at: number; expiresAt?: number }
  | { type: 'prompt'; prompt: Prompt }
  | { type: 'confirmed'; stepId: string; at: number; by: string }
  | { type: 'stopping'; at: number }
  | { type: 'finished'; verdict: string; outDir: string };

export interface LiveSnapshot {
  gameday?: { id: string; name: string; description?: string; outDir: string };
  steps: StepOutcome[];
  experiment?: { step: string; name: string; at: number };
  phase?: string;
  timeline: TimelinePoint[];
  faultWindows: { name: string; from: number; to?: number }[];
  activeFaults: { name: string; appliedAt: number; expiresAt?: number }[];
  prompts: Prompt[];
  stopping: boolean;
  finished?: { verdict: string; outDir: string };
}

const MAX_POINTS = 1800;

export class LiveState {
  private s: LiveSnapshot = { steps: [], timeline: [], faultWindows: [], activeFaults: [], prompts: [], stopping: false };
  private faultPlan = new Map<string, number | undefined>();
  private seconds = false;
  private listeners: ((e: LiveEvent) => void)[] = [];

  onEvent(l: (e: LiveEvent) => void): void {
    this.listeners.push(l);
  }

  snapshot(): LiveSnapshot {
    return structuredClone(this.s);
  }

  apply(e: LiveEvent): void {
    const s = this.s;
    switch (e.type) {
      case 'gameday':
        s.gameday = { id: e.id, name: e.name, description: e.description, outDir: e.outDir };
        break;
      case 'step': {
        const i = s.steps.findIndex((x) => x.id === e.step.id);
        const copy = { ...e.step, children: undefined };
        if (i >= 0) s.steps[i] = copy;
        else s.steps.push(copy);
        break;
      }
      case 'experiment':
        s.experiment = { step: e.step, name: e.name, at: e.at };
        this.faultPlan = new Map(e.faults.map((f) => [f.name, f.forMs]));
        break;
      case 'phase':
        s.phase = e.name;
        break;
      case 'tick': {
        // One event per region and second (and "*" for the total): update the second's point.
        const i = s.timeline.findIndex((p) => p.t === e.point.t);
        if (i >= 0) s.timeline[i] = e.point;
        else s.timeline.push(e.point);
        if (s.timeline.length > MAX_POINTS) s.timeline.splice(0, s.timeline.length - MAX_POINTS);
        break;
      }
      case 'fault':
        if (e.action === 'applied') {
          const forMs = this.faultPlan.get(e.name);
          e.expiresAt = forMs === undefined ? undefined : e.at + forMs;
          s.activeFaults.push({ name: e.name, appliedAt: e.at, expiresAt: e.expiresAt });
          s.faultWindows.push({ name: e.name, from: e.at });
        } else {
          s.activeFaults = s.activeFaults.filter((f) => f.name !== e.name);
          const w = [...s.faultWindows].reverse().find((x) => x.name === e.name && x.to === undefined);
          if (w) w.to = e.at;
        }
        break;
      case 'prompt':
        s.prompts.push(e.prompt);
        break;
      case 'confirmed':
        s.prompts = s.prompts.filter((p) => p.stepId !== e.stepId);
        break;
      case 'stopping':
        s.stopping = true;
        break;
      case 'finished':
        s.finished = { verdict: e.verdict, outDir: e.outDir };
        s.prompts = [];
        s.activeFaults = [];
        break;
    }
    for (const l of this.listeners) l(e);
  }

  observer(): GameDayObserver {
    const flat = (st: StepOutcome): StepOutcome[] => [st, ...(st.children ?? []).flatMap(flat)];
    return {
      started: (i) => {
        this.apply({ type: 'gameday', id: i.id, name: i.name, description: i.description, outDir: i.outDir });
        for (const st of i.steps.flatMap(flat)) this.apply({ type: 'step', step: st });
      },
      step: (st) => this.apply({ type: 'step', step: st }),
      finished: (r, outDir) => {
        for (const st of r.steps.flatMap(flat)) this.apply({ type: 'step', step: st });
        this.apply({ type: 'finished', verdict: r.verdict, outDir });
      },
      run: {
        experimentStarted: (step, name, faults) => this.apply({ type: 'experiment', step, name, at: Date.now(), faults }),
        phase: (name, at) => this.apply({ type: 'phase', name, at }),
        fault: (f) => this.apply({ type: 'fault', name: f.name, action: f.action, at: f.at }),
        // Until the metrics core sends closed seconds, the once-a-second tick is the timeline.
        tick: (t) => {
          if (this.seconds || t.rps === undefined) return;
          const regions = t.regions ?? {};
          const point: TimelinePoint = { t: Math.floor(Date.now() / 1000) * 1000, rps: t.rps, errors: Math.round(t.rps * (t.errorRate ?? 0)), p50: t.p50Ms, p99: t.p99Ms, regions };
          point.region = Object.entries(regions).sort((a, b) => b[1] - a[1])[0]?.[0];
          this.apply({ type: 'tick', point, activeFaults: t.activeFaults });
        },
        second: (sec) => {
          this.seconds = true;
          const prev = this.s.timeline.find((p) => p.t === sec.t);
          const point: TimelinePoint = prev ? { ...prev, regions: { ...prev.regions } } : { t: sec.t, rps: 0, errors: 0, regions: {} };
          if (sec.region === '*') Object.assign(point, { rps: sec.requests, errors: sec.errors, p50: sec.p50 ?? undefined, p99: sec.p99 ?? undefined });
          else point.regions![sec.region] = sec.requests;
          point.region = Object.entries(point.regions ?? {}).sort((a, b) => b[1] - a[1])[0]?.[0];
          this.apply({ type: 'tick', point, activeFaults: this.s.activeFaults.map((f) => f.name) });
        },
      },
    };
  }
}
