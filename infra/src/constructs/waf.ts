import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

import { VIEWER_IP_HEADER } from './edge';

export interface WafProps {
  /** The ALB to protect. */
  readonly resourceArn: string;
  /**
   * Requests per 5 minutes from one IP (every path: pages, assets, API) before it is blocked with a
   * 403 until its rate falls. A flood guard: set it above the BFF's per-IP limit × 5.
   */
  readonly rateLimit: number;
  /**
   * CloudFront is in front: every request reaches the ALB from a CloudFront address, so the rate rule counts the
   * viewer's address CloudFront's viewer-request function writes into `true-client-ip` (edge.ts), as a custom
   * aggregation key (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-aggregation-options.html).
   * Not X-Forwarded-For: its first entry is whatever the viewer sent, so a client could pick a new address per request.
   */
  readonly behindCloudFront?: boolean;
}

/** The window the rate rule counts over (seconds): `rateLimit` is per this window. */
export const WAF_RATE_WINDOW_SECONDS = 300;

/**
 * Rules of a managed group that only count (never block), by group. The Core Rule Set's
 * SizeRestrictions_BODY blocks bodies over 8 KB, and a prompt with its negative prompt may be
 * 20,000 characters: bodies are limited by the BFF (BODY_LIMIT, 64 kB, 413) instead (ADR 0009).
 */
export const WAF_COUNT_ONLY: Readonly<Record<string, readonly string[]>> = {
  AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'],
};

const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
  name,
  priority,
  statement: {
    managedRuleGroupStatement: {
      vendorName: 'AWS',
      name,
      ...(WAF_COUNT_ONLY[name]
        ? {
            ruleActionOverrides: WAF_COUNT_ONLY[name].map((rule) => ({
              name: rule,
              actionToUse: { count: {} },
            })),
          }
        : {}),
    },
  },
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
              ...(props.behindCloudFront
                ? {
                    aggregateKeyType: 'CUSTOM_KEYS',
                    customKeys: [
                      {
                        header: {
                          name: VIEWER_IP_HEADER,
                          textTransformations: [{ priority: 0, type: 'NONE' }],
                        },
                      },
                    ],
                  }
                : { aggregateKeyType: 'IP' }),
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
