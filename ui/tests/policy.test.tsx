import { afterEach, describe, expect, it, vi } from 'vitest';
import { backendError, defaultMockProfiles } from '../dev/fixtures';
import type { MockOptions } from '../dev/mock-backend';
import type { PolicyView, ProfileSummary } from '../src/api/types';
import { mount, SE_VALID, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => {
  m?.unmount();
  vi.restoreAllMocks();
});

const PATH = '/etc/ciba-desk/policy.toml';

async function openSettings(options: MockOptions, languages = ['en-GB']) {
  m = await mount(options, { languages });
  await m.click('nav-settings');
  expect(m.q('settings')).not.toBeNull();
}

/** The default profiles, with `bankid-se` given by the administrator's policy. */
function withManaged(): ProfileSummary[] {
  return defaultMockProfiles().map((p) => (p.name === 'bankid-se' ? { ...p, managed: true } : p));
}

/** As the desk reports a policy file it cannot parse: locked down, and no profile at all. */
function broken(): Partial<PolicyView> {
  return {
    managed: true,
    path: PATH,
    profiles_locked: true,
    sandbox_allowed: false,
    problem: backendError(
      'policy_malformed',
      `the administrator's policy file ${PATH} is not valid at line 3, column 9: expected a string. Until it is corrected, CIBA Desk runs locked down: no profile can be used, added or changed`,
      { line: 3, column: 9 },
    ),
  };
}

describe('the administrator’s policy', () => {
  it('is read once at start; without one, nothing is said and everything is offered', async () => {
    await openSettings({});
    expect(m.backend.callsTo('policy')).toHaveLength(1);
    expect(m.q('policy-notice')).toBeNull();
    expect(m.q('policy-problem')).toBeNull();
    expect(m.q('add-profile')).not.toBeNull();
    expect(m.q('import')).not.toBeNull();
    expect(m.q('edit-bankid-se')).not.toBeNull();
    expect(m.q('managed-bankid-se')).toBeNull();
  });

  it('a policy that cannot be read does not stop the start: unmanaged, and recorded as an error', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await openSettings({ policyError: backendError('internal', 'the policy could not be read') });
    expect(m.q('profile-list')).not.toBeNull();
    expect(m.q('policy-notice')).toBeNull();
    expect(m.q('add-profile')).not.toBeNull();
    expect(error).toHaveBeenCalledWith('the policy could not be read:', 'the policy could not be read');
  });

  it('locked profiles: no adding, importing, editing or removing, and the notice says why and where', async () => {
    await openSettings({ policy: { managed: true, path: PATH, profiles_locked: true }, profiles: withManaged() });
    const notice = m.get('policy-notice');
    expect(notice.textContent).toContain('Some settings are managed by your organisation.');
    expect(m.get('policy-locked').textContent).toBe(
      'Profiles are managed by your organisation. Ask your administrator to change them.',
    );
    expect(m.get('policy-path').textContent).toBe(PATH);
    expect(m.get('policy-path').classList.contains('mono')).toBe(true);
    expect(m.q('add-profile')).toBeNull();
    expect(m.container.querySelector('#add-title')).toBeNull();
    expect(m.q('import')).toBeNull();
    expect(m.q('export')).not.toBeNull();
    for (const p of defaultMockProfiles()) {
      expect(m.q(`edit-${p.name}`), p.name).toBeNull();
      expect(m.q(`remove-${p.name}`), p.name).toBeNull();
    }
    // Agents still store their own secrets.
    expect(m.q('secret-input-mitid')).not.toBeNull();
    expect(m.q('policy-problem')).toBeNull();
  });

  it('a managed profile has the chip and no Edit or Remove; the agent’s own profiles keep both', async () => {
    await openSettings({ policy: { managed: true, path: PATH }, profiles: withManaged() });
    expect(m.get('policy-notice').textContent).toContain('Some settings are managed by your organisation.');
    expect(m.q('policy-locked')).toBeNull();
    const chip = m.get('managed-bankid-se');
    expect(chip.textContent).toBe('Managed');
    expect(chip.getAttribute('title')).toBe('Managed by your organisation');
    expect(chip.classList.contains('chip')).toBe(true);
    expect(m.q('edit-bankid-se')).toBeNull();
    expect(m.q('remove-bankid-se')).toBeNull();
    expect(m.q('secret-status-bankid-se')).not.toBeNull();
    expect(m.q('managed-mitid')).toBeNull();
    expect(m.q('edit-mitid')).not.toBeNull();
    expect(m.q('remove-mitid')).not.toBeNull();
    expect(m.q('add-profile')).not.toBeNull();
    expect(m.q('import')).not.toBeNull();
  });

  it('the notice and the chip in the agent’s language', async () => {
    await openSettings({ policy: { managed: true, path: PATH, profiles_locked: true }, profiles: withManaged() }, ['sv-SE']);
    expect(m.get('policy-notice').textContent).toContain('Vissa inställningar hanteras av din organisation.');
    expect(m.get('managed-bankid-se').textContent).toBe('Hanterad');
  });

  it('says in words when the desk refuses a change the policy manages', async () => {
    // The page had not hidden the button (the policy could not be read): the desk still refuses.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const error = backendError('internal', 'no policy');
    await openSettings({ policyError: error });
    m.backend.options.policy = { managed: true, path: PATH, profiles_locked: true };
    await m.click('remove-mitid');
    await m.click('remove-yes-mitid');
    expect(m.get('profiles-status').textContent).toBe(
      'This is managed by your organisation. Ask your administrator to change it.',
    );
    expect(m.q('profile-item-mitid')).not.toBeNull();
  });
});

describe('a broken policy file', () => {
  const message =
    'The administrator’s policy file is not valid. CIBA Desk stays locked until it is corrected: ask your administrator. Line 3, column 9.';

  it('Verify: the banner explains, the form cannot start, and nothing crashes without a single profile', async () => {
    m = await mount({ policy: broken(), profiles: [] });
    const banner = m.get('policy-problem');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(m.get('policy-problem-message').textContent).toBe(message);
    expect(m.get('policy-path').textContent).toBe(PATH);
    // Not "add one under Settings": agents cannot.
    expect(m.q('no-profiles')).toBeNull();
    expect(m.get<HTMLSelectElement>('profile').options).toHaveLength(0);

    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    expect(m.backend.callsTo('check_identity')).toHaveLength(0);
    // Start says why too, where the agent is looking.
    expect(m.get('form-error').textContent).toBe(message);

    await m.click('nav-settings');
    expect(m.get('policy-problem').textContent).toContain(message);
    expect(m.q('policy-notice')).toBeNull();
    expect(m.q('add-profile')).toBeNull();
    expect(m.q('import')).toBeNull();
    expect(m.get('profile-list').children).toHaveLength(0);
  });

  it('in the agent’s language, and without a location when the desk names none', async () => {
    const policy = broken();
    policy.problem = { ...policy.problem!, params: {} };
    m = await mount({ policy, profiles: [] }, { languages: ['nb-NO'] });
    expect(m.get('policy-problem-message').textContent).toBe(
      'Administratorens policyfil er ikke gyldig. CIBA Desk forblir låst til den er rettet: ta kontakt med administratoren din.',
    );
  });

  it('with profiles still listed, the banner stands above the form', async () => {
    m = await mount({ policy: broken() });
    const banner = m.get('policy-problem');
    const panel = m.get('session-panel');
    expect(banner.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });
});

describe('no profile under a locked policy', () => {
  it('asks the administrator rather than pointing to Settings', async () => {
    m = await mount({ policy: { managed: true, path: PATH, profiles_locked: true, sandbox_allowed: false }, profiles: [] });
    expect(m.get('no-profiles').textContent).toBe('No identity provider is set up for you yet. Ask your administrator.');
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    expect(m.get('form-error').textContent).toBe('No identity provider is set up for you yet. Ask your administrator.');
  });

  it('without a policy, points to Settings as before', async () => {
    m = await mount({ profiles: [] });
    expect(m.get('no-profiles').textContent).toBe('No identity provider is set up yet. Add one under Settings.');
  });
});
