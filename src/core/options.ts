// The command-line options that travel past the CLI: into environments (kubeconfig, allowed
// contexts), fault drivers and undoers (--force, the Toxiproxy servers to search) and the budget
// ledger. One type, so a misspelt option is a compile error rather than a silently ignored key.
// Everything is optional: a library caller (a game day, a test) passes what it has.
export interface CliOptions {
  /** --kubeconfig: the kubeconfig file (else KUBECONFIG, else ~/.kube/config). */
  kubeconfig?: string;
  /** --allow-context (repeatable) and FAULTLINE_ALLOW_CONTEXTS: a list, or "a,b" as written. */
  allowContexts?: readonly string[] | string;
  /** --ledger: the error budget ledger. */
  ledger?: string;
  dryRun?: boolean;
  /** --seed: the sandbox's outage-phase seed, pod.kill's choice. */
  seed?: number;
  /** rollback --force: restore recorded replica counts over someone else's change. */
  force?: boolean;
  /** Toxiproxy servers to search for a run's toxics (rollback --toxiproxy, the run index). */
  toxiproxy?: readonly string[];
  /** The same servers with credentials, in memory only: undo records hold URLs without them. */
  toxiproxyUrls?: readonly string[];
  /** A running sandbox (status, stop). */
  sandboxControl?: string;
  sandboxDir?: string;
  /** false: attach to a running sandbox without resetting it (ad hoc inject). */
  sandboxReset?: boolean;
  /** --repeat: which run of how many this is (spreads the sandbox's outage phases evenly). */
  repeat?: { index: number; count: number };
}
