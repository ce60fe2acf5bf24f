export async function loadOnCluster(_script: string, _o: unknown): Promise<{ exitCode: number; summary: Record<string, unknown>; summaryText: string }> {
  throw new Error('not yet');
}
