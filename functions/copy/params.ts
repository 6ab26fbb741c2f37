import type { MessageKey } from './catalogue/en.ts';

/**
 * The placeholders each message may use, and how each is formatted. `name:kind` must appear in
 * every template of the key (it carries the fact the message exists for); `name?:kind` may be
 * left out. A template using a placeholder not listed here is rejected.
 *
 * Kinds: `text` as given; `number`; `credits`, `days`, `requests` (a count with its unit, in the
 * locale's plural); `percent` (0–100); `date`, `dateTime` (ISO-8601, shown in UTC); `money`
 * (`{ amount, currency }`).
 */
export const PARAMS: Record<MessageKey, string> = {
  'unit.credit.one': '',
  'unit.credit.other': '',
  'unit.day.one': '',
  'unit.day.other': '',
  'unit.request.one': '',
  'unit.request.other': '',
  'unit.query': '',

  'insufficientCredits.title': '',
  'insufficientCredits.detail': 'shortfall:credits outcome:text subject?:text required?:credits available?:credits',
  'insufficientCredits.subject.operation': 'operation:text',
  'insufficientCredits.subject.request': '',
  'insufficientCredits.outcome.parked': '',
  'insufficientCredits.outcome.notCharged': '',
  'insufficientCredits.socialProof': 'percent:percent plan?:text hours:number sample?:number days?:number',
  'insufficientCredits.action.viewUsage': '',
  'insufficientCredits.action.topUp': 'shortfall?:credits',
  'insufficientCredits.action.changePlan': '',
  'insufficientCredits.action.remindLater': '',
  'insufficientCredits.action.resume': '',

  'email.threshold.subject': 'balance:credits percent?:percent',
  'email.threshold.intro': 'balance:credits name?:text percent?:percent',
  'email.depletion.subject': 'operation?:text shortfall?:credits',
  'email.depletion.intro': 'operation:text name?:text required?:credits balance?:credits',
  'email.depletion.resume': 'expiresAt?:dateTime',
  'email.refused.subject': 'operation?:text shortfall?:credits',
  'email.refused.intro': 'operation:text name?:text required?:credits balance?:credits',
  'email.reminder.subject': 'balance?:credits',
  'email.reminder.intro': 'balance:credits name?:text',
  'email.resumed.subject.one': '',
  'email.resumed.subject.other': 'count?:number',
  'email.resumed.intro.one': 'name?:text',
  'email.resumed.intro.other': 'name?:text count?:number',
  'email.resumed.done': 'operation:text credits?:credits',
  'email.resumed.failed': 'operation:text',
  'email.receipt.subject': 'purchase?:text',
  'email.receipt.intro': 'purchase:text name?:text',
  'email.receipt.ran': '',
  'email.receipt.pack': 'credits:credits price:money',
  'email.receipt.plan': 'plan:text credits?:credits price:money',
  'email.balance': 'balance:credits asOf?:dateTime',
  'email.usage.heading': 'since?:date total?:credits',
  'email.usage.line': 'operation:text credits:credits requests?:requests',
  'email.usage.none': '',
  'email.runway.underADay': '',
  'email.runway.days': 'days:days',
  'email.topUp.heading': '',
  'email.topUp.option': 'credits:credits price:money',
  'email.plan.heading': '',
  'email.plan.option': 'plan:text credits?:credits price:money',
  'email.viewUsage': '',
  'email.remindLater': '',
  'email.unsubscribe': '',
  'email.footer': '',

  'page.backToUsage': '',
  'page.usageAndBalance': '',
  'page.refresh': '',
  'page.failed.title': '',
  'page.unsubscribe.title': '',
  'page.unsubscribe.text': '',
  'page.unsubscribe.button': '',
  'page.unsubscribe.oneClickOnly': '',
  'page.unsubscribed.title': '',
  'page.unsubscribed.text': '',
  'page.remind.title': '',
  'page.remind.text': '',
  'page.remind.legend': '',
  'page.remind.option.PT4H': '',
  'page.remind.option.P1D': '',
  'page.remind.option.P3D': '',
  'page.remind.option.P7D': '',
  'page.remind.submit': '',
  'page.reminded.title': '',
  'page.reminded.text': 'when:dateTime',
  'page.resume.done.title': '',
  'page.resume.done.text': 'path:text operation?:text',
  'page.resume.unavailable.title': '',
  'page.resume.unavailable.text': 'operation?:text status:text',
  'page.resume.expired.title': '',
  'page.resume.expired.text': 'operation?:text expiresAt?:dateTime',
  'page.resume.short.title': 'operation?:text',
  'page.resume.short.text': 'shortfall:credits required?:credits balance?:credits',
  'page.resume.short.link': '',
  'page.resume.ready.title': 'operation?:text',
  'page.resume.ready.text': 'required:credits balance?:credits',
  'page.resume.ready.button': '',
  'page.resumed.failed.text': 'operation?:text',
  'page.resumed.done.title': 'operation?:text',
  'page.resumed.done.text': 'path:text credits?:credits balance?:credits',
  'page.checkout.unavailable.title': '',
  'page.checkout.unavailable.text': 'accountId:text name?:text',
  'page.checkout.confirming.title': '',
  'page.checkout.confirming.text': 'purchase?:text',
  'page.checkout.plan': 'plan:text',
  'page.checkout.received.title': '',
  'page.checkout.received.text': 'balance:credits purchase?:text',
  'page.checkout.query.ran': 'path:text operation?:text credits?:credits',
  'page.checkout.query.short': 'shortfall:credits operation?:text required?:credits expiresAt?:dateTime',
  'page.checkout.query.starting': 'operation?:text',
  'page.checkout.query.failed': 'operation?:text',

  'usage.title': 'account?:text',
  'usage.heading': '',
  'usage.accountLine': 'account?:text plan?:text',
  'usage.balance.heading': '',
  'usage.balance.asOf': 'asOf:dateTime',
  'usage.balance.underADay': '',
  'usage.balance.runway': 'days:days',
  'usage.chart.heading': '',
  'usage.chart.period': 'from:text to:text',
  'usage.chart.total': 'total:credits',
  'usage.chart.summary': 'from?:text to?:text total?:credits peakDay?:text peak?:credits',
  'usage.chart.bar': 'day:text credits:credits',
  'usage.chart.tableCaption': '',
  'usage.chart.date': '',
  'usage.chart.credits': '',
  'usage.chart.empty': 'from?:text to?:text',
  'usage.chart.emptyHint': '',
  'usage.breakdown.heading': '',
  'usage.breakdown.operation': '',
  'usage.breakdown.requests': '',
  'usage.breakdown.credits': '',
  'usage.breakdown.share': '',
  'usage.breakdown.empty': '',
  'usage.biggest.heading': '',
  'usage.biggest.operation': '',
  'usage.biggest.credits': '',
  'usage.biggest.at': '',
  'usage.biggest.queryId': '',
  'usage.biggest.empty': '',
  'usage.forward.heading': '',
  'usage.forward.intro': '',
  'usage.topUps.heading': '',
  'usage.topUps.perCredit': 'price:text',
  'usage.topUps.buy': '',
  'usage.topUps.note': '',
  'usage.plans.heading': '',
  'usage.plans.perMonth': 'credits:credits',
  'usage.plans.per': '',
  'usage.plans.rollover': '',
  'usage.plans.current': '',
  'usage.plans.choose': 'plan?:text',
  'usage.remind.heading': '',
  'usage.remind.legend': '',
  'usage.remind.option.PT4H': '',
  'usage.remind.option.P1D': '',
  'usage.remind.option.P3D': '',
  'usage.remind.option.P7D': '',
  'usage.remind.submit': '',
  'usage.alerts.heading': '',
  'usage.alerts.on': 'email?:text thresholds:text',
  'usage.alerts.off': '',
  'usage.footer': '',
};

export const KINDS = ['text', 'number', 'credits', 'days', 'requests', 'percent', 'date', 'dateTime', 'money'] as const;
export type Kind = (typeof KINDS)[number];
export interface Param {
  name: string;
  kind: Kind;
  required: boolean;
}

/** The placeholders of a key, parsed from its spec. */
export function paramsOf(key: MessageKey): Map<string, Param> {
  const params = new Map<string, Param>();
  for (const spec of PARAMS[key].split(' ').filter(Boolean)) {
    const [rawName, kind] = spec.split(':') as [string, Kind];
    const required = !rawName.endsWith('?');
    const name = required ? rawName : rawName.slice(0, -1);
    params.set(name, { name, kind, required });
  }
  return params;
}
