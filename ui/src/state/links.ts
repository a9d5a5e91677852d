// Screen-pop links (`ciba-desk://verify?…`, read by the Rust side into a LinkPrefill) become
// a filled-in form. Only a form: the agent checks it and starts, so no link can make a
// customer's phone buzz by itself.

import type { LinkPrefill, LinkProblem, ProfileSummary } from '../api/types';
import { emptyDraft, typedCountry, type Draft } from './sessions';

/** What a link said that its tab does not use; shown above the form until the agent edits or starts. */
export interface LinkLeftOut {
  /** As the desk read the link, in its order. */
  problems: LinkProblem[];
  /** The profile the link named when there is none of that name here (the tab keeps its default). */
  missingProfile: string | null;
  /** The link's binding message, dropped because the tab's profile sends none. */
  bindingDropped: boolean;
}

/**
 * The form a link fills in. `fallbackProfile` is the profile a new tab would have (the one on
 * screen): the tab keeps it when the link names none, or one this computer does not have.
 */
export function linkDraft(
  prefill: LinkPrefill,
  profiles: readonly ProfileSummary[],
  fallbackProfile?: string | null,
): { draft: Draft; leftOut: LinkLeftOut | null } {
  const named = prefill.profile === null ? undefined : profiles.find((p) => p.name === prefill.profile);
  const base = emptyDraft(profiles, named?.name ?? fallbackProfile);
  const profile = profiles.find((p) => p.name === base.profile);
  const identity = prefill.identity ?? '';
  // As when the agent types "no:…": the country selector follows a prefix the profile takes.
  const typed = typedCountry(identity);
  const country = typed && profile?.countries.includes(typed) ? typed : base.country;
  // Kept in the draft, a message the profile forbids would be hidden by the disabled field and
  // never sent: the agent would think the customer sees it.
  const forbidden = profile?.binding_message.requirement === 'forbidden';
  const message = prefill.binding_message ?? '';
  const draft: Draft = {
    ...base,
    country,
    identity,
    bindingMessage: forbidden ? '' : message,
    reference: prefill.reference ?? '',
  };
  const leftOut: LinkLeftOut = {
    problems: prefill.problems,
    missingProfile: prefill.profile !== null && !named ? prefill.profile : null,
    bindingDropped: forbidden && message !== '',
  };
  const any = leftOut.problems.length > 0 || leftOut.missingProfile !== null || leftOut.bindingDropped;
  return { draft, leftOut: any ? leftOut : null };
}
