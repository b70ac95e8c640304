// The deterministic batches the crash child writes, so the parent knows what each acknowledgement covers.

/** Size of batch `batch` of round `round`: 1 to 400 records. */
export function crashBatchSize(round: number, batch: number): number {
  return 1 + ((Math.imul(round * 7919 + batch, 2654435761) >>> 0) % 400);
}

export function crashBatch(round: number, batch: number): Record<string, unknown>[] {
  const size = crashBatchSize(round, batch);
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < size; i++) {
    records.push({
      eventId: `r${round}-b${batch}-${i}`,
      profileId: `p${(batch * 31 + i) % 50}`,
      userId: i % 3 === 0 ? `u${i % 7}` : undefined,
      sessionId: `r${round}-s${batch % 9}`,
      accountId: i % 4 === 0 ? `a${i % 5}` : undefined,
      eventName: i % 2 === 0 ? 'view' : 'buy',
      timestamp: new Date(Date.UTC(2026, 0, 1) + batch * 1000 + i).toISOString(),
      data: { i, batch, round },
    });
  }
  // A duplicate of the batch's first record inside the batch, and one bad record: neither may change the outcome.
  records.push({ ...records[0]! }, { eventId: `r${round}-b${batch}-bad`, sessionId: 'x' });
  return records;
}
