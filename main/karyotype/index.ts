/**
 * The karyotyping engine (main process, plain Node modules; no Electron). Guide to the public API.
 *
 * DATA (types.ts) — plain data only: numbers, strings, arrays, plain objects and Uint8Array, so every
 * result crosses IPC by structured clone and goes into Dexie as it is.
 *   Segmentation { width, height, pixelScale, stain: 'G'|'Q', objects, nextId, threshold, scale, removed, warnings }
 *   ChromosomeObject { id: 'c12', origin: 'auto'|'split'|'merged'|'drawn', mask: {box, data: Uint8Array},
 *     box, area, centroid: [x,y], contour: [x,y][], medialAxis: [x,y][], length, flags: ('cluster'|'border'|'tiny')[] }
 *   Points are [x, y] in image pixels (pixel centres at integers); masks are cut to their box, 1 = inside.
 *   chromosomeTypes = ['1'…'22','X','Y'] is the column order of every probability table.
 *
 * SEGMENTATION (segmentation/)
 *   segmentMetaphase(pathOrBytes, {stain?: 'G'|'Q'|'auto', name?}) -> Promise<Segmentation>
 *       decodes with bounds (empty / not an image -> LabError 'bad_input'; > 100 MP -> LabError
 *       'unsupported', checked from the header; > 4 MP -> shrunk, `pixelScale` and a warning say so).
 *   segmentSpread(greyRaster, options) -> Promise<Segmentation>        an already decoded image
 *   readMetaphaseImage(pathOrBytes, name?) -> {image, pixelScale, warnings}   the bounded decoder alone
 *   Steps: foreground-bright + background flattening + light blur, Otsu, holes filled, nuclei (large round
 *   solid blobs) and specks removed, cell scale measured (unit area = chromosome area / 46, width),
 *   touching chromosomes split at necks of the distance transform (centromeres recognised and kept),
 *   clusters too large for one chromosome cut between concavities; objects left too large are flagged 'cluster'.
 *
 * EDITING (segmentation/edit.ts) — each returns a NEW Segmentation (input untouched, unchanged objects
 * shared, new ids "c<nextId>", never reused); unknown id -> LabError 'not_found', bad gesture -> 'invalid_argument'.
 *   splitObject(seg, id, line: [x,y][])              cut along a drawn polyline (background to background)
 *   mergeObjects(seg, ids)                           one object, possibly in pieces (medial axis chained)
 *   deleteObjects(seg, ids)
 *   addObject(seg, outline: [x,y][], image?) -> Promise   the stained pixels inside the outline (or the outline)
 *
 * NORMALISATION (normalise/)
 *   normaliseCell(image, seg, {size, polarity, scale}) -> Promise<NormalisedChromosome[]>  (same order as objects)
 *   normaliseCrop(greyCrop, {stain?: 'auto', size, polarity, cellLength}) -> NormalisedChromosome
 *       either dataset's crops: gband (upright: polarity kept) or qband (any angle, bright on dark: 'auto')
 *   NormalisedChromosome { id, width, height, data (dark on white, both stains), length, relativeLength,
 *     centromere (0–1 from the top), centromereIndex (0–0.5), flipped, scale, angle, bend }
 *
 * DISPATCH (dispatch/dispatch.ts)
 *   dispatchCell(logProbs: number[N][24], {sex?, ids?, extraCost?, missingCost?, unplacedCost?}) -> CellDispatch
 *     optimal assignment (Hungarian, `munkres`) to two of each autosome + XX or XY (both tried), extra
 *     copies / empty slots / unplaced objects allowed at a cost and listed in `deviations` with messages.
 *
 * ISCN (iscn/)
 *   iscnFromCounts(counts) -> '47,XY,+21'            mosaicIscn(cellsOrClones) -> 'mos 47,XXY[12]/46,XY[8]'
 *   checkIscn(text, resolution?) -> {ok, issues: {severity, message, start, end}[], prefix, clones}
 *     (validateIscn(text, {ideograms, resolution}) is the pure form, e.g. for the renderer with its own data)
 *
 * IDEOGRAMS (ideogram/)
 *   loadIdeogram(400|550|850) -> Ideogram { resolution, chromosomes: { chromosome, length, centromere,
 *     bands: { name: 'q11.2', arm, start, stop, bpStart, bpStop, stain, darkness }[] }[] } (ISCN units)
 *   parseBandTable(tsvText, resolution), chromosomeBands(ideogram, type), hasBand(bands, 'q34')
 *
 * SYNTHETIC DATA (synthetic/)
 *   syntheticSpread({seed, stain, sex|karyotype, touchingPairs, overlappingPairs, nucleus, debris, …})
 *     -> Promise<{image, karyotype, chromosomes: {id, type, mask, axis, centromere, length, …}[], nuclei}>
 *   syntheticChromosomeCrop({type, angle, bend, stain}) -> {image, pEnd, qEnd, centromere}
 */
export type * from './types'
export { chromosomeTypes, isChromosomeType } from './types'
export { segmentMetaphase, segmentSpread } from './segmentation/segment'
export { readMetaphaseImage, maxSegmentPixels } from './segmentation/load'
export { addObject, deleteObjects, mergeObjects, splitObject } from './segmentation/edit'
export { normaliseCell, normaliseCrop, defaultNormaliseSize } from './normalise/normalise'
export type { NormalisedChromosome, NormaliseOptions, CropOptions } from './normalise/normalise'
export { dispatchCell } from './dispatch/dispatch'
export type { CellDispatch, ObjectAssignment, Deviation, DispatchOptions, SexHypothesis } from './dispatch/dispatch'
export { iscnFromCounts, mosaicIscn, isNormalKaryotype } from './iscn/format'
export { checkIscn } from './iscn/check'
export { validateIscn } from './iscn/validate'
export type { IscnValidation, IscnIssue } from './iscn/validate'
export { loadIdeogram } from './ideogram/load'
export { parseBandTable, chromosomeBands, hasBand, bandResolutions } from './ideogram/parse'
export type { Band, BandResolution, ChromosomeBands, Ideogram } from './ideogram/parse'
export { syntheticSpread, normalKaryotype } from './synthetic/spread'
export { syntheticChromosomeCrop } from './synthetic/crop'
