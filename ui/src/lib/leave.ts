// Work that must be saved before the window moves away (locking, going back to the caseload).
type Flush = () => Promise<unknown>;
const flushes = new Set<Flush>();

export function registerFlush(f: Flush): () => void {
  flushes.add(f);
  return () => flushes.delete(f);
}

export async function flushAll(): Promise<void> {
  await Promise.allSettled([...flushes].map((f) => f()));
}
