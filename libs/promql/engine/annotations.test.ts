// Annotations keep one entry per level and message, at its latest position, as Prometheus' map does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Annotations, renderAnnotation } from './annotations.ts';

describe('Annotations', () => {
  it('keeps one annotation per level and message, at the latest position', () => {
    const a = new Annotations();
    a.warn('quantile value should be between 0 and 1, got 2', { start: 9, end: 10 });
    a.warn('quantile value should be between 0 and 1, got 2', { start: 30, end: 31 });
    a.info('quantile value should be between 0 and 1, got 2', { start: 9, end: 10 });
    assert.equal(a.size, 2);
    assert.deepEqual(a.all()[0], { level: 'warning', message: 'quantile value should be between 0 and 1, got 2', pos: { start: 30, end: 31 } });
  });

  it('renders with the line and column of the position', () => {
    const a = new Annotations();
    a.warn('w', { start: 6, end: 7 });
    a.info('storage said so');
    assert.deepEqual(a.all().map((x) => renderAnnotation(x, 'sum(\n  x)')), ['PromQL warning: w (2:2)', 'PromQL info: storage said so']);
  });
});
