export * from './lib/sharp-thumbnailer';
