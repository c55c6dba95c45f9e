import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';

import { RequestId } from '@imagegen/bff/util-http';
import { ModelInfo } from '@imagegen/contracts';

import { ModelsService } from './models.service';
import { MODEL_INFO_SCHEMA, PROBLEM_RESPONSES } from './openapi';

@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Image models: limits, prices, whether this deployment can call each now, and the expected time per image',
  })
  @ApiResponse({ status: 200, schema: { type: 'array', items: MODEL_INFO_SCHEMA } as never })
  @ApiResponse(PROBLEM_RESPONSES.rateLimited)
  list(@RequestId() requestId: string): Promise<readonly ModelInfo[]> {
    return this.models.list(requestId);
  }
}
