// The order of records: by time, then by eventId. Attribute registers and identity links both resolve by it.

/** (timeA, idA) comes after (timeB, idB): by time, then by eventId. */
export function isLater(timeA: number, idA: string, timeB: number, idB: string): boolean {
  return timeA > timeB || (timeA === timeB && idA > idB);
}
