/**
 * X-ray engine, learning half: findings, abnormality score, the COVID-19 / pneumonia / normal head,
 * heatmaps, calibration and evaluation. Decoding and preprocessing are the other half (main/xray/index.ts).
 *
 * ## Pipeline (pipeline.ts)
 *
 *   const pipeline = await XrayPipeline.open({ registry, runtime, dataDir })   // the active xray-findings (+ xray-covid) heads
 *   const [r] = await pipeline.findings([{ bytes, name }])     // or { path } or { raster, name }
 *   r.findings      // [{ label, score, threshold, thresholdSource: 'model' | 'site', flagged }] for each trained finding
 *   r.notTrained    // [{ label, reason }]: ChestX-ray14 findings without a head, never scored
 *   r.abnormal      // the abnormality score (any finding vs No Finding), same shape
 *   r.covid         // { probabilities, top, caveat, model } or null without the head
 *   const maps = await pipeline.heatmaps({ bytes, name }, { labels: ['Pneumonia'], maxSide: 2048 })
 *   // maps.heatmaps[i]: { label, score, width, height, values (0…1), region (display pixels) }
 *   const raw = await pipeline.scoreSources(sources, { batchSize, onError })   // batches, decode overlapped with inference
 *
 * decode → model input (the backbone manifest's spec) → feature network → heads. The feature network
 * (feature-network.ts, features.ts) is derived from the registered backbone at load time: MobileNetV2
 * cut after block 10 (the ImageNet part; blocks 11–16 never run), the depthwise activation of every
 * block global-average-pooled and concatenated (2,496 values from 56² down to 14² maps), the image and
 * its mirror averaged. Which layers, and the mirror, are data in the head's manifest
 * (`training.hyperparameters["features.*"]`), so a head names exactly the features it was trained on.
 * Features go through the feature cache (FeatureCache, keyed by content hash and the network's id).
 *
 * ## Heads (train-findings.ts, train-covid.ts, head-graph.ts; `lightbox train-xray`)
 *
 * - xray-findings: outputs `findings` (a sigmoid per ChestX-ray14 finding with ≥ 20 positive training
 *   images) and `abnormal`. Linear and MLP candidates trained by the training engine in 5-fold
 *   cross-validation by patient (the split of dataset.ts: hash of the patient id, 20% held out for the
 *   test); the kind with the best out-of-fold AUC is kept; its 5 fold heads are averaged into one graph
 *   with Platt calibration folded in; thresholds maximise Youden's J on the out-of-fold predictions.
 * - xray-covid: a linear softmax head on the same features from hannover-covid, NIH and PneumoniaMNIST,
 *   temperature-scaled; its model card measures the source confound (source-only classifier,
 *   histogram-only classifier, pneumonia heads carried between sources).
 * - Every head graph also outputs `<head>.gradient` (d logit / d features, by the training engine's
 *   autodiff) and `features.mean` (the training mean), which Grad-CAM uses (main/xray/heatmap).
 *
 * ## Around it
 *
 * main/xray/calibration (Platt/temperature, ECE, thresholds, the site's `xray-thresholds.json`),
 * main/xray/heatmap (Grad-CAM over the tapped layers, overlays), main/xray/eval (`lightbox eval-xray`:
 * metrics and figures), main/xray/quadrant (the seed's quadrant features + autoencoder, compared by
 * `lightbox train-xray --compare-quadrant`), main/xray/handlers.ts (`xray.findings`, `xray.heatmap`,
 * `xray.thresholds.get|set`), bench/xray.ts (`npm run bench -- xray`).
 */
export { XrayPipeline, covidCaveat, type OpenOptions, type RawScores } from './pipeline'
export { abnormalLabel, chestXray14, defaultSplit, foldOf, noFinding, parseFindings, readXrayDataset, splitOf, type SplitSpec, type XrayDataset, type XrayRecord } from './dataset'
export { defaultFeatureSpec, defaultTaps, featureCacheId, featureNetworkOnnx, type FeatureSpec } from './feature-network'
export { computeFeatures, loadFeatureNetwork, type FeatureSource, type XrayFeatureNetwork } from './features'
export { covidHead, findingsHead, modelFromDir, type CovidHeadInfo, type FindingsHeadInfo } from './model-files'
