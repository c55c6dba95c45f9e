import { ModelFamily } from '@imagegen/contracts';

import { ModelAdapter } from './model-adapter';
import { stabilityV2Adapter } from './stability-v2';

/** Families we can call today; a new family is one file and one line here. */
const ADAPTERS: Readonly<Partial<Record<ModelFamily, ModelAdapter>>> = {
  'stability-v2': stabilityV2Adapter,
};

export function adapterFor(family: ModelFamily): ModelAdapter | undefined {
  return ADAPTERS[family];
}
