// Child process for the crash test: commits batches forever and prints each committed batch number.
import { Labels } from '../../model/index.ts';
import { DB } from '../index.ts';

const [dir, seriesArg] = process.argv.slice(2);
const numSeries = Number(seriesArg ?? 50);
const db = await DB.open(dir!, { walSegmentSize: 256 * 1024 });
const labels = Array.from({ length: numSeries }, (_, i) => Labels.fromStrings('__name__', 'crash_test', 'series', String(i)));
const refs = new Array<number>(numSeries).fill(0);
// Continue after what a previous (killed) run committed.
const start = db.head.isEmpty() ? 1 : db.head.maxTime / 1000 + 1;
for (let i = start; ; i++) {
  const app = db.appender();
  for (let s = 0; s < numSeries; s++) refs[s] = app.append(refs[s]!, labels[s]!, i * 1000, i + s / 1000);
  await app.commit();
  process.stdout.write(`${i}\n`);
}
