import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * An alarm that fires as soon as a dead-letter queue holds a message (visible or in flight):
 * every message there is a job, event or run that failed. @internal
 */
export function deadLetterQueueAlarm(scope: Construct, id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm {
  const visible = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
  const inFlight = queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: `${what} landed in the dead-letter queue of ${scope.node.path}.`,
    metric: new cloudwatch.MathExpression({
      // Nothing consumes a dead-letter queue, so SQS publishes no in-flight datapoint for it: without
      // FILL the sum would have no datapoint and the alarm would never fire. An inactive (empty) queue
      // publishes nothing at all: no datapoint, not breaching.
      expression: 'visible + FILL(inFlight, 0)',
      usingMetrics: { visible, inFlight },
      period: Duration.minutes(1),
      label: 'Messages in the dead-letter queue',
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
