/** Distinct tones for each colour, made with Web Audio (no sound files, nothing from the network). */
const TONES: Record<'green' | 'red' | 'amber', { hz: number; ms: number; times: number }> = {
  green: { hz: 1046, ms: 120, times: 1 },
  amber: { hz: 523, ms: 160, times: 2 },
  red: { hz: 262, ms: 320, times: 3 },
};

let context: AudioContext | null = null;

/** Plays the tone of a decision. Silent if the browser has no audio. */
export function playDecisionTone(decision: 'green' | 'red' | 'amber'): void {
  try {
    context ??= new AudioContext();
    const { hz, ms, times } = TONES[decision];
    for (let i = 0; i < times; i++) {
      const start = context.currentTime + (i * ms * 1.6) / 1000;
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = decision === 'red' ? 'square' : 'sine';
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.25, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + ms / 1000);
      osc.connect(gain).connect(context.destination);
      osc.start(start);
      osc.stop(start + ms / 1000);
    }
  } catch {
    // No audio device: the colour and shape still say it.
  }
}
