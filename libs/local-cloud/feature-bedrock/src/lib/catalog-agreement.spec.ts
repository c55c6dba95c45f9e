import { IMAGE_SERVICES, NumberParam } from '@imagegen/contracts';

import { AWS_IMAGE_SERVICE_RULES } from './aws-image-services-rules';
import { AWS_MODEL_RULES } from './aws-model-rules';

/**
 * The app's image-service catalog (what the form offers and the validator lets through) against the stand-in's
 * transcription of AWS's pages: a field, range or enum the catalog offers that AWS refuses would fail in the
 * deployment, so it fails here first.
 */
describe("the image-service catalog agrees with AWS's rules", () => {
  const rulesOf = (id: string) =>
    AWS_IMAGE_SERVICE_RULES.find((r) => r.modelId === id) ?? AWS_MODEL_RULES.find((r) => r.modelId === id);

  it.each(IMAGE_SERVICES.map((s) => [s.displayName, s] as const))('%s', (_name, service) => {
    const rules = rulesOf(service.id);
    expect(rules).toBeDefined();
    if (!rules) return;
    expect(rules.profiles?.includes('us') ?? false).toBe(service.routing.profile === 'us');
    for (const param of service.params) {
      const rule = rules.fields[param.name];
      expect({ param: param.name, known: rule !== undefined }).toEqual({ param: param.name, known: true });
      if (!rule) continue;
      if (param.kind === 'number' || param.kind === 'integer') {
        const p = param as NumberParam;
        expect({ param: p.name, min: p.min, max: p.max }).toEqual({
          param: p.name,
          min: rule.minimum,
          max: rule.maximum,
        });
      }
      if (param.kind === 'enum') expect([...(rule.enum ?? [])].sort()).toEqual([...param.values].sort());
      if (param.kind === 'text') expect(param.maxLength).toBeLessThanOrEqual(rule.maxLength ?? Infinity);
      if (rule.required)
        expect({ param: param.name, required: param.required }).toEqual({
          param: param.name,
          required: true,
        });
    }
    // Every field AWS requires that is not an image is a field the form asks for.
    for (const [field, rule] of Object.entries(rules.fields)) {
      const isImage = ['image', 'init_image', 'style_image', 'mask', 'mode'].includes(field);
      if (rule.required && !isImage) expect(service.params.map((p) => p.name)).toContain(field);
    }
    expect('seed' in rules.fields).toBe(service.takesSeed);
    for (const format of service.outputFormats) expect(rules.fields['output_format']?.enum).toContain(format);
    for (const [name, input] of Object.entries(service.inputs)) {
      expect({
        input: name,
        field: input?.field,
        known: input ? input.field in rules.fields : false,
      }).toMatchObject({
        known: true,
      });
    }
  });
});
