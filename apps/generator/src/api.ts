// The API Lambda's entry (API Gateway REST proxy integration): bundled alone into dist/apps/generator/api.
export { apiHandler as handler } from '@imagegen/generator/feature-api';
