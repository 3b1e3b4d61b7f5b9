/**
 * What the Models table shows of a model's metrics: a few headline figures from its most held-out split
 * (test before validation), whole-model figures (`test.mean_auc`) before per-class ones
 * (`test.auc.Effusion`), and every figure on request. A findings model carries dozens (AUC, calibration
 * error, threshold, sensitivity and specificity per finding); listing them all in a table cell buries the rest.
 */

export type Metric = [name: string, value: number]

/** Splits in the order a reader trusts them: held-out test first. */
const splitOrder = ['test.', 'validation.', 'val.']
/** Counts describe the evaluation set, not the model's quality. */
const isCount = (name: string): boolean => /(^|\.)(chromosomes|cells|images|samples)$/.test(name)
/** `test.mean_auc` sums up the model; `test.auc.Effusion` one class of it. */
const isOverall = (name: string, prefix: string): boolean => !name.slice(prefix.length).includes('.')

export function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3)
}

export function metricSummary(metrics: Record<string, number>, headline = 3): { headline: Metric[]; all: Metric[] } {
  const all = Object.entries(metrics)
  for (const prefix of splitOrder) {
    const fromSplit = all.filter(([name]) => name.startsWith(prefix) && !isCount(name))
    if (fromSplit.length === 0) continue
    const ranked = [...fromSplit.filter(([n]) => isOverall(n, prefix)), ...fromSplit.filter(([n]) => !isOverall(n, prefix))]
    return { headline: ranked.slice(0, headline), all }
  }
  return { headline: all.filter(([name]) => !isCount(name)).slice(0, headline), all }
}
