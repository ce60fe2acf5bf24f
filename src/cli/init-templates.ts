// Starter files for `faultline init`, one per template: commented, valid, and (for the sandbox
// ones) runnable as they are. Adding one: a function here plus one line in `templates`.
// test/e2e/init.test.ts validates every template and runs the sandbox ones to a verdict.

export interface Template {
  /** One line for --help and the list. */
  summary: string;
  /** Where it runs; sandbox templates run with no setup at all. */
  environment: 'sandbox' | 'kubernetes';
  /** The file's text; `schema` is the path of the JSON Schema relative to the file. */
  text(schema: string, name: string): string;
}

const header = (schema: string, lines: string[]) =>
  [`# yaml-language-server: $schema=${schema}`, '#', ...lines.map((l) => (l ? `# ${l}` : '#')), ''].join('\n');

const regionOutage = (schema: string, name: string) => `${header(schema, [
  `${name}: the primary region (us-east) crashes under traffic; the global load balancer`,
  'notices it through its health checks and sends everything to eu-west.',
  '',
  'Run it:       faultline run THIS_FILE          (starts its own sandbox; or `faultline sandbox up` first)',
  'See it first: faultline plan THIS_FILE',
  'Shorter (CI): faultline run THIS_FILE --set faults[0].for=4s --set phases.baseline=2s',
  'Every field:  docs/experiment-reference.md, or hover in an editor that reads the $schema line.',
])}apiVersion: faultline/v1
kind: Experiment
metadata:
  name: ${name}
  description: us-east crashes under traffic; eu-west takes over within 5 s.
  labels: { architecture: active-passive }

# Where the regions live. The sandbox is faultline's own multi-region system: a GLB, one app and
# store per region, asynchronous replication, and a real Toxiproxy on every link.
environment:
  sandbox:
    topology: active-passive        # single-region | active-passive | read-replicas | active-active
    regions: [us-east, eu-west]     # failover order
    primary: us-east
    healthCheck: { interval: 500ms, failureThreshold: 3 }   # detection takes about 1.5 s

# Load for the whole run; the SLIs are computed from these requests.
traffic:
  builtin: { rate: 50/s, mix: { read: 80%, write: 20% } }

# What must hold. Phases: baseline (before), fault, recovery (until requests keep succeeding),
# recovered (after).
slos:
  - name: availability
    sli: { ratio: { good: "status < 500" } }
    objective: 99%
    phases: [baseline, recovered]
  - name: latency
    sli: { latency: p99 }
    threshold: 500ms
    phases: [baseline, recovered]

# Checked before the first fault and after the last rollback.
steadyState:
  - http: { url: "\${glb}/health", expect: { status: 200 } }

phases:
  baseline: 5s      # traffic without faults first
  recovered: 5s     # and after the rollback

faults:
  - name: primary-down
    region.outage: { region: us-east, mode: crash }   # crash = SIGKILL its processes
    at: 0s          # from the start of the fault phase
    for: 8s         # rolled back after this (also on Ctrl-C, errors, aborts)

# What the architecture promises, measured by the sandbox.
expect:
  failover: { within: 5s }
  # Asynchronous replication loses the writes of the last batch before the crash.
  dataLoss: { acknowledgedWrites: 20 }

# Stop early (and roll back) when things go far worse than planned.
abortWhen:
  - burnRate: { slo: availability, over: 10s, above: 1000 }
`;

const latency = (schema: string, name: string) => `${header(schema, [
  `${name}: 300 ms of added latency on the GLB → us-east link (Toxiproxy), the way a slow`,
  'network between users and a region feels. The region stays up, so nothing fails over: the',
  'latency SLO during the fault says how much of it users see.',
  '',
  'Run it:       faultline run THIS_FILE',
  'See it first: faultline plan THIS_FILE',
  'Ad hoc, no file: faultline inject toxiproxy.latency --from glb --to us-east --latency 300ms --for 30s',
])}apiVersion: faultline/v1
kind: Experiment
metadata:
  name: ${name}
  description: 300 ms between the GLB and us-east; requests get slower, none fail.
  labels: { fault: latency }

environment:
  sandbox:
    topology: active-passive
    regions: [us-east, eu-west]

traffic:
  builtin: { rate: 50/s }

slos:
  - name: availability
    sli: { ratio: { good: "status < 500" } }
    objective: 99%
    phases: [baseline, fault, recovered]
  # During the fault every request pays about 300 ms, so p99 stays under a second.
  - name: latency-during-fault
    sli: { latency: p99 }
    threshold: 1s
    phases: [fault]
  # Connections opened during the fault may finish a little late: leave some room.
  - name: latency-after
    sli: { latency: p99 }
    threshold: 500ms
    phases: [recovered]

steadyState:
  - http: { url: "\${glb}/health", expect: { status: 200 } }

phases:
  baseline: 5s
  recovered: 5s

faults:
  - name: slow-link
    # Address a link by its two ends (from/to), a proxy by name (proxy), or all of a region's
    # links (region). stream: downstream (responses), upstream (requests) or both.
    toxiproxy.latency: { from: glb, to: us-east, latency: 300ms, jitter: 20ms, stream: downstream }
    at: 0s
    for: 10s
`;

const partition = (schema: string, name: string) => `${header(schema, [
  `${name}: the link between two active-active regions is cut both ways. Both keep taking`,
  'writes on the same keys, so they diverge; when the partition heals they replicate again and',
  'resolve the conflicts. With conflictResolution: crdt nothing is lost (this passes); with lww',
  "the older side of each conflict is dropped (lostUpdates > 0, so it fails): try it.",
  '',
  'Run it:       faultline run THIS_FILE',
  'Compare:      faultline run THIS_FILE --set environment.conflictResolution=lww',
])}apiVersion: faultline/v1
kind: Experiment
metadata:
  name: ${name}
  description: A partition between two active-active regions; they converge with nothing lost.
  labels: { architecture: active-active }

environment:
  sandbox:
    topology: active-active
    regions: [us-east, eu-west]
    conflictResolution: crdt            # lww | crdt
    replication: { batchInterval: 100ms }

traffic:
  # Few hot keys and many writes: both sides write the same keys while cut off.
  builtin: { rate: 50/s, mix: { read: 50%, write: 50% }, keys: 5 }

slos:
  - name: availability
    sli: { ratio: { good: "status < 500" } }
    objective: 99%
    phases: [baseline, fault, recovered]

steadyState:
  - http: { url: "\${glb}/health", expect: { status: 200 } }

phases:
  baseline: 3s
  recovered: 5s

faults:
  # toxiproxy.down disables a proxy: one direction of the link each.
  - name: cut-east-to-west
    toxiproxy.down: { from: us-east, to: eu-west }
    at: 0s
    for: 8s
  - name: cut-west-to-east
    toxiproxy.down: { from: eu-west, to: us-east }
    at: 0s
    for: 8s

expect:
  convergence: { within: 5s, conflictsAtLeast: 1, lostUpdates: 0 }
`;

const k8sRegionOutage = (schema: string, name: string) => `${header(schema, [
  `${name}: us-east goes dark. Every Deployment and StatefulSet matching the selector in`,
  'us-east is scaled to 0; rollback restores the exact replica counts it found (and refuses to',
  'overwrite a count someone else changed meanwhile). The other regions are not touched.',
  '',
  'Each region is a kube context. faultline only touches contexts on the allow-list:',
  '  faultline plan THIS_FILE --allow-context kind-us-east --allow-context kind-eu-west',
  '  faultline run  THIS_FILE --allow-context kind-us-east --allow-context kind-eu-west',
  'or FAULTLINE_ALLOW_CONTEXTS=kind-us-east,kind-eu-west. --kubeconfig picks the kubeconfig.',
  'Local clusters to try it on: npm run k8s:up (control planes) or scripts/kind-setup.sh (kind).',
])}apiVersion: faultline/v1
kind: Experiment
metadata:
  name: ${name}
  description: us-east's workloads are scaled to zero for a while and restored exactly.
  labels: { environment: kubernetes }

environment:
  kubernetes:
    regions:
      us-east: { context: kind-us-east, namespaces: [shop], selector: app=shop }
      eu-west: { context: kind-eu-west, namespaces: [shop], selector: app=shop }

phases:
  baseline: 5s
  recovered: 10s

faults:
  - name: us-east-dark
    # mode: scale-to-zero | delete-pods | drain | isolate (a NetworkPolicy)
    region.outage: { region: us-east, mode: scale-to-zero }
    at: 0s
    for: 30s
`;

const gameday = (schema: string, name: string) => `${header(schema, [
  `${name}: a game day on one shared sandbox: a region outage, a pause for the room, then`,
  'slow replication. Each step is an experiment (the same fields as an experiment file, without',
  'apiVersion/kind/environment); operator steps ask the room a question and time the answer.',
  '',
  'Run it:       faultline gameday THIS_FILE                    (Enter confirms the prompts)',
  '              faultline gameday THIS_FILE --non-interactive  (prompts confirm themselves)',
  'More:         docs/gameday.md',
])}apiVersion: faultline/v1
kind: GameDay
metadata:
  name: ${name}
  description: The primary region dies, the room answers, then replication slows down.
  owners: [sre]

environment:
  sandbox:
    topology: active-passive
    regions: [us-east, eu-west]
    primary: us-east

steps:
  - name: primary-dies
    parallel:
      - name: primary-outage
        experiment:
          metadata: { name: ${name}-outage, description: us-east crashes; eu-west takes over. }
          traffic:
            builtin: { rate: 50/s }
          slos:
            - name: availability
              sli: { ratio: { good: "status < 500" } }
              objective: 99%
              phases: [baseline, recovered]
          phases: { baseline: 3s, recovered: 5s }
          faults:
            - name: primary-down
              region.outage: { region: us-east, mode: crash }
              at: 0s
              for: 8s
          expect:
            failover: { within: 5s }
      - name: alerting-fired
        operator:
          prompt: Did your alerting fire? Confirm when the page reaches the on-call.
          measures: detect
          waitForFault: true
          autoConfirmAfter: 5s
        stopOnFailure: false

  - name: debrief
    pause: 3s

  - name: slow-replication
    experiment:
      metadata: { name: ${name}-slow-replication, description: 300 ms on the replication link. }
      traffic:
        builtin: { rate: 50/s }
      phases: { baseline: 3s, recovered: 5s }
      faults:
        - name: slow-link
          toxiproxy.latency: { from: us-east, to: eu-west, latency: 300ms, stream: upstream }
          at: 0s
          for: 8s
      expect:
        replicationLag: { p99Below: 2s }
`;

export const templates = {
  'region-outage': { summary: 'the primary region crashes under traffic and fails over (sandbox)', environment: 'sandbox', text: regionOutage },
  latency: { summary: 'added latency on one link, with latency SLOs (sandbox)', environment: 'sandbox', text: latency },
  partition: { summary: 'two active-active regions cut apart, then converging (sandbox)', environment: 'sandbox', text: partition },
  'k8s-region-outage': { summary: "a region's workloads scaled to zero and restored (kubernetes)", environment: 'kubernetes', text: k8sRegionOutage },
  gameday: { summary: 'a game day: outage, operator prompt, pause, slow replication (sandbox)', environment: 'sandbox', text: gameday },
} as const satisfies Record<string, Template>;

export type TemplateName = keyof typeof templates;
