export { default as CreatePage } from './lib/create-page';
