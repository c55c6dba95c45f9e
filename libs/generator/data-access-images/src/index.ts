export * from './lib/input-images';
export * from './lib/parameters-writer';
export * from './lib/sharp-thumbnailer';
export * from './lib/sharp-input-images';
