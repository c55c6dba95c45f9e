export { default as ComparePage } from './lib/compare-page';
