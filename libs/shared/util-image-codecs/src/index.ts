export * from './lib/bytes';
export * from './lib/exif';
export * from './lib/parameters-codec';
export * from './lib/png';
