import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';

import { OwnerId, RequestId } from '@imagegen/bff/util-http';
import { OwnerSummary } from '@imagegen/contracts';

import { GenerationsService } from './generations.service';
import { OWNER_SUMMARY_SCHEMA, PROBLEM_RESPONSES } from './openapi';

@ApiTags('generations')
@Controller('summary')
export class SummaryController {
  constructor(private readonly generations: GenerationsService) {}

  @Get()
  @ApiOperation({ summary: "The owner's retention and this month's spending" })
  @ApiResponse({ status: 200, schema: OWNER_SUMMARY_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.rateLimited)
  summary(@OwnerId() ownerId: string, @RequestId() requestId: string): Promise<OwnerSummary> {
    return this.generations.summary(ownerId, requestId);
  }
}
