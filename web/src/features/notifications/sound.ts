// The notification sound is made here with the Web Audio API: two short soft tones, nothing
// fetched. One AudioContext is kept; browsers start it suspended until the page has been used.
let ctx: AudioContext | null = null;
let lastPlayed = 0;
/** Several messages at once make one sound. */
const MIN_GAP_MS = 1200;

/** The notes of the sound: frequency (Hz), start and length (seconds). */
export const CHIME = [
  { freq: 880, at: 0, length: 0.12 },
  { freq: 1318.5, at: 0.09, length: 0.18 },
] as const;

export function playNotificationSound(now = Date.now()): boolean {
  if (now - lastPlayed < MIN_GAP_MS) return false;
  const Ctor =
    typeof window === 'undefined'
      ? undefined
      : (window.AudioContext ??
        (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext);
  if (!Ctor) return false;
  try {
    ctx ??= new Ctor();
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    const t0 = ctx.currentTime + 0.01;
    for (const note of CHIME) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = note.freq;
      const start = t0 + note.at;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.18, start + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + note.length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + note.length + 0.02);
    }
    lastPlayed = now;
    return true;
  } catch {
    return false;
  }
}
