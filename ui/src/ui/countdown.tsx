import { useEffect, useRef, useState } from 'preact/hooks';
import { useUi } from './context';
import { formatCountdown } from './format';

/** The current time, re-rendered once a second while `active`. Rendering only: nothing is asked of the backend. */
export function useNow(active: boolean, periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const handle = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(handle);
  }, [active, periodMs]);
  return now;
}

const ANNOUNCE_AT_S = [60, 30, 10];

interface Props {
  expiresAtMs: number;
  sinceMs: number;
  /** Announce 60/30/10 s left (only one countdown on screen should). */
  announce?: boolean;
  large?: boolean;
  testId?: string;
}

export function Countdown({ expiresAtMs, sinceMs, announce = false, large = false, testId = 'countdown' }: Props) {
  const { t, announce: say } = useUi();
  const now = useNow(true);
  const total = Math.max(1, expiresAtMs - sinceMs);
  const left = Math.max(0, expiresAtMs - now);
  const fraction = Math.min(1, left / total);
  const seconds = Math.ceil(left / 1000);
  const soon = seconds <= Math.min(15, Math.ceil(total / 4000));
  const text = t('countdown.left', { time: formatCountdown(left) });

  const announced = useRef(new Set<number>());
  useEffect(() => {
    if (!announce) return;
    for (const mark of ANNOUNCE_AT_S) {
      if (seconds <= mark && seconds > mark - 2 && total > mark * 1000 + 5000 && !announced.current.has(mark)) {
        announced.current.add(mark);
        say(t('countdown.seconds', { seconds: mark }));
      }
    }
  }, [seconds, announce]);

  return (
    <div
      class={`countdown ${soon ? 'countdown--soon' : ''} ${large ? 'countdown--large' : ''}`}
      data-testid={testId}
      data-seconds-left={seconds}
    >
      <div class="countdown-text">
        <span class="countdown-label">{soon && seconds > 0 ? t('countdown.soon') : t('countdown.label')}</span>
        <span class="countdown-value">{text}</span>
      </div>
      <div
        class="countdown-track"
        role="progressbar"
        aria-label={t('countdown.label')}
        aria-valuemin={0}
        aria-valuemax={Math.round(total / 1000)}
        aria-valuenow={seconds}
        aria-valuetext={text}
      >
        <div class="countdown-bar" style={{ width: `${(fraction * 100).toFixed(2)}%` }} />
      </div>
    </div>
  );
}
