import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { OwnerId, RequestId } from '@imagegen/bff/util-http';
import type { AssistantStatus } from '@imagegen/contracts';

import { AssistantService } from './assistant.service';

@ApiTags('assistant')
@Controller('assistant')
export class AssistantController {
  constructor(private readonly assistant: AssistantService) {}

  @Get()
  @ApiOperation({ summary: "Whether the prompt assistant can be used now, and its model's prices" })
  status(): AssistantStatus {
    return this.assistant.status();
  }

  @Post('suggestions')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Improve a prompt: server-sent events start, delta (each piece as written), then suggestion or error, each with the real cost',
  })
  @ApiResponse({ status: 200, description: 'text/event-stream' })
  suggest(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.assistant.suggest(ownerId, requestId, body, req, res);
  }
}
