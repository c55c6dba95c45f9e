import { BeforeApplicationShutdown, Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Query, Sse } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Observable, Subject, map, takeUntil } from 'rxjs';

import {
  ErrorCode,
  GENERATION_ID_PATTERN,
  GenerateImageRequest,
  Generation,
  GenerationPage,
  ProblemError,
  validateGenerateImageRequest,
} from '@imagegen/contracts';
import { GENERATOR_CLIENT } from '@imagegen/bff/data-access-generator';
import type { GeneratorClient } from '@imagegen/bff/data-access-generator';
import { OwnerId, RequestId } from '@imagegen/bff/util-http';

import { FOLLOW_OPTIONS } from './tokens';
import { followGeneration } from './follow-generation';
import type { FollowOptions } from './follow-generation';
import { GENERATE_IMAGE_REQUEST_SCHEMA, GENERATION_SCHEMA } from './openapi';

function checkedId(id: string): string {
  if (!GENERATION_ID_PATTERN.test(id)) throw ProblemError.of(ErrorCode.NOT_FOUND, 'no such generation');
  return id;
}

@ApiTags('generations')
@Controller('generations')
export class GenerationsController implements BeforeApplicationShutdown {
  /** Open event streams end when the app shuts down, so the HTTP server can finish and close. */
  private readonly shutdown$ = new Subject<void>();

  constructor(
    @Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient,
    @Inject(FOLLOW_OPTIONS) private readonly follow: FollowOptions,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a generation job (answers at once with the queued job)' })
  @ApiBody({ schema: GENERATE_IMAGE_REQUEST_SCHEMA as never })
  @ApiResponse({ status: 202, schema: GENERATION_SCHEMA as never })
  async create(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Body() body: GenerateImageRequest,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<Generation> {
    // The per-model rules (limits of the chosen model) on top of the DTO's: nothing bad leaves the BFF.
    const checked = validateGenerateImageRequest(body);
    if (!checked.ok) throw new ProblemError(checked.problem);
    // A retried click with the same key answers the first job (the generator keeps the keys).
    return this.generator.create(ownerId, checked.value, requestId, idempotencyKey || undefined);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued or running job (409 when it has already ended)' })
  cancel(@OwnerId() ownerId: string, @RequestId() requestId: string, @Param('id') id: string): Promise<Generation> {
    return this.generator.cancel(ownerId, checkedId(id), requestId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a job and every image of it' })
  remove(@OwnerId() ownerId: string, @RequestId() requestId: string, @Param('id') id: string): Promise<void> {
    return this.generator.remove(ownerId, checkedId(id), requestId);
  }

  @Get()
  @ApiOperation({ summary: "The owner's jobs, newest first" })
  list(@OwnerId() ownerId: string, @RequestId() requestId: string, @Query('cursor') cursor?: string, @Query('limit') limit?: string): Promise<GenerationPage> {
    return this.generator.list(ownerId, { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) }, requestId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One job, with freshly presigned image links' })
  @ApiResponse({ status: 200, schema: GENERATION_SCHEMA as never })
  get(@OwnerId() ownerId: string, @RequestId() requestId: string, @Param('id') id: string): Promise<Generation> {
    return this.generator.get(ownerId, checkedId(id), requestId);
  }

  @Sse(':id/events')
  @ApiOperation({ summary: 'Server-sent events: the job each time it changes, until it ends' })
  events(@OwnerId() ownerId: string, @RequestId() requestId: string, @Param('id') id: string): Observable<{ type: string; data: unknown }> {
    const checked = checkedId(id);
    return followGeneration(() => this.generator.get(ownerId, checked, requestId), this.follow).pipe(
      takeUntil(this.shutdown$),
      map((e) => ({ type: e.type, data: e.data })),
    );
  }

  beforeApplicationShutdown(): void {
    this.shutdown$.next();
    this.shutdown$.complete();
  }
}
