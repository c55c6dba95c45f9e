import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

import { WorkerEvent, WorkerInvokerPort } from '@imagegen/generator/domain';

/**
 * Hands an image of a job to the worker: one message on the worker queue, whose event source mapping
 * invokes the worker with at most its MaximumConcurrency in flight (docs/adr/0011-worker-queue.md).
 * The message is the small job reference (owner, job, request id, image index), never image bytes:
 * far below SQS's 1 MiB message limit
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 */
export class SqsWorkerQueue implements WorkerInvokerPort {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async invoke(event: WorkerEvent): Promise<void> {
    const out = await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(workerMessage(event)) }),
    );
    if (!out.MessageId) throw new Error('the worker queue accepted no message');
  }
}

/** Only the fields of a worker event go on the queue (a caller's extra properties stay behind). */
export function workerMessage(event: WorkerEvent): WorkerEvent {
  return {
    ownerId: event.ownerId,
    generationId: event.generationId,
    requestId: event.requestId,
    ...(event.index !== undefined ? { index: event.index } : {}),
  };
}
