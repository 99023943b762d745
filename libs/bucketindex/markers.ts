// Block markers in a tenant's bucket (Thanos' and Mimir's names and JSON): a deletion mark says a
// block is to be deleted after the deletion delay; readers stop using marked blocks. Mimir keeps a
// copy of every marker under `markers/`, so the index needs one LIST for all of them.

export const DELETION_MARK_FILE = 'deletion-mark.json';
export const MARKERS_DIR = 'markers';

export interface DeletionMark {
  /** The block's ULID. */
  id: string;
  /** Unix seconds. */
  deletion_time: number;
  version: 1;
  details?: string;
}

export function deletionMarkPath(ulid: string): string {
  return `${ulid}/${DELETION_MARK_FILE}`;
}

export function globalDeletionMarkPath(ulid: string): string {
  return `${MARKERS_DIR}/${ulid}-${DELETION_MARK_FILE}`;
}

/** The ULID of a `markers/<ULID>-deletion-mark.json` name, or undefined for other names. */
export function ulidOfGlobalDeletionMark(name: string): string | undefined {
  const prefix = `${MARKERS_DIR}/`;
  const suffix = `-${DELETION_MARK_FILE}`;
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return undefined;
  return name.slice(prefix.length, name.length - suffix.length);
}

export function parseDeletionMark(bytes: Uint8Array, what: string): DeletionMark {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as Partial<DeletionMark>;
  if (typeof doc.id !== 'string' || typeof doc.deletion_time !== 'number') {
    throw new Error(`${what}: not a deletion mark (expected {"id","deletion_time","version":1})`);
  }
  return { id: doc.id, deletion_time: doc.deletion_time, version: 1, ...(typeof doc.details === 'string' ? { details: doc.details } : {}) };
}
