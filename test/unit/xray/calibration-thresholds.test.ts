/**
 * Calibration of the X-ray scores: Platt scaling recovers a known miscalibration, temperature scaling
 * undoes an over-confident softmax, ECE is 0 for calibrated and the known gap for miscalibrated
 * predictions, thresholds are chosen by Youden's J (or a sensitivity target) on validation scores, the
 * site's override file round-trips and is validated, and the shipped head's thresholds and ECE are those
 * chosen and measured on its validation predictions.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { sourceResourcesDir } from '../../../main/app/paths'
import { LabError } from '../../../main/errors'
import {
  applyPlatt,
  chooseThreshold,
  expectedCalibrationError,
  fitPlatt,
  fitTemperature,
  operatingPoint,
  readSiteThresholds,
  reliability,
  writeSiteThresholds
} from '../../../main/xray/calibration'
import { freshDataDir } from './findings-helpers'

/** A fixed pseudo-random sequence (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

describe('Platt and temperature scaling', () => {
  it('recovers the slope and offset that made the logits miscalibrated', () => {
    const rand = lcg(7)
    const z: number[] = []
    const t: number[] = []
    for (let i = 0; i < 20000; i++) {
      const logit = (rand() - 0.5) * 8
      z.push(logit)
      t.push(rand() < 1 / (1 + Math.exp(-(0.5 * logit - 1))) ? 1 : 0)
    }
    const p = fitPlatt(z, t)
    assert.ok(Math.abs(p.a - 0.5) < 0.05, `a = ${p.a}`)
    assert.ok(Math.abs(p.b + 1) < 0.08, `b = ${p.b}`)
    assert.ok(Math.abs(applyPlatt(p, 0) - 1 / (1 + Math.exp(-p.b))) < 1e-12)
  })

  it('finds the temperature of an over-confident softmax', () => {
    const rand = lcg(3)
    const classes = 3
    const logits: number[] = []
    const labels: number[] = []
    for (let i = 0; i < 6000; i++) {
      const z = [0, 1, 2].map(() => (rand() - 0.5) * 4)
      const e = z.map(Math.exp)
      const s = e.reduce((a, b) => a + b, 0)
      const u = rand()
      labels.push(u < e[0] / s ? 0 : u < (e[0] + e[1]) / s ? 1 : 2)
      logits.push(...z.map((v) => v * 3))
    }
    const T = fitTemperature(logits, labels, classes)
    assert.ok(Math.abs(T - 3) < 0.3, `T = ${T}`)
  })
})

describe('expected calibration error', () => {
  it('is 0 for predictions that match the observed frequency, and the gap otherwise', () => {
    const probs = [...Array(100).fill(0.25), ...Array(100).fill(0.75)]
    const calibrated = [...Array(25).fill(1), ...Array(75).fill(0), ...Array(75).fill(1), ...Array(25).fill(0)]
    assert.ok(expectedCalibrationError(probs, calibrated) < 1e-12)
    const overconfident = probs.map((p) => (p < 0.5 ? 0.05 : 0.95))
    assert.ok(Math.abs(expectedCalibrationError(overconfident, calibrated) - 0.2) < 1e-12)
    const bins = reliability(probs, calibrated)
    assert.equal(bins[2].count, 100)
    assert.equal(bins[2].observed, 0.25)
  })
})

describe('thresholds', () => {
  const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1, 0.05]
  const targets = [1, 1, 1, 0, 1, 0, 0, 1, 0, 0]

  it("maximises Youden's J, halfway between scores, the higher threshold on a tie", () => {
    const p = chooseThreshold(scores, targets)
    // Flagging the top three (sensitivity 3/5, specificity 5/5) and the top five (4/5, 4/5) both give J 0.6.
    assert.equal(p.threshold, (0.7 + 0.6) / 2)
    assert.equal(p.sensitivity, 0.6)
    assert.equal(p.specificity, 1)
    assert.deepEqual(operatingPoint(scores, targets, p.threshold), p)
    const shifted = chooseThreshold(scores, [1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    assert.equal(shifted.threshold, (0.4 + 0.3) / 2, 'one more positive in the middle moves the cut below it')
  })

  it('or the highest threshold that reaches a sensitivity target', () => {
    const p = chooseThreshold(scores, targets, { minSensitivity: 1 })
    assert.equal(p.sensitivity, 1)
    assert.equal(p.threshold, (0.2 + 0.1) / 2)
  })
})

describe('site overrides', () => {
  it('round-trip through the data folder and refuse values that are not probabilities', async () => {
    const dir = freshDataDir()
    assert.deepEqual(await readSiteThresholds(dir), {})
    await writeSiteThresholds(dir, { Pneumonia: 0.3 })
    assert.deepEqual(await readSiteThresholds(dir), { Pneumonia: 0.3 })
    await assert.rejects(writeSiteThresholds(dir, { Pneumonia: 1.5 }), LabError)
    assert.deepEqual(await readSiteThresholds(dir), { Pneumonia: 0.3 }, 'a refused write leaves the file as it was')
  })
})

describe('the shipped findings head', () => {
  it('carries per-finding thresholds and calibration errors from its validation predictions', () => {
    const m = JSON.parse(readFileSync(path.join(sourceResourcesDir, 'models', 'xray-findings', 'manifest.json'), 'utf8')) as {
      labels: string[]
      metrics: Record<string, number>
    }
    for (const label of [...m.labels, 'Abnormal']) {
      const t = m.metrics[`threshold.${label}`]
      assert.ok(t > 0 && t < 1, `${label} threshold ${t}`)
      const before = m.metrics[`val.ece_uncalibrated.${label}`]
      const after = m.metrics[`val.ece.${label}`]
      assert.ok(after <= before + 1e-9, `${label}: Platt scaling did not worsen ECE (${before} → ${after})`)
      assert.ok(after < 0.06, `${label} validation ECE ${after}`)
    }
  })
})
