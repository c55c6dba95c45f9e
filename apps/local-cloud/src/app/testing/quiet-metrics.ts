// The stacks the integration tests start write the generator's EMF metric lines straight to stdout
// (Powertools Metrics), a few hundred per spec, into the test report. Off unless a test asks for them
// (observability.int-spec.ts starts its stack with POWERTOOLS_METRICS_DISABLED=false and reads them).
process.env['POWERTOOLS_METRICS_DISABLED'] ??= 'true';
