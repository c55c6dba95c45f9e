// The Lambda bundle's entry: both handlers, one esbuild bundle (CDK's NodejsFunction points here).
export { abandonedHandler, apiHandler, workerHandler } from '@imagegen/generator/feature-api';
