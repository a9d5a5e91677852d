// The administrator's policy file on screen: what it manages, and why nothing can be done
// while it is broken. The desk enforces it; the page only leaves out what would be refused.

import { STAND_ALONE, type OrganisationView, type PolicyView } from '../api/types';
import type { UiMessage } from '../i18n/texts';
import { startBlocked } from '../state/organisation';
import { useUi } from './context';
import { AlertIcon, InfoIcon } from './icons';
import { ErrorMessage } from './message';

/**
 * Why there is no profile to verify with: the broken policy, the organisation's server (not
 * signed in, or it gives this agent none), the administrator's choice, or none added yet.
 */
export function noProfilesMessage(policy: PolicyView, organisation: OrganisationView = STAND_ALONE): UiMessage {
  if (policy.problem) return { error: policy.problem };
  if (organisation.state !== 'off') return startBlocked(organisation) ?? { key: 'org.noProfiles' };
  return { key: policy.profiles_locked ? 'app.noProfilesManaged' : 'app.noProfiles' };
}

/** "Policy file: /etc/…", the path as it is (never translated). */
function PolicyPath({ path }: { path: string | null }) {
  const { t } = useUi();
  if (!path) return null;
  return (
    <p class="policy-path">
      {t('policy.file')} <span class="mono" data-testid="policy-path">{path}</span>
    </p>
  );
}

/**
 * The policy file cannot be applied: the desk stays locked (nothing can be verified or changed)
 * until an administrator corrects it, so this stands above everything else on the screen.
 */
export function PolicyProblem() {
  const { policy } = useUi();
  if (!policy.problem) return null;
  return (
    <div class="audit-alert policy-alert" role="alert" data-testid="policy-problem">
      <AlertIcon size={22} />
      <div>
        <p data-testid="policy-problem-message">
          <ErrorMessage error={policy.problem} />
        </p>
        <PolicyPath path={policy.path} />
      </div>
    </div>
  );
}

/** What the organisation manages, so that missing buttons are not a surprise. */
export function PolicyNotice() {
  const { t, policy } = useUi();
  if (!policy.managed || policy.problem) return null;
  return (
    <div class="note note--info policy-notice" data-testid="policy-notice">
      <InfoIcon size={16} />
      <div>
        <p>{t('policy.managed')}</p>
        {policy.profiles_locked && <p data-testid="policy-locked">{t('policy.profilesLocked')}</p>}
        <PolicyPath path={policy.path} />
      </div>
    </div>
  );
}
