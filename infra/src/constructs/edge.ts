import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * The header CloudFront adds to every request it sends to the load balancer; the listener's rules
 * forward only requests that carry it with the secret value, so the ALB answers nobody else
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/restrict-access-to-load-balancer.html).
 */
export const ORIGIN_VERIFY_HEADER = 'x-imagegen-origin-verify';

/**
 * The viewer's address, as CloudFront saw the connection (`event.viewer.ip`), set by a viewer-request function
 * on every request so a viewer cannot choose it: a `true-client-ip` the viewer sends is overwritten. The WAF's
 * rate rule counts by it; X-Forwarded-For's first entry is whatever the viewer wrote
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/example-function-add-true-client-ip-header.html).
 */
export const VIEWER_IP_HEADER = 'true-client-ip';

/** The viewer-request function that sets VIEWER_IP_HEADER (CloudFront Functions, JavaScript runtime 2.0). */
export const VIEWER_IP_FUNCTION = `async function handler(event) {
  var request = event.request;
  request.headers['${VIEWER_IP_HEADER}'] = { value: event.viewer.ip };
  return request;
}`;

/** The AWS-managed prefix list of CloudFront's origin-facing servers (IPv4; weight 55 in a security group). */
export const CLOUDFRONT_ORIGIN_FACING = 'com.amazonaws.global.cloudfront.origin-facing';

/** HSTS on every answer: one year, subdomains too (the BFF sends the same over HTTPS). */
export const HSTS_MAX_AGE = Duration.days(365);

/**
 * How long CloudFront waits for the ALB between two bytes: a job POST answers within ~30 s (API
 * Gateway's 29 s and the BFF's margin) and a job stream (SSE) sends a heartbeat every 15 s. The
 * CloudFront default (30 s) would cut a slow POST; 60 s is the most without a quota increase.
 */
export const ORIGIN_READ_TIMEOUT = Duration.seconds(60);

export interface EdgeProps {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
}

/**
 * HTTPS without owning a domain: a CloudFront distribution on its default `*.cloudfront.net`
 * certificate in front of the load balancer. Viewers on HTTP are redirected to HTTPS, every answer
 * carries HSTS; `/api/*` is never cached and reaches the BFF with every viewer header, cookie and
 * query string (managed AllViewer policy), its event streams unbuffered (no compression, no cache).
 * The ALB admits only CloudFront: its security group lets in CloudFront's origin-facing prefix list
 * alone, and the listener forwards only requests that carry the secret origin header
 * (`originVerifyValue`: the listener rules check it).
 */
export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** The app's public origin, e.g. https://d111111abcdef8.cloudfront.net. */
  readonly url: string;
  /** The secret CloudFront sends in ORIGIN_VERIFY_HEADER (a dynamic reference: never in the template). */
  readonly originVerifyValue: string;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const secret = new secretsmanager.Secret(this, 'OriginVerify', {
      description:
        'The header value CloudFront sends to the imagegen load balancer, which refuses requests without it',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating means updating the distribution and the listener together: rotate by hand (change the secret, redeploy).',
    });
    this.originVerifyValue = secret.secretValue.unsafeUnwrap();

    // The prefix list's id differs per region: looked up at deploy (a context lookup would need the account at synth).
    const lookup = new cr.AwsCustomResource(this, 'CloudFrontPrefixList', {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING] }] },
        physicalResourceId: cr.PhysicalResourceId.of(`${CLOUDFRONT_ORIGIN_FACING}@${Stack.of(this).region}`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeManagedPrefixLists has no resource scope (it reads, and only that).',
    });
    // The singleton function every AwsCustomResource of the stack runs on.
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider)
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS-managed basic execution role of the custom-resource function: its own logs only.',
      });
    props.loadBalancer.connections.allowFrom(
      ec2.Peer.prefixList(lookup.getResponseField('PrefixLists.0.PrefixListId')),
      ec2.Port.tcp(80),
      'CloudFront origin-facing servers only',
    );

    const origin = new origins.LoadBalancerV2Origin(props.loadBalancer, {
      // The ALB has no certificate without a domain (its DNS name cannot get one from ACM).
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originVerifyValue },
      readTimeout: ORIGIN_READ_TIMEOUT,
      keepaliveTimeout: Duration.seconds(60),
    });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Hsts', {
      comment: 'imagegen: HSTS on every answer',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: HSTS_MAX_AGE,
          includeSubdomains: true,
          override: true,
        },
      },
    });
    const viewerIp = new cloudfront.Function(this, 'ViewerIp', {
      comment: 'imagegen: the viewer address the WAF counts, not forgeable by the viewer',
      code: cloudfront.FunctionCode.fromInline(VIEWER_IP_FUNCTION),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    const functionAssociations = [
      { function: viewerIp, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
    ];
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'imagegen: HTTPS in front of the load balancer',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        // The pages: cached as nginx's Cache-Control says (hashed assets for a year, index.html never).
        cachePolicy: cloudfront.CachePolicy.USE_ORIGIN_CACHE_CONTROL_HEADERS,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations,
      },
      additionalBehaviors: {
        '/api/*': {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
          responseHeadersPolicy: headers,
          // Compressing would hold back an event stream's small frames.
          compress: false,
          functionAssociations,
        },
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'No geo restriction: the app is for whoever the deployer lets in (Cognito, when set).',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The regional WAF on the load balancer inspects every request CloudFront forwards (a CloudFront web ACL must live in us-east-1).',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Access logs are kept at the load balancer, which sees every request CloudFront forwards.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate: CloudFront then allows TLSv1 for viewers; set a domain for a TLS 1.2 minimum.',
      },
      {
        id: 'AwsSolutions-CFR5',
        reason:
          'The load balancer has no certificate without a domain: CloudFront reaches it over HTTP inside AWS, with the secret origin header.',
      },
    );
  }
}
