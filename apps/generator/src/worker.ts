// The worker Lambda's entry (the worker queue's SQS event source mapping): bundled alone into dist/apps/generator/worker,
// beside node_modules/sharp for Lambda's platform (the generator:lambda-deps target).
export { workerHandler as handler } from '@imagegen/generator/feature-api';
