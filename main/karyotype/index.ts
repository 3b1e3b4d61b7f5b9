/**
 * The karyotyping engine (main process, plain Node modules; no Electron). Guide to the public API:
 *
 * DATA (types.ts) — all plain data: numbers, strings, arrays, plain objects and Uint8Array, so results
 * cross IPC by structured clone and go into Dexie as they are.
 *   Segmentation { width, height, pixelScale, stain: 'G'|'Q', objects, nextId, threshold, scale, removed, warnings }
 *   ChromosomeObject { id: 'c12', origin: 'auto'|'split'|'merged'|'drawn', mask: {box, data: Uint8Array},
 *     box, area, centroid: [x,y], contour: [x,y][], medialAxis: [x,y][], length, flags: ('cluster'|'border'|'tiny')[] }
 *   Points are [x, y] in image pixels (pixel centres at integers); masks are cut to their box, 1 = inside.
 *
 * SEGMENTATION (segmentation/)
 *   segmentMetaphase(pathOrBytes, {stain?: 'G'|'Q'|'auto', name?}) -> Promise<Segmentation>
 *       decodes with bounds (empty / not an image -> LabError 'bad_input'; > 100 MP -> LabError
 *       'unsupported'; > 4 MP -> shrunk, pixelScale and a warning say so), then segmentSpread.
 *   segmentSpread(greyRaster, options) -> Promise<Segmentation>   (already decoded image)
 *   Editing: every edit returns a NEW Segmentation (input untouched; ids never reused; new objects get
 *   origin 'split' | 'merged' | 'drawn'); a bad id is LabError 'not_found', a bad gesture 'invalid_argument'.
 *     splitObject(seg, id, line: [x,y][])            cut along a drawn polyline
 *     mergeObjects(seg, ids)                         one object from several (may be in pieces)
 *     deleteObjects(seg, ids)
 *     addObject(seg, outline: [x,y][], image?)       -> Promise; with the image the stained pixels inside
 *                                                       the outline become the object, else the outline itself
 */
export type * from './types'
export { segmentMetaphase, segmentSpread } from './segmentation/segment'
export { readMetaphaseImage, maxSegmentPixels } from './segmentation/load'
export { addObject, deleteObjects, mergeObjects, splitObject } from './segmentation/edit'
