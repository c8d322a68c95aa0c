// Public surface of the AIR beautifier.
export { beautify, valueText, lensText, type BeautifyOptions } from './beautify.js';
