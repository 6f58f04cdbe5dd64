/**
 * Public on-demand prices of one Region, used by the cost model (`./model.ts`).
 *
 * To update: change the figures and `asOf`, keep one source per figure. Account-wide free tiers are not
 * deducted anywhere in the model. A price of `null` means no source was found: the model prints
 * "unknown" for it rather than guess.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2026-12-03',
  currency: 'USD',
  hoursPerMonth: 730,

  vpc: {
    // https://egresscost.com/nat-gateway (updated March 2026); same figure on https://basavytix.com/blog/aws-nat-gateway-pricing
    natGatewayHour: 0.045,
    // https://egresscost.com/nat-gateway (updated March 2026)
    natGatewayGb: 0.045,
    // https://aws.amazon.com/privatelink/pricing/ (mirror; $7.20 per AZ-month confirmed by egresscost.com, March 2026)
    interfaceEndpointAzHour: 0.01,
    // https://aws.amazon.com/privatelink/pricing/ (first 1 PB per month)
    interfaceEndpointGb: 0.01,
    // https://www.repost.aws/articles/ARapCqBMkaTfCidGWemmSjAA/public-ipv4-addresses-cost-projection (effective 2024-02-01)
    publicIpv4Hour: 0.005,
  },

  kms: {
    // https://aws.amazon.com/kms/pricing/ (+$1 per month for each of the first two automatic rotations)
    keyMonth: 1.0,
    // https://www.wring.co/blog/aws-kms-pricing-guide (2026-03-15); 20,000 requests a month are free
    per10kRequests: 0.03,
  },

  elb: {
    // https://awsnegotiations.com/elastic-load-balancer-cost.html (published May 2026)
    albHour: 0.0225,
    // https://awsnegotiations.com/elastic-load-balancer-cost.html (published May 2026)
    albLcuHour: 0.008,
    // https://awsnegotiations.com/elastic-load-balancer-cost.html (published May 2026)
    nlbHour: 0.0225,
    // https://awsnegotiations.com/elastic-load-balancer-cost.html (published May 2026)
    nlbLcuHour: 0.006,
  },

  cloudwatch: {
    // https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm (standard resolution, per alarm metric)
    alarmMetricMonth: 0.1,
    // https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm (high resolution, period under 60 s)
    highResolutionAlarmMetricMonth: 0.3,
    // https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm
    compositeAlarmMonth: 0.5,
    // https://c3x.dev/blog/aws-cloudwatch-metrics-cost/; same figure in factualminds.com's CloudWatch post (2026-06-13)
    dashboardMonth: 3.0,
    // https://c3x.dev/blog/aws-cloudwatch-metrics-cost/ (first 10,000 metrics)
    customMetricMonth: 0.3,
    // https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026); same on hykell.com
    logsIngestionGb: 0.5,
    // https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026)
    logsStorageGbMonth: 0.03,
  },

  fargate: {
    x86: {
      // https://www.vantage.sh/blog/fargate-pricing (Linux); same in https://www.wring.co/blog/aws-fargate-pricing-guide (2026-03-10)
      vcpuHour: 0.04048,
      // https://www.vantage.sh/blog/fargate-pricing (Linux)
      gbHour: 0.004445,
    },
    arm: {
      // https://www.vantage.sh/blog/fargate-pricing (Linux/ARM64)
      vcpuHour: 0.03238,
      // https://www.vantage.sh/blog/fargate-pricing (Linux/ARM64)
      gbHour: 0.00356,
    },
    windows: {
      // https://www.vantage.sh/blog/fargate-pricing (Windows/x86)
      vcpuHour: 0.09148,
      // https://www.vantage.sh/blog/fargate-pricing (Windows/x86): the OS license fee, per vCPU-hour
      licenseVcpuHour: 0.046,
      // https://www.vantage.sh/blog/fargate-pricing (Windows/x86)
      gbHour: 0.01005,
    },
    // https://www.vantage.sh/blog/fargate-pricing (ephemeral storage above the included 20 GB)
    ephemeralGbHour: 0.000111,
    // https://www.wring.co/blog/aws-fargate-pricing-guide (2026-03-10): "up to 70%". The real Spot discount
    // varies by Region and time; 70% is used as the planning figure.
    spotDiscount: 0.7,
  },

  /** EC2 on-demand Linux instance-hours; `null` = no price found. */
  ec2InstanceHour: {
    // https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/ (2026-06-17)
    'm7g.large': 0.0816,
    // not found in the sources consulted: unknown
    'c7g.large': null,
    // https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/ (2026-06-17)
    'g5.xlarge': 1.006,
    // not found in the sources consulted: unknown
    'g4dn.xlarge': null,
  } as Record<string, number | null>,

  // https://docs.aws.amazon.com/prescriptive-guidance/latest/optimize-costs-microsoft-workloads/ebs-migrate-gp2-gp3.html
  // (gp3 table: 3,000 IOPS and 125 MiB/s included); same on https://www.saisci.com/aws/gp3-throughput-explained/
  ebsGp3GbMonth: 0.08,

  /** EBS volumes other than gp3 storage; billed per second while the volume exists (60 s minimum). */
  ebs: {
    // https://docs.aws.amazon.com/prescriptive-guidance/latest/optimize-costs-microsoft-workloads/ebs-migrate-gp2-gp3.html
    // (per provisioned IOPS-month over 3,000)
    gp3IopsMonth: 0.005,
    // same page (per provisioned MiB/s-month over 125)
    gp3ThroughputMiBpsMonth: 0.04,
    // same page (gp2 column)
    gp2GbMonth: 0.1,
    // https://aws.amazon.com/ebs/pricing/ (US East table as mirrored in public notes; the page's io1 example uses the same figures)
    io1GbMonth: 0.125,
    io1IopsMonth: 0.065,
    // https://aws.amazon.com/ebs/pricing/ (as above)
    io2GbMonth: 0.125,
    // https://aws.amazon.com/ebs/pricing/ and https://aws.amazon.com/ebs/provisioned-iops/ (tiers applied per volume)
    io2IopsMonthTiers: [
      { upToIops: 32000, iopsMonth: 0.065 },
      { upToIops: 64000, iopsMonth: 0.046 },
      { upToIops: Infinity, iopsMonth: 0.032 },
    ],
    // https://aws.amazon.com/ebs/pricing/ (as above)
    st1GbMonth: 0.045,
    // https://aws.amazon.com/ebs/pricing/ (as above)
    sc1GbMonth: 0.015,
    // magnetic (standard) is priced on the previous-generation page, not found in the sources consulted: unknown
    standardGbMonth: null as number | null,
  },

  sqs: {
    // https://cloudburn.io/blog/amazon-sqs-pricing (2026-03-14; per 64 KB chunk, first 1M requests a month free)
    standardPerMillion: 0.4,
    // https://cloudburn.io/blog/amazon-sqs-pricing (2026-03-14)
    fifoPerMillion: 0.5,
  },

  s3: {
    // https://c3x.dev/blog/s3-request-fees-explained (PUT, COPY, POST, LIST)
    putPer1k: 0.005,
    // https://c3x.dev/blog/s3-request-fees-explained (GET, SELECT)
    getPer1k: 0.0004,
  },

  // https://cloudburn.io/blog/amazon-eventbridge-pricing (2026-03-13; requests after filtering, 64 KB chunks)
  pipesPerMillion: 0.4,

  stepFunctions: {
    // https://www.wring.co/blog/aws-step-functions-pricing-guide (2026-03-14)
    expressPerMillion: 1.0,
    // https://www.wring.co/blog/aws-step-functions-pricing-guide (2026-03-14; 64 MB chunks, 100 ms rounding)
    expressGbSecond: 0.00001667,
    // https://aws.amazon.com/step-functions/pricing/ (4,000 transitions a month free)
    standardPer1kTransitions: 0.025,
  },

  // https://cloudburn.io/blog/amazon-eventbridge-pricing (2026-03-13; after 14M free invocations a month).
  // wring.co says invocations are free: the sources conflict; the more recent dated figure is used.
  schedulerPerMillion: 1.0,

  // https://aws.amazon.com/de/xray/pricing/ (traces recorded; 100,000 a month free)
  xrayPerMillionTraces: 5.0,

  // https://aws.amazon.com/efs/pricing/ (Standard storage class)
  efsStandardGbMonth: 0.3,

  s3Files: {
    // https://aws.amazon.com/s3/pricing/ (S3 Files example as quoted in public notes: high-performance storage $0.30 per
    // GB-month, writes $0.06 per GB, reads from the file system $0.03 per GB; reads served straight from the bucket
    // cost only the S3 GET). Same figures listed for us-east-2 from the AWS Price List API (September 2026).
    highPerformanceGbMonth: 0.3,
    readGb: 0.03,
    writeGb: 0.06,
  },
};

/** The price list's shape, so that tests and callers can pass a modified copy. */
export type Prices = typeof PRICES;
