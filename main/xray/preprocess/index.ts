/** Preprocessing of decoded X-rays: VOI and presentation, the display image, the model input tensor. */
export { defaultDisplayMaxSide, displayImage, shrinkToFit, type DisplayImage } from './display'
export { inputGeometry, modelInput, type InputGeometry, type InputRegion, type ModelInput, type ModelInputOptions } from './model-input'
export { presentationImage, type Presentation } from './present'
export { resizeGrey, type Fit } from './resize'
export { modalityFunction, modalityRange, resolveVoi, windowFunction, type ResolvedVoi } from './voi'
