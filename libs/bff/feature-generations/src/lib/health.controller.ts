import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import { NoRateLimit, RequestId } from '@imagegen/bff/util-http';

@ApiTags('health')
@NoRateLimit() // the load balancer's checks
@Controller()
export class HealthController {
  constructor(@Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers (no dependency is called)' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: the generator API answers the BFF (503 problem otherwise, and while the server drains)',
  })
  async ready(@RequestId() requestId: string): Promise<{ status: 'ready' }> {
    await this.generator.ping(requestId);
    return { status: 'ready' };
  }
}
