// The consumer of the worker queue's dead-letter queue (SQS event source mapping): bundled alone into dist/apps/generator/abandoned.
export { abandonedHandler as handler } from '@imagegen/generator/feature-api';
