// The worker's on-failure destination: bundled alone into dist/apps/generator/abandoned.
export { abandonedHandler as handler } from '@imagegen/generator/feature-api';
