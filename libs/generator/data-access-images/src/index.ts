export * from './lib/parameters-writer';
export * from './lib/sharp-thumbnailer';
