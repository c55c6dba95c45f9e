export { default as EditPage } from './lib/edit-page';
