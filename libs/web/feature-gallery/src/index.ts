export { default as GalleryPage } from './lib/gallery-page';
export { default as GenerationDetailPage } from './lib/generation-detail-page';
