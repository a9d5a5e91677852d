// Screen-pop links: a phone system or CRM opens ciba-desk://verify?…; the page opens a
// filled-in tab for the agent to check and start. Nothing is ever sent by a link alone.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import type { LinkPrefill } from '../src/api/types';
import { translator } from '../src/i18n';
import { linkLeftOutTexts } from '../src/i18n/texts';
import { MAX_TABS } from '../src/state/sessions';
import { flush, mount, NO_VALID, SE_VALID, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

async function pushLink(prefill: Partial<LinkPrefill>) {
  await act(() => m.backend.pushLink(prefill));
  await flush();
}

const value = (testId: string) => m.get<HTMLInputElement | HTMLSelectElement>(testId).value;
const problems = () => m.all('link-problem').map((li) => li.textContent);

describe('screen-pop links', () => {
  it('waits for links from the start, from the first one on', async () => {
    m = await mount();
    expect(m.backend.callsTo('wait_link')).toEqual([{ command: 'wait_link', args: { seen: 0 } }]);
    expect(m.q('link-problems')).toBeNull();
  });

  it('opens a new tab, filled in, with focus on Start, and sends nothing', async () => {
    m = await mount();
    await pushLink({
      profile: 'bankid-se',
      identity: `se:${SE_VALID}`,
      binding_message: 'Desk 7',
      reference: 'CASE-4711',
    });
    expect(m.get('tab-2').getAttribute('aria-selected')).toBe('true');
    expect(m.all('tab-1')).toHaveLength(1);
    expect(value('profile')).toBe('bankid-se');
    expect(value('identity-input')).toBe(`se:${SE_VALID}`);
    expect(value('binding-message')).toBe('Desk 7');
    expect(value('reference')).toBe('CASE-4711');
    expect(m.get('identity-ok').textContent).toContain('19121212');
    expect(document.activeElement).toBe(m.get('start'));
    expect(m.q('link-problems')).toBeNull();
    expect(m.get('announcer-polite').textContent).toBe(
      'A link filled in a new verification. Check it, then press Enter to start.',
    );
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);

    // Only the agent starts it (Enter on the focused Start clicks it), with what the link filled in.
    await flush();
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    await m.click('start');
    const sent = m.backend.callsTo('start_verification');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.args.request).toMatchObject({
      profile: 'bankid-se',
      identity: `se:${SE_VALID}`,
      binding_message: 'Desk 7',
      reference: 'CASE-4711',
    });
  });

  it('sets the country selector from a tagged number, as typing it would', async () => {
    m = await mount();
    await pushLink({ profile: 'sandbox', identity: `no:${NO_VALID}` });
    expect(value('country')).toBe('no');
    expect(value('identity-input')).toBe(`no:${NO_VALID}`);
    expect(m.q('identity-ok')).not.toBeNull();
  });

  it('switches to Verify from Settings or History', async () => {
    m = await mount();
    await m.click('nav-settings');
    await pushLink({ identity: SE_VALID });
    expect(m.get('nav-verify').getAttribute('aria-current')).toBe('page');
    expect(value('identity-input')).toBe(SE_VALID);
    expect(document.activeElement).toBe(m.get('start'));
    await m.click('nav-history');
    await pushLink({ identity: 'anna@example.com', profile: 'pickup' });
    expect(m.get('nav-verify').getAttribute('aria-current')).toBe('page');
    expect(m.get('tab-3').getAttribute('aria-selected')).toBe('true');
  });

  it('names what the link left out, above the form, until the agent edits', async () => {
    m = await mount();
    await pushLink({
      profile: 'sandbox',
      reference: null,
      problems: [
        { param: 'start', code: 'unknown' },
        { param: 'profile', code: 'repeated' },
        { param: 'email', code: 'conflict' },
        { param: 'national_id', code: 'conflict' },
        { param: 'reference', code: 'invalid' },
        { param: 'binding_message', code: 'too_long' },
      ],
    });
    const notice = m.get('link-problems');
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.compareDocumentPosition(m.get('profile')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(problems()).toEqual([
      'The link’s parameter “start” is not known, so it was left out.',
      '“profile” appears more than once in the link; the first one is used.',
      'The link names more than one customer (“national_id” and “email”); none of them was filled in.',
      '“reference” is not valid, so it was left out.',
      '“binding_message” is too long, so it was left out.',
    ]);
    expect(value('identity-input')).toBe('');
    expect(document.activeElement).toBe(m.get('start'));
    expect(m.get('announcer-polite').textContent).toContain('“start” is not known');

    await m.type('identity-input', SE_VALID);
    expect(m.q('link-problems')).toBeNull();
  });

  it('names a profile this computer does not have, and keeps the default one', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    await pushLink({ profile: 'bank', identity: `se:${SE_VALID}` });
    expect(value('profile')).toBe('sandbox');
    expect(value('identity-input')).toBe(`se:${SE_VALID}`);
    expect(problems()).toEqual(['Profilen ”bank” finns inte på den här datorn; kontrollera vilken profil som är vald nedan.']);
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
  });

  it('says a whole link could not be read, and opens an empty tab', async () => {
    m = await mount({}, { languages: ['da-DK'] });
    await pushLink({ problems: [{ param: '', code: 'not_a_link' }] });
    expect(m.get('tab-2').getAttribute('aria-selected')).toBe('true');
    expect(problems()).toEqual(['Dette er ikke et CIBA Desk-link, så intet blev udfyldt.']);
  });

  it('leaves out a binding message the profile does not send, and says so', async () => {
    m = await mount();
    await pushLink({ profile: 'bankid-no', identity: `no:${NO_VALID}`, binding_message: 'Desk 7' });
    expect(value('binding-message')).toBe('');
    expect(problems()).toEqual([
      'This profile sends no binding message, so the link’s “binding_message” was left out.',
    ]);
  });

  it('keeps its notice per tab, and drops it when the tab starts', async () => {
    m = await mount();
    await pushLink({ identity: SE_VALID, problems: [{ param: 'x', code: 'too_long' }] });
    expect(problems()).toEqual(['“x” is too long, so it was left out.']);
    await m.click('tab-1');
    expect(m.q('link-problems')).toBeNull();
    await m.click('tab-2');
    expect(problems()).toEqual(['“x” is too long, so it was left out.']);
    await m.click('start');
    expect(m.backend.callsTo('start_verification')).toHaveLength(1);
    expect(m.q('link-problems')).toBeNull();
  });

  it('opens two links as two tabs, in order, and keeps waiting after each', async () => {
    m = await mount();
    await pushLink({ identity: SE_VALID, reference: 'CASE-1' });
    expect(m.backend.callsTo('wait_link').at(-1)!.args).toEqual({ seen: 1 });
    await pushLink({ identity: 'anna@example.com', profile: 'pickup', reference: 'CASE-2' });
    expect(m.backend.callsTo('wait_link').at(-1)!.args).toEqual({ seen: 2 });
    expect(m.get('tab-3').getAttribute('aria-selected')).toBe('true');
    expect(value('reference')).toBe('CASE-2');
    expect(value('profile')).toBe('pickup');
    await m.click('tab-2');
    expect(value('reference')).toBe('CASE-1');
    expect(value('identity-input')).toBe(SE_VALID);
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
  });

  it('opens no tab when the strip is full of unfinished ones, and says the link was not opened', async () => {
    m = await mount();
    // Tabs not started yet are not finished either: none makes room.
    for (let i = 1; i < MAX_TABS; i++) await m.click('new-verification');
    const tabs = () => m.container.querySelectorAll('[role="tab"]').length;
    expect(tabs()).toBe(MAX_TABS);
    await pushLink({ identity: 'anna@example.com', reference: 'CASE-9' });
    expect(tabs()).toBe(MAX_TABS);
    expect(m.get('tabs-notice').textContent).toBe(
      `A link could not be opened: all ${MAX_TABS} tabs are in use. Close a tab you no longer need, then open the link again.`,
    );
    expect(m.get('announcer-assertive').textContent).toBe(m.get('tabs-notice').textContent);
    // Nothing of it went into the tab on screen.
    expect(value('reference')).toBe('');
    expect(m.backend.callsTo('wait_link').at(-1)!.args).toEqual({ seen: 1 });
  });

  it('opens the tab behind the quit question, but leaves focus with the question', async () => {
    m = await mount();
    await act(() => m.backend.requestClose());
    await flush();
    expect(document.activeElement).toBe(m.get('quit-stay'));
    await pushLink({ reference: 'CASE-7' });
    expect(document.activeElement).toBe(m.get('quit-stay'));
    await m.click('quit-stay');
    expect(m.get('tab-2').getAttribute('aria-selected')).toBe('true');
    expect(value('reference')).toBe('CASE-7');
  });

  it('opens the links that came before the page was ready, in order', async () => {
    m = await mount({ links: [{ reference: 'CASE-A' }, { reference: 'CASE-B' }] });
    expect(m.all('tab-2')).toHaveLength(1);
    expect(m.get('tab-3').getAttribute('aria-selected')).toBe('true');
    expect(value('reference')).toBe('CASE-B');
    expect(document.activeElement).toBe(m.get('start'));
    expect(m.backend.callsTo('wait_link').at(-1)!.args).toEqual({ seen: 2 });
  });

  it('keeps going when the backend could not answer: asks again later for the same link', async () => {
    m = await mount();
    const original = m.backend.waitLink.bind(m.backend);
    let failures = 1;
    m.backend.waitLink = (seen) => {
      if (failures-- > 0) return Promise.reject({ code: 'internal', message: 'the app is busy' });
      return original(seen);
    };
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      await pushLink({ reference: 'CASE-1' });
      expect(value('reference')).toBe('CASE-1');
      const asked = m.backend.callsTo('wait_link').length;
      await act(async () => {
        await vi.advanceTimersByTimeAsync(5000);
      });
      await flush();
      expect(m.backend.callsTo('wait_link').length).toBe(asked + 1);
      expect(m.backend.callsTo('wait_link').at(-1)!.args).toEqual({ seen: 1 });
      await pushLink({ reference: 'CASE-2' });
      expect(m.get('tab-3').getAttribute('aria-selected')).toBe('true');
      expect(value('reference')).toBe('CASE-2');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('what a link left out, in words', () => {
  it('has a sentence for every code in every language, naming the parameter', () => {
    for (const language of ['en', 'sv', 'nb', 'da'] as const) {
      const t = translator(language);
      const lines = linkLeftOutTexts(t, {
        problems: ['unknown', 'repeated', 'too_long', 'invalid', 'conflict', 'something_new'].map((code) => ({
          param: `p_${code}`,
          code,
        })),
        missingProfile: 'bank',
        bindingDropped: false,
      });
      expect(lines, language).toHaveLength(7);
      lines.forEach((line, i) => {
        expect(line, `${language} ${i}`).not.toMatch(/[{}]/);
        if (i > 0) expect(line, `${language} ${i}`).toContain('p_');
      });
      expect(lines[0], language).toContain('bank');
      const whole = linkLeftOutTexts(t, {
        problems: ['not_a_link', 'too_long', 'something_new'].map((code) => ({ param: '', code })),
        missingProfile: null,
        bindingDropped: false,
      });
      expect(new Set(whole).size, language).toBe(3);
    }
  });
});
