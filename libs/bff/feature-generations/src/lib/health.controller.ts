import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import { NoRateLimit, RequestId } from '@imagegen/bff/util-http';

import { READY_CACHE_MS } from './tokens';

@ApiTags('health')
@NoRateLimit() // the load balancer's checks
@Controller()
export class HealthController {
  /** The generator's last answer, kept a few seconds: readiness checks, however many, ask it at most that often. */
  private last?: { readonly answer: Promise<void>; readonly until: number };

  constructor(
    @Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient,
    @Inject(READY_CACHE_MS) private readonly cacheMs: number,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers (no dependency is called)' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: the generator API answers the BFF (503 problem otherwise, and while the server drains); ' +
      'the answer is kept a few seconds, so the generator is asked at most that often',
  })
  async ready(@RequestId() requestId: string): Promise<{ status: 'ready' }> {
    const now = Date.now();
    if (!this.last || now >= this.last.until) {
      // One question at a time: checks arriving while it runs, or until it expires, share its answer.
      const answer = this.generator.ping(requestId);
      this.last = { answer, until: Number.POSITIVE_INFINITY };
      const settled = () => (this.last = { answer, until: Date.now() + this.cacheMs });
      answer.then(settled, settled);
    }
    await this.last.answer;
    return { status: 'ready' };
  }
}
