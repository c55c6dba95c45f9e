import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where browsers upload images (presigned POST): `uploads/<owner prefix>/…`, expired after a day. */
export const UPLOADS_PREFIX = 'uploads/';

export interface StorageProps {
  /** Days images and job records are kept. */
  readonly retentionDays: number;
  readonly versioning: boolean;
  /** The app's origins: allowed to load images (CORS GET) and to upload them straight to the bucket (CORS POST). */
  readonly allowedOrigins: readonly string[];
}

/** The image bucket, its access-log bucket, and the jobs table: all kept when the stack goes. */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Images', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioning,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'images/',
      lifecycleRules: [
        {
          // No prefix filter on purpose: every object (images and their thumbnails, all under owners/)
          // goes after retentionDays, as the job records do (table TTL, RETENTION_DAYS in the generator).
          id: 'retention',
          expiration: Duration.days(props.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          ...(props.versioning ? { noncurrentVersionExpiration: Duration.days(7) } : {}),
        },
        {
          // Browser uploads (presigned POST under uploads/) go after a day: a job copies the uploads it
          // uses into its own prefix, so an upload no job took is all that is left here. Where this rule
          // and 'retention' overlap, S3 honours the shorter expiration
          // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html).
          id: 'expire-uploads',
          prefix: UPLOADS_PREFIX,
          expiration: Duration.days(1),
        },
      ],
      cors: [
        {
          // GET/HEAD: presigned image links loaded by the app; POST: its uploads (presigned POST, a
          // multipart form the browser sends straight to the bucket).
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.POST],
          allowedOrigins: [...props.allowedOrigins],
          maxAge: 3000,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Generations', {
      partitionKey: { name: 'ownerId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
