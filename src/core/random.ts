// A seeded PRNG, mulberry32: small, fast and the same on every platform, which is all a repeatable
// choice needs (the pods pod.kill picks, where in the health-check cycle an outage lands).

/** Numbers in [0, 1), the same sequence for the same seed (an integer; taken modulo 2^32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
