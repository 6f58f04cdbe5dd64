import { IConstruct } from 'constructs';
import { isUnresolved, show, ValidationError } from '../core/errors';

/** The six fields of an EventBridge Scheduler cron expression, with the values each accepts. */
const FIELDS: readonly { readonly name: string; readonly min: number; readonly max: number; readonly names?: readonly string[] }[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { name: 'year', min: 1970, max: 2199 },
];

/**
 * Throws when a `cron(...)` schedule names a value EventBridge Scheduler rejects: a number out of its
 * field's range (minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12, day-of-week 1-7, year
 * 1970-2199), a wrong number of fields, or both day-of-month and day-of-week without `?` in one of them.
 * Syntax it does not know (wildcards such as `L`, `W`, `#`) is left to EventBridge Scheduler.
 */
export function checkCronExpression(scope: IConstruct, prop: string, expression: string): void {
  if (isUnresolved(expression)) return;
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (!m) return;
  const fields = m[1].trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ValidationError(scope,
      `${prop} ${show(expression)} has ${fields.length} fields, but an EventBridge Scheduler cron expression has 6 ` +
      '(minutes hours day-of-month month day-of-week year). Use scheduler.ScheduleExpression.cron({ ... }), which writes all six.');
  }
  fields.forEach((field, i) => {
    const spec = FIELDS[i];
    for (const part of field.split(',')) {
      const [range] = part.split('/');
      // Values of a range ('a-b'), each without the suffixes of the wildcards L, W and # ('5L', '3W', '3#2').
      for (const value of range.split('-')) {
        const bare = value.replace(/(#\d+|L|W)$/i, '');
        if (/^\d+$/.test(bare) && (Number(bare) < spec.min || Number(bare) > spec.max)) {
          const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
          throw new ValidationError(scope,
            `${prop} ${show(expression)} has ${bare} in its ${spec.name} field, but EventBridge Scheduler accepts ` +
            `${spec.min}-${spec.max}${names} there, so it rejects the schedule at deploy. Fix the ${spec.name} field.`);
        }
      }
    }
  });
  if (fields[2] !== '?' && fields[4] !== '?') {
    throw new ValidationError(scope,
      `${prop} ${show(expression)} sets both day-of-month (${show(fields[2])}) and day-of-week (${show(fields[4])}), but EventBridge Scheduler ` +
      'requires ? in one of the two and rejects the schedule at deploy. Put ? in the field you do not mean ' +
      `(e.g. cron(${fields[0]} ${fields[1]} ${fields[2]} ${fields[3]} ? ${fields[5]}) for day-of-month ${fields[2]}).`);
  }
}
