/**
 * The chromosome classifier (type 1–22, X, Y and polarity) — guide to the public API.
 *
 * RUN (what the app does; the whole cell in one call is ../pipeline.ts: analyseCell / classifySegmentation)
 *   const c = await ChromosomeClassifier.load(modelDir, runtimeFor(ctx))   // manifest + sha256 checked
 *   const n = await normaliseCell(image, seg, { size: nativeCanvas, scale: 1, polarity: 'auto' })
 *   const views = n.map((x) => extractViews(x, c.views))                  // global + upper + lower views
 *   const calls = await c.classify(views, cellFeatures(views.map((v) => v.measures)))
 *   // calls[i]: { logProbs (24, for dispatchCell), type, confidence, pArmDown }
 *
 * TRAIN / MEASURE (the CLI: train-karyotype, eval-karyotype)
 *   trainChromosomeClassifier({ datasetDir, outDir, cacheDir, from?, epochs?, … })  → model.onnx + manifest.json
 *   evaluateFolder(dir, { split?, model? })   (../eval/evaluate-folder.ts) → the accuracy JSON
 *
 * PIECES
 *   views.ts       views cut from a normalised chromosome; flipViews (p-arm down), mirrorColumns
 *   features.ts    cell-relative length, density, width; centromere index and position
 *   model.ts       the network spec (trunks, heads) for the training engine
 *   dataset.ts     manifest reading, the by-cell hash split, cell fingerprints
 *   view-table.ts  every crop's views in one cached binary file
 *   samples.ts     training samples (upright + flipped, augmentation) as engine readers
 *   model-files.ts manifest building, model folders, weights read back from ONNX
 *   classify.ts    inference with test-time augmentation
 *   train.ts       the training run, export and held-out measurement
 */
export { ChromosomeClassifier, type ChromosomeCall, type ClassifyOptions } from './classify'
export { cellFeatures, featureNames, featureCount, flipFeatures } from './features'
export { extractViews, flipViews, nativeCanvas, defaultViewConfig, type ChromosomeViews, type ViewConfig } from './views'
export { readChromosomeManifest, splitOf, type Split } from './dataset'
export { readClassifierModel, type ClassifierModelFiles } from './model-files'
export { trainChromosomeClassifier, type TrainClassifierOptions, type TrainClassifierResult } from './train'
