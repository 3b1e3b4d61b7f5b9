import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../../main/app/paths'
import { formatMetric, metricSummary } from '../../../renderer/src/lib/ml/metric-summary'

const shippedMetrics = async (name: string): Promise<Record<string, number>> =>
  (JSON.parse(await readFile(path.join(repoRoot, 'resources', 'models', name, 'manifest.json'), 'utf8')) as { metrics: Record<string, number> }).metrics

describe('metric summary for the Models table', () => {
  it('heads with test figures before validation ones, leaving out set sizes, and keeps every figure', async () => {
    const metrics = await shippedMetrics('chromosome-gband')
    const { headline, all } = metricSummary(metrics)
    assert.deepEqual(
      headline.map(([k]) => k),
      ['test.type_accuracy_raw', 'test.type_accuracy_dispatched', 'test.per_cell_accuracy']
    )
    assert.equal(all.length, Object.keys(metrics).length)
  })

  it('puts whole-model figures before per-finding ones', async () => {
    const { headline, all } = metricSummary(await shippedMetrics('xray-findings'))
    assert.deepEqual(
      headline.map(([k]) => k),
      ['test.mean_auc', 'test.abnormal_auc', 'test.auc.Atelectasis']
    )
    assert.ok(all.length > 40)
  })

  it('falls back to validation figures when a model has no test split', () => {
    const { headline } = metricSummary({ 'threshold.Edema': 0.2, 'val.auc.Edema': 0.81, 'val.mean_auc': 0.78, 'val.images': 218 })
    assert.deepEqual(headline, [['val.mean_auc', 0.78], ['val.auc.Edema', 0.81]])
  })

  it('shows what there is when metrics follow no split naming, and nothing for none', () => {
    assert.deepEqual(metricSummary({ auc: 0.91, images: 120 }).headline, [['auc', 0.91]])
    assert.deepEqual(metricSummary({}), { headline: [], all: [] })
  })

  it('prints counts as integers and fractions to three places', () => {
    assert.equal(formatMetric(46), '46')
    assert.equal(formatMetric(0.99414), '0.994')
  })
})
