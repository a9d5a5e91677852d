// The audit log on this computer: its status (History header), one record's
// fields (History detail) and the alert when a verification was not recorded.

import type { AuditStatus, BackendError, HistoryEntry } from '../api/types';
import { auditProblem, kindText, profileTitleOf } from '../i18n/texts';
import { useUi } from './context';
import { formatDateTime, formatDuration } from './format';
import { AlertIcon, ShieldIcon } from './icons';
import { ErrorMessage } from './message';
import { Fact } from './result-card';

/** "Audit log: 12 records · chain intact · …", plus a note when identifiers are not keyed. */
export function AuditStatusLine({ status }: { status: AuditStatus }) {
  const { t } = useUi();
  const parts = [
    t(status.records === 1 ? 'audit.records.one' : 'audit.records.other', { count: status.records }),
    t(status.intact ? 'audit.intact' : 'audit.broken'),
  ];
  const days = status.retention_days;
  if (days !== null) parts.push(t(days === 1 ? 'audit.retention.one' : 'audit.retention.other', { days }));
  return (
    <div
      class={`audit-status ${status.intact ? '' : 'audit-status--broken'}`}
      data-testid="audit-status"
      data-intact={String(status.intact)}
    >
      <p class="audit-status-line" title={status.path}>
        {status.intact ? <ShieldIcon size={15} /> : <AlertIcon size={15} />}
        <span>{parts.join(' · ')}</span>
      </p>
      {!status.keyed && (
        <p class="note note--warning audit-status-note" data-testid="audit-unkeyed">
          {t('audit.unkeyed')}
        </p>
      )}
    </div>
  );
}

/** The hash chain did not verify: say which record, and that the file must be kept. */
export function AuditBrokenAlert({ status }: { status: AuditStatus }) {
  const { t } = useUi();
  const problem = auditProblem(t, status);
  return (
    <div class="audit-alert" role="alert" data-testid="audit-broken">
      <AlertIcon size={22} />
      <div>
        <p class="audit-alert-title">{t('audit.brokenTitle')}</p>
        {problem && <p data-testid="audit-problem">{problem}</p>}
        <p>{t('audit.brokenAdvice', { path: status.path })}</p>
      </div>
    </div>
  );
}

/** In a verification's view: its record could not be written to the audit log. */
export function AuditFailedAlert({ error }: { error: BackendError }) {
  const { t } = useUi();
  return (
    <div class="audit-alert" role="alert" data-testid="audit-error">
      <AlertIcon size={22} />
      <div>
        <p class="audit-alert-title">{t('audit.failedTitle')}</p>
        <p data-testid="audit-error-message">
          <ErrorMessage error={error} />
        </p>
        <p>{t('audit.failedAdvice')}</p>
      </div>
    </div>
  );
}

/** Every field of one audit record that has a value. */
export function AuditRecord({ entry }: { entry: HistoryEntry }) {
  const { t, locale, profiles } = useUi();
  const agent =
    entry.os_user && entry.workstation
      ? t('audit.agentOn', { user: entry.os_user, workstation: entry.workstation })
      : entry.os_user || entry.workstation;
  const kind = entry.identifier_kind ? kindText(t, entry.identifier_kind) : null;
  return (
    <section class="card audit-record" data-testid="audit-record" aria-labelledby="audit-record-title">
      <h2 class="card-title" id="audit-record-title">
        {t('audit.recordTitle')}
      </h2>
      <dl class="facts audit-facts">
        <Fact label={t('audit.seq')} mono field="seq">
          #{entry.seq}
        </Fact>
        {entry.duration_ms !== null && (
          <Fact label={t('audit.duration')} field="duration">
            {formatDuration(entry.duration_ms, locale)}
          </Fact>
        )}
        <Fact label={t('audit.started')} field="started">
          {formatDateTime(entry.started_at_ms, locale)}
        </Fact>
        <Fact label={t('audit.recorded')} field="recorded">
          {formatDateTime(entry.recorded_at_ms, locale)}
        </Fact>
        {agent && (
          <Fact label={t('audit.agent')} wide field="agent">
            {agent}
          </Fact>
        )}
        <Fact label={t('audit.provider')} wide field="provider">
          {profileTitleOf(entry.profile, profiles)}
          {/* The record keeps the profile's name (an identifier) and where it sent the request. */}
          <span class="audit-sub mono">{[entry.profile, entry.issuer].filter(Boolean).join(' · ')}</span>
        </Fact>
        {kind && (
          <Fact label={t('audit.identifierKind')} field="identifier-kind">
            {kind.charAt(0).toLocaleUpperCase(locale) + kind.slice(1)}
          </Fact>
        )}
        {entry.binding_message && (
          <Fact label={t('audit.binding')} field="binding">
            {entry.binding_message}
          </Fact>
        )}
        {entry.reference && (
          <Fact label={t('reference.label')} mono field="reference">
            {entry.reference}
          </Fact>
        )}
        {entry.acr && (
          <Fact label={t('audit.acr')} mono wide field="acr">
            {entry.acr}
          </Fact>
        )}
        {entry.transaction_id && (
          <Fact label={t('audit.transaction')} mono wide field="transaction">
            {entry.transaction_id}
          </Fact>
        )}
        {entry.error_code && (
          <Fact label={t('audit.errorCode')} mono field="error-code">
            {entry.error_code}
          </Fact>
        )}
      </dl>
    </section>
  );
}
