import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface WafProps {
  /** The ALB to protect. */
  readonly resourceArn: string;
  /**
   * Requests per 5 minutes from one IP (every path: pages, assets, API) before it is blocked with a
   * 403 until its rate falls. A flood guard: set it above the BFF's per-IP limit × 5.
   */
  readonly rateLimit: number;
}

/** The window the rate rule counts over (seconds): `rateLimit` is per this window. */
export const WAF_RATE_WINDOW_SECONDS = 300;

const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
  name,
  priority,
  statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
  overrideAction: { none: {} },
  visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
});

/** A regional web ACL on the ALB: AWS managed rule groups and a per-IP rate rule. */
export class Waf extends Construct {
  constructor(scope: Construct, id: string, props: WafProps) {
    super(scope, id);
    const acl = new wafv2.CfnWebACL(this, 'Acl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'imagegen',
        sampledRequestsEnabled: true,
      },
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          statement: {
            rateBasedStatement: {
              limit: props.rateLimit,
              evaluationWindowSec: WAF_RATE_WINDOW_SECONDS,
              aggregateKeyType: 'IP',
            },
          },
          action: { block: {} },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'rate-per-ip',
            sampledRequestsEnabled: true,
          },
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesCommonRuleSet', 2),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 3),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.resourceArn,
      webAclArn: acl.attrArn,
    });
  }
}
