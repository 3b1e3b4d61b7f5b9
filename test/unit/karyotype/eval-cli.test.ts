/**
 * eval-karyotype and train-karyotype through the CLI, on tiny folders in the shared layout (manifest.csv
 * plus the cells' crops, linked from the shared dataset): one JSON object with the required keys, cells
 * a model trained on are never scored, and bad input is refused with a clear message and a non-zero exit.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { createAppContext } from '../../../main/app/create-context'
import { repoRoot } from '../../../main/app/paths'
import { evalKaryotypeCommand } from '../../../main/cli/commands/eval-karyotype'
import { trainKaryotypeCommand } from '../../../main/cli/commands/train-karyotype'
import { LabError } from '../../../main/errors'
import { splitOf } from '../../../main/karyotype/classifier/dataset'
import { classifierNetwork } from '../../../main/karyotype/classifier/model'
import { readClassifierModel, readModelWeights } from '../../../main/karyotype/classifier/model-files'
import { trainChromosomeClassifier } from '../../../main/karyotype/classifier/train'
import { evaluateFolder } from '../../../main/karyotype/eval/evaluate-folder'
import { chromosomesDir } from './helpers'

function lightbox(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, LIGHTBOX_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lightbox-karyotype-cli-')) }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A folder laid out like chromosomes/<dataset> holding only the given cells (their folders linked). */
function subset(dataset: string, pick: (cells: string[]) => string[]): { dir: string; cells: string[] } {
  const source = path.join(chromosomesDir, dataset)
  const lines = readFileSync(path.join(source, 'manifest.csv'), 'utf8').trim().split('\n')
  const header = lines[0].split(',')
  const groupAt = header.indexOf(header.includes('cell') ? 'cell' : 'case')
  const all = [...new Set(lines.slice(1).map((l) => l.split(',')[groupAt]))]
  const cells = pick(all)
  const dir = mkdtempSync(path.join(os.tmpdir(), `lightbox-${dataset}-subset-`))
  for (const c of cells) symlinkSync(path.join(source, c), path.join(dir, c))
  const keep = new Set(cells)
  writeFileSync(path.join(dir, 'manifest.csv'), [lines[0], ...lines.slice(1).filter((l) => keep.has(l.split(',')[groupAt]))].join('\n') + '\n')
  return { dir, cells }
}

const requiredKeys = ['chromosomes', 'cells', 'type_accuracy_raw', 'type_accuracy_dispatched', 'per_cell_accuracy', 'cells_fully_correct', 'polarity_accuracy', 'seconds']

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines.at(-1)!) as Record<string, unknown>
}

describe('eval-karyotype', () => {
  it('scores two held-out G-band cells: one JSON object with the required keys', () => {
    const { dir } = subset('gband', (cells) => cells.filter((c) => splitOf(c) === 'test').slice(0, 2))
    const r = lightbox('eval-karyotype', dir, '--json')
    assert.equal(r.code, 0, r.stderr)
    const out = lastJson(r.stdout)
    for (const k of requiredKeys) assert.ok(k in out, `the JSON has ${k}`)
    assert.equal(out['cells'], 2)
    assert.ok((out['chromosomes'] as number) >= 90)
    for (const k of ['type_accuracy_raw', 'type_accuracy_dispatched', 'per_cell_accuracy', 'polarity_accuracy']) {
      const v = out[k] as number
      assert.ok(v >= 0.8 && v <= 1, `${k} = ${v}`)
    }
    assert.ok((out['seconds'] as number) > 0)
  })

  it('never scores the cells the shipped model was trained on', () => {
    const { dir } = subset('gband', (cells) => cells.filter((c) => splitOf(c) === 'train').slice(0, 1))
    const r = lightbox('eval-karyotype', dir, '--json')
    assert.equal(r.code, 0, r.stderr)
    const out = lastJson(r.stdout)
    assert.equal(out['cells'], 0)
    assert.equal(out['skipped_seen_cells'], 1)
  })

  it('a Q-band case: polarity is not scored (the crops are not upright) and says why', () => {
    const { dir } = subset('qband', (cells) => cells.filter((c) => splitOf(c) === 'test').slice(0, 1))
    const r = lightbox('eval-karyotype', dir, '--json')
    assert.equal(r.code, 0, r.stderr)
    const out = lastJson(r.stdout)
    assert.equal(out['cells'], 1)
    assert.equal(out['polarity_accuracy'], null)
    assert.ok((out['notes'] as string[]).some((n) => /orientation/.test(n)))
  })

  it('refuses bad input clearly: no manifest (through the CLI: message and exit code), bad columns and types, bad options', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'lightbox-no-manifest-'))
    const r = lightbox('eval-karyotype', empty, '--json')
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /No manifest\.csv in .*lightbox-no-manifest-/)
    assert.equal(r.stdout.trim(), '', 'nothing on stdout when it fails')
    const refused = (e: unknown, code: string, pattern: RegExp) => e instanceof LabError && e.code === code && pattern.test(e.message)
    writeFileSync(path.join(empty, 'manifest.csv'), 'file,cell\na.png,1\n')
    await assert.rejects(evaluateFolder(empty), (e) => refused(e, 'bad_input', /lacks the column type/))
    writeFileSync(path.join(empty, 'manifest.csv'), 'file,cell,type\na.png,1,23\n')
    await assert.rejects(evaluateFolder(empty), (e) => refused(e, 'bad_input', /row 2 \(a\.png\): "23" is not a chromosome type/))
    writeFileSync(path.join(empty, 'manifest.csv'), 'file,slide,type\na.png,1,7\n')
    await assert.rejects(evaluateFolder(empty), (e) => refused(e, 'bad_input', /none of the columns cell, case/))
    const ctx = createAppContext({ dataDir: empty, resourcesDir: path.join(repoRoot, 'resources') })
    const io = { print: () => {}, progress: () => {} }
    await assert.rejects(evalKaryotypeCommand.run({ positionals: [empty], options: { split: 'half' }, json: true }, ctx, io), (e) => refused(e, 'invalid_argument', /--split must be one of/))
    await assert.rejects(evalKaryotypeCommand.run({ positionals: [], options: {}, json: true }, ctx, io), (e) => refused(e, 'invalid_argument', /Give the dataset folder/))
  })

  it('a crop that cannot be read counts as wrong instead of stopping the evaluation', async () => {
    const { dir, cells } = subset('gband', (all) => all.filter((c) => splitOf(c) === 'test').slice(0, 1))
    const manifest = readFileSync(path.join(dir, 'manifest.csv'), 'utf8')
    writeFileSync(path.join(dir, 'manifest.csv'), manifest.replace(`${cells[0]}/1_0.png`, `${cells[0]}/missing.png`))
    const r = await evaluateFolder(dir)
    assert.equal(r.failed_crops, 1)
    assert.equal(r.cells, 1)
    assert.ok(r.type_accuracy_raw < 1 && r.type_accuracy_raw > 0.8)
    assert.ok(r.notes.some((n) => /could not be read/.test(n)))
  })
})

describe('train-karyotype', () => {
  it('trains a tiny classifier end to end (one epoch, a few cells) and writes a model its manifest describes', async () => {
    let train = 0
    let validation = 0
    const { dir } = subset('qband', (cells) =>
      cells.filter((c) => {
        const s = splitOf(c)
        if (s === 'train' && train < 2) return ++train > 0
        if (s === 'validation' && validation < 1) return ++validation > 0
        return false
      })
    )
    const out = mkdtempSync(path.join(os.tmpdir(), 'lightbox-tiny-model-'))
    const r = lightbox('train-karyotype', dir, '--epochs', '1', '--out', out, '--no-cache', '--json')
    assert.equal(r.code, 0, r.stderr)
    const result = lastJson(r.stdout)
    assert.match(String(result['model']), /^chromosome-qband@/)
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))
    assert.equal(manifest.task, 'chromosome-classification')
    assert.equal(manifest.training.hyperparameters.stain, 'Q')
    assert.ok(manifest.training.seconds >= 0 && typeof manifest.metrics['validation.type_accuracy_dispatched'] === 'number')
    assert.equal(manifest.training.hyperparameters.seenCells.split(',').length, 3, 'the 3 cells it learnt from are fingerprinted')
    // Evaluating the tiny model on its own folder scores nothing: it has seen every cell.
    const e = await evaluateFolder(dir, { model: out })
    assert.equal(e.skipped_seen_cells, 3)
    assert.equal(e.cells, 0)
  })

  it('continuing from a model starts from its weights (not from scratch)', async () => {
    let train = 0
    let validation = 0
    const { dir } = subset('gband', (cells) =>
      cells.filter((c) => {
        const s = splitOf(c)
        if (s === 'train' && train < 1) return ++train > 0
        if (s === 'validation' && validation < 1) return ++validation > 0
        return false
      })
    )
    const parentDir = path.join(repoRoot, 'resources', 'models', 'chromosome-gband')
    const out = mkdtempSync(path.join(os.tmpdir(), 'lightbox-continued-model-'))
    // A learning rate too small to move anything: the result must be the parent, give or take batch-norm statistics.
    const r = await trainChromosomeClassifier({ datasetDir: dir, outDir: out, from: parentDir, epochs: 1, learningRate: 1e-9, cacheDir: null })
    assert.match(String(r.manifest.parent), /^chromosome-gband@/)
    const parent = await readClassifierModel(parentDir)
    const network = classifierNetwork(parent.settings.views, parent.settings.architecture)
    const before = await readModelWeights(parent.modelFile, network)
    const after = await readModelWeights(path.join(out, 'model.onnx'), network)
    for (const name of ['g_stem.weight', 'u_conv1.weight', 't_logits.weight', 'p_logit.bias']) {
      const a = before[name].data
      const b = after[name].data
      let diff = 0
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]))
      assert.ok(diff < 1e-5, `${name} moved by ${diff}`)
    }
    assert.ok(r.validation.type_accuracy_raw > 0.9, `the continued model is as good as its parent (${r.validation.type_accuracy_raw})`)
  })

  it('refuses a missing dataset folder and bad options', async () => {
    const ctx = createAppContext({ dataDir: os.tmpdir(), resourcesDir: path.join(repoRoot, 'resources') })
    const io = { print: () => {}, progress: () => {} }
    const refused = (e: unknown, pattern: RegExp) => e instanceof LabError && e.code === 'invalid_argument' && pattern.test(e.message)
    await assert.rejects(trainKaryotypeCommand.run({ positionals: [], options: {}, json: true }, ctx, io), (e) => refused(e, /Give the dataset folder/))
    await assert.rejects(
      trainKaryotypeCommand.run({ positionals: [path.join(chromosomesDir, 'qband')], options: { epochs: '0' }, json: true }, ctx, io),
      (e) => refused(e, /--epochs must be a whole number/)
    )
    await assert.rejects(
      trainKaryotypeCommand.run({ positionals: [path.join(chromosomesDir, 'qband')], options: { 'learning-rate': 'fast' }, json: true }, ctx, io),
      (e) => refused(e, /--learning-rate must be a positive number/)
    )
  })
})
