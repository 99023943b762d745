// Child process of the crash test: logs fixture records from argv[4] on, printing each number
// once its log() resolved, until the parent SIGKILLs it.
import { WAL } from '../index.ts';
import type { FsyncPolicy } from '../index.ts';
import { fixtureRecord } from './fixture.ts';

const [dir, fsync, segmentSize, start] = process.argv.slice(2);
const wal = await WAL.open(dir!, { fsync: fsync as FsyncPolicy, segmentSize: Number(segmentSize) });
for (let i = Number(start); ; i++) {
  await wal.log(fixtureRecord(i));
  process.stdout.write(`${i}\n`); // synchronous for pipes on Linux
}
