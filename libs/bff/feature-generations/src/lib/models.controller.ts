import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

import { MODEL_CATALOG, ModelInfo } from '@imagegen/contracts';

/** The catalog with what this deployment can call now. */
export function modelInfos(): ModelInfo[] {
  return MODEL_CATALOG.map((m) =>
    m.lifecycle.state === 'retired'
      ? { ...m, available: false, unavailableReason: `Retired by Amazon Bedrock${m.lifecycle.endOfLifeDate ? ` on ${m.lifecycle.endOfLifeDate}` : ''}` }
      : { ...m, available: true },
  );
}

@ApiTags('models')
@Controller('models')
export class ModelsController {
  @Get()
  @ApiOperation({ summary: 'Image models, their limits, prices and availability' })
  list(): ModelInfo[] {
    return modelInfos();
  }
}
