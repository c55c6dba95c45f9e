import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Ip,
  Param,
  Post,
  Query,
  Sse,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';

import { CreatesJob, OwnerId, RequestId } from '@imagegen/bff/util-http';
import { GenerateImageRequest, Generation, GenerationPage } from '@imagegen/contracts';

import { GenerationsService, SseMessage } from './generations.service';
import {
  GENERATE_IMAGE_REQUEST_SCHEMA,
  GENERATION_PAGE_SCHEMA,
  GENERATION_SCHEMA,
  PROBLEM_RESPONSES,
} from './openapi';

@ApiTags('generations')
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@ApiResponse(PROBLEM_RESPONSES.restarting)
@Controller('generations')
export class GenerationsController {
  constructor(private readonly generations: GenerationsService) {}

  @Post()
  @ApiResponse(PROBLEM_RESPONSES.crossOrigin)
  @HttpCode(202)
  @CreatesJob()
  @ApiOperation({ summary: 'Start a generation job (answers at once with the queued job)' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '8 to 128 letters, digits, - or _: a retry with the same key and body answers the first job',
  })
  @ApiBody({ schema: GENERATE_IMAGE_REQUEST_SCHEMA as never })
  @ApiResponse({ status: 202, schema: GENERATION_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.invalid)
  @ApiResponse(PROBLEM_RESPONSES.jobRefused)
  create(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Body() body: GenerateImageRequest,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<Generation> {
    return this.generations.create(ownerId, requestId, body, idempotencyKey);
  }

  @Post(':id/cancel')
  @ApiResponse(PROBLEM_RESPONSES.crossOrigin)
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued or running job (409 when it has already ended)' })
  @ApiResponse({ status: 200, schema: GENERATION_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.notFound)
  cancel(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Param('id') id: string,
  ): Promise<Generation> {
    return this.generations.cancel(ownerId, id, requestId);
  }

  @Delete(':id')
  @ApiResponse(PROBLEM_RESPONSES.crossOrigin)
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a job and every image of it' })
  @ApiResponse(PROBLEM_RESPONSES.notFound)
  remove(@OwnerId() ownerId: string, @RequestId() requestId: string, @Param('id') id: string): Promise<void> {
    return this.generations.remove(ownerId, id, requestId);
  }

  @Get()
  @ApiOperation({ summary: "The owner's jobs, newest first" })
  @ApiQuery({ name: 'cursor', required: false, description: 'the nextCursor of the previous page' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'jobs per page (the generator says how many at most)',
  })
  @ApiQuery({
    name: 'parent',
    required: false,
    description: "a job id: only the owner's edits made from that job's images (its lineage), newest first",
  })
  @ApiResponse({ status: 200, schema: GENERATION_PAGE_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.invalid)
  list(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Query('cursor') cursor?: unknown,
    @Query('limit') limit?: unknown,
    @Query('parent') parent?: unknown,
  ): Promise<GenerationPage> {
    return this.generations.list(ownerId, cursor, limit, requestId, parent);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One job, with freshly presigned image links' })
  @ApiResponse({ status: 200, schema: GENERATION_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.notFound)
  get(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Param('id') id: string,
  ): Promise<Generation> {
    return this.generations.get(ownerId, id, requestId);
  }

  @Sse(':id/events')
  @ApiOperation({
    summary:
      'Server-sent events: the job each time it changes, until it ends (counts once against the rate limits; ' +
      'a few streams at once per owner and per address, then 429 RATE_LIMITED)',
  })
  @ApiResponse(PROBLEM_RESPONSES.notFound)
  events(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Param('id') id: string,
    @Ip() address: string,
  ): Promise<Observable<SseMessage>> {
    return this.generations.events(ownerId, id, requestId, address);
  }
}
