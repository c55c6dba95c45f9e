import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

import { WorkerEvent, WorkerInvokerPort } from '@imagegen/generator/domain';

/** Hands a job to the worker Lambda: asynchronous (`Event`), so Lambda queues and retries it. */
export class LambdaWorkerInvoker implements WorkerInvokerPort {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async invoke(event: WorkerEvent): Promise<void> {
    const out = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (out.StatusCode !== 202) throw new Error(`the worker invoke answered ${out.StatusCode}`);
  }
}
