import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';

import { Storage } from '../constructs/storage';

export interface StatefulStackProps extends StackProps {
  readonly retentionDays: number;
  readonly imageVersioning: boolean;
  readonly allowedOrigins: readonly string[];
}

/** What must outlive every deploy: the images and the jobs (RETAIN, termination protection). */
export class StatefulStack extends Stack {
  readonly storage: Storage;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    this.storage = new Storage(this, 'Storage', {
      retentionDays: props.retentionDays,
      versioning: props.imageVersioning,
      allowedOrigins: props.allowedOrigins,
    });
    // Named exports: the app stack imports these by name (stable names, readable nag findings).
    this.exportValue(this.storage.bucket.bucketArn, { name: STATEFUL_EXPORTS.bucketArn });
    this.exportValue(this.storage.bucket.bucketName, { name: STATEFUL_EXPORTS.bucketName });
    this.exportValue(this.storage.table.tableArn, { name: STATEFUL_EXPORTS.tableArn });
  }
}

export const STATEFUL_EXPORTS = {
  bucketArn: 'ImagegenImagesBucketArn',
  bucketName: 'ImagegenImagesBucketName',
  tableArn: 'ImagegenGenerationsTableArn',
} as const;
