import type { Verdict } from '../../workflows/types.js';

/** English catalogue; `ru.ts` must provide the same keys (the type checks it). */
export const en = {
  listening: '🎧 Listening…',
  start: [
    '👶 Send me a voice message of your baby crying and I will tell you what the cry most likely means, and how sure I am.',
    'Record 5–15 seconds, phone close to the baby, in a quiet room (no music or TV).',
    '🔒 I do not keep your recording: it is deleted as soon as it is analysed.',
  ].join('\n\n'),
  help: [
    'Send a voice message, an audio file or a video note of your baby crying (5–15 s, up to {maxSeconds} s).',
    'I answer with the most likely reasons and how sure I am. I am not a doctor, and sound alone tells little: trust what you see.',
    '🚑 Call a doctor now if your baby has a fever (any fever under 3 months), trouble breathing, blue or grey skin, refuses feeds, is unusually drowsy, has a weak or high-pitched cry that does not stop, vomits, or has a rash.',
  ].join('\n\n'),
  notAudio: 'That does not look like a recording. Please send a voice message, an audio file or a video note.',
  reasons: {
    belly_pain: 'Belly pain',
    burping: 'Needs burping',
    discomfort: 'Discomfort',
    hungry: 'Hungry',
    tired: 'Tired',
  } as Record<string, string>,
  answerTitle: 'Most likely:',
  notSure: '🤔 Not sure. From the sound alone I cannot tell the reason here: the numbers below are close to how often each reason is behind crying in general.',
  notDiagnosis: 'Not a diagnosis. If something feels wrong, call a doctor.',
  model: 'model {version}',
  verdicts: {
    ok: '',
    empty: 'The file is empty. Please record again and send the voice message.',
    too_big: 'The file is too big for me (over 20 MB). Please send a shorter recording, 5–15 seconds is enough.',
    too_long: 'The recording is too long. Please send 5–15 seconds, up to {maxSeconds} s.',
    undecodable: 'I could not read this file as audio. Please send a voice message instead.',
    no_audio_track: 'This video has no sound. Please send a voice message or a video note with sound.',
    file_unavailable: 'I could not fetch the file from Telegram. Please send it again.',
    too_short: 'The recording is too short: I need at least a couple of seconds of crying. Please record 5–15 seconds.',
    silent: 'I hear almost nothing. Please hold the phone closer to the baby and record again.',
    clipped: 'The recording is too loud and distorted. Please hold the phone a little further away and record again.',
    too_noisy: 'There is too much background noise to hear the cry. Please turn off the TV or music, move closer to the baby and record again.',
    not_a_cry: 'I do not hear a baby crying in this recording (it sounds like speech, music, a TV or a household noise). Please record your baby while they cry, phone close to them.',
    corrupt: 'The audio in this file is damaged. Please record again.',
    failed: 'Sorry, something went wrong on my side. Please send the recording again in a minute.',
  } satisfies Record<Verdict, string>,
};

export type Messages = typeof en;
