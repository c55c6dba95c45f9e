export { default as GalleryPage } from './lib/gallery-page';
