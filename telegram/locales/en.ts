import type { AgeBandId, Bucket } from '../../workflows/guidance.js';
import type { QualityIssue } from '../../audio/quality.js';
import type { Verdict } from '../../workflows/types.js';

/** Plural forms by Intl.PluralRules category; `{n}` is the number. */
export type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/**
 * English catalogue; `ru.ts` must provide the same keys (the type checks it).
 * `{name}` placeholders are filled by `fill()`. Texts the answer shows go out
 * as Telegram HTML and are escaped; the bot's own messages go out as plain text.
 */
export const en = {
  languageName: 'English',
  listening: '🎧 Listening…',

  start: [
    '👶 I listen to your baby’s cry, check that it is a clear cry, and help you work out what to try. Honestly: on babies it has never heard, my model cannot tell the reason from the sound alone, and I say so rather than guess.',
    '🩺 I am not a doctor and I do not diagnose: if your baby seems unwell, call one.',
    '⏱ Sound alone says little, so I ask the baby’s age and, under each answer, when they last fed and slept.',
    '',
    '🎙 How to record: 5–15 seconds, phone close to the baby, a quiet room, no music or TV. Send it as a voice message.',
    '',
    '🔒 Your recording is deleted right after the analysis, unless you choose to donate it. I keep only my answers and your feedback: /privacy shows what, /forget deletes it all.',
  ].join('\n'),
  help: [
    '🎙 Send a voice message, an audio file or a video note of your baby crying: 5–15 s (up to {maxSeconds} s), phone close to the baby, a quiet room.',
    '💬 I answer with the most likely reasons and how sure I am. Tap under the answer when the baby last fed and how long they have been awake, and I adjust; then tell me if I was right: that teaches the model.',
    '/age: the baby’s age\n/history: your last recordings\n/privacy: what I keep, donating recordings\n/language: English or Russian\n/forget: delete everything about this chat',
    '{redFlags}',
  ].join('\n\n'),
  redFlags:
    '🚑 Call a doctor now if your baby has a fever (any fever under 3 months), trouble breathing, blue or grey skin, refuses feeds, is unusually drowsy, has a weak or high-pitched cry that does not stop, vomits, or has a rash.',
  commands: {
    start: 'What I do and how to record',
    help: 'How to use me; when to call a doctor',
    age: 'Set the baby’s age',
    history: 'Your last recordings',
    privacy: 'What I keep; donate recordings',
    language: 'Language: English or Russian',
    forget: 'Delete everything about this chat',
  },

  askAge: '👶 How old is your baby? It helps me fit the answer to feeding and sleep rhythms.',
  ageSaved: '👶 Saved: {age}. Change it any time with /age.',
  ageNames: { '0-1m': '0–1 month', '1-3m': '1–3 months', '3-6m': '3–6 months', '6-12m': '6–12 months', '12m+': '1 year or more' } satisfies Record<AgeBandId, string>,
  ageButtons: { '0-1m': '0–1 mo', '1-3m': '1–3 mo', '3-6m': '3–6 mo', '6-12m': '6–12 mo', '12m+': '1 y+' } satisfies Record<AgeBandId, string>,
  chooseLanguage: '🌐 Choose the language:',
  languageSaved: '🌐 Language: English.',

  notAudio: 'That does not look like a recording. Please send a voice message, an audio file or a video note.',
  rateLimited: '⏳ That is a lot of recordings in a short time, so let us pause: you can send the next one in a few minutes (I take up to {recordings} every {minutes} min). If your baby seems unwell, do not wait for me: call a doctor.',

  reasons: {
    belly_pain: 'Belly pain',
    burping: 'Needs burping',
    discomfort: 'Discomfort',
    hungry: 'Hungry',
    tired: 'Tired',
  } as Record<string, string>,
  tips: {
    hungry: ['Offer a feed: early signs are rooting, lip smacking, hands to the mouth.', 'Fed less than an hour ago? Burp first, then offer again.'],
    tired: ['Dim the lights and keep it calm: hold close, rock gently, or make a steady “shhh”.', 'Lay the baby down drowsy, on the back, in their own cot.'],
    burping: ['Hold the baby upright against your shoulder and gently pat or rub the back.', 'Or sit them on your lap, support the chin, lean them slightly forward and pat.'],
    belly_pain: ['Lay the baby on the back and gently cycle the legs, or stroke the tummy clockwise.', 'Carry the baby tummy-down along your forearm and walk slowly.'],
    discomfort: ['Check the nappy, the clothes and the temperature: the chest or neck should feel warm, not hot or cold.', 'Look for a hair wrapped around a finger or toe; try another position.'],
  } as Record<string, string[]>,
  answerTitle: 'Most likely:',
  notSure: '🤔 Not sure. Tested on babies it had never heard, my model could not tell reasons apart from the sound alone, so the numbers below are close to how often each reason is behind crying in general.',
  notSureWithContext: '🤔 Not sure from the sound alone: the order below comes mostly from what you told me.',
  tryFirst: 'Try first ({reason}):',
  reRecord: '🎙 For a clearer answer, record again: 5–15 s, phone close to the baby, a quiet room, no music or TV.',
  /** Trouble the cry was heard through: the answer stands, the advice helps the next recording. */
  issues: {
    clipped: '🎙 The recording is a little distorted (too loud): next time hold the phone a little further away.',
    too_noisy: '🎙 There is background noise in the recording: a quieter room helps the next answer.',
  } satisfies Record<QualityIssue, string>,
  tapHint: '👇 Tap what fits: 🍼 time since the last feed, 😴 time awake. I will adjust the answer. Then tell me if I was right.',
  tapHintWithAge: '👇 Tap what fits: 👶 the baby’s age, 🍼 time since the last feed, 😴 time awake. I will adjust the answer. Then tell me if I was right.',
  pickHint: '👇 What was it? Your answer teaches the model.',
  changedBy: '↕️ Changed by what you told me: {clauses}.',
  fedClause: '🍼 {bucket} since the feed (usually every {usual} {age}) → {effects}',
  awakeClause: '😴 awake {bucket} (usually {usual} {age}) → {effects}',
  ageAt: { '0-1m': 'in the first month', '1-3m': 'at 1–3 months', '3-6m': 'at 3–6 months', '6-12m': 'at 6–12 months', '12m+': 'after the first year' } satisfies Record<AgeBandId, string>,
  assumedAge: '{age}, if I guess the age right',
  up: '↑',
  down: '↓',
  hours: '{n} h',
  minutes: '{n} min',
  buckets: { '0-1h': '<1 h', '1-2h': '1–2 h', '2-3h': '2–3 h', '3-4h': '3–4 h', '4h+': '4 h+' } satisfies Record<Bucket, string>,
  thanksRight: '🙏 Thank you: so it was “{reason}”. That teaches the model.',
  thanksActual: '🙏 Thank you: it was “{reason}”. That teaches the model.',
  thanksUnknown: '🙏 Thank you for telling me.',
  notDiagnosis: 'Not a diagnosis. If something feels wrong, call a doctor.',
  model: 'model {version}',
  buttons: {
    age: '👶',
    fed: '🍼',
    awake: '😴',
    chosen: '✓',
    right: '👍 Right',
    wrong: '👎 Wrong',
    dontKnow: '🤷 Don’t know',
  },
  taps: {
    noted: 'Noted: adjusting the answer.',
    which: 'Which one was it?',
    thanks: 'Thank you!',
    closed: 'This recording is closed. Send a new one any time.',
    unreachable: 'I cannot reach this recording right now. Please try again in a minute.',
  },

  verdicts: {
    ok: '',
    empty: 'The file is empty. Please record again and send the voice message.',
    too_big: 'The file is too big for me (over 20 MB). Please send a shorter recording, 5–15 seconds is enough.',
    too_long: 'The recording is too long. Please send 5–15 seconds, up to {maxSeconds} s.',
    undecodable: 'I could not read this file as audio. Please send a voice message instead.',
    no_audio_track: 'This video has no sound. Please send a voice message or a video note with sound.',
    file_unavailable: 'I could not fetch the file from Telegram. Please send it again.',
    too_short: 'The recording is too short: I need at least a second of crying. Please record 5–15 seconds.',
    silent: 'I hear almost nothing. Please hold the phone closer to the baby and record again.',
    clipped: 'The recording is too loud and distorted. Please hold the phone a little further away and record again.',
    too_noisy: 'There is too much background noise to hear the cry. Please turn off the TV or music, move closer to the baby and record again.',
    not_a_cry: 'I do not hear a baby crying in this recording (it sounds like speech, music, a TV or a household noise). Please record your baby while they cry, phone close to them.',
    corrupt: 'The audio in this file is damaged. Please record again.',
    failed: 'Sorry, something went wrong on my side. Please send the recording again in a minute.',
  } satisfies Record<Verdict, string>,
  verdictShort: {
    ok: '',
    empty: 'empty file',
    too_big: 'file too big',
    too_long: 'too long',
    undecodable: 'not audio',
    no_audio_track: 'no sound',
    file_unavailable: 'file not fetched',
    too_short: 'too short',
    silent: 'too quiet',
    clipped: 'distorted',
    too_noisy: 'too noisy',
    not_a_cry: 'not a cry',
    corrupt: 'damaged audio',
    failed: 'not analysed',
  } satisfies Record<Verdict, string>,

  historyTitle: '🗂 Your last recordings in this chat:',
  historyEmpty: '🗂 No recordings yet. Send a voice message of your baby crying.',
  historyLine: '• {when}: {what}{feedback}',
  historyNotSure: ' (not sure)',
  historyRight: ' · 👍 right',
  historyActual: ' · 👎 it was “{reason}”',
  historyWrong: ' · 👎 wrong',

  privacy: [
    '🔒 What I keep about this chat',
    '• For each recording: when it came, my answer (reasons, probabilities, model version), a fingerprint of the file (not the audio) and your feedback.',
    '• Settings: the language, the baby’s age, your donation choice.',
    '• The recordings themselves are deleted right after the analysis.',
    '',
    '{donation}',
    '',
    '/forget deletes everything about this chat, now.',
  ].join('\n'),
  donationOff: '💝 Donating recordings: off. If you turn it on, I keep the recordings you send from then on, with your feedback as their label, to improve the model. Each one is deleted automatically after {retention}.',
  donationOn: '💝 Donating recordings: on. Thank you! Each recording is kept with its label for {retention}, then deleted automatically. Turning it off keeps nothing new; /forget also deletes what was donated.',
  donateOn: '💝 Donate my recordings',
  donateOff: 'Stop donating',
  donationOnToast: 'Thank you! Donating is on.',
  donationOffToast: 'Donating is off.',

  forgetAsk: '🗑 Delete everything I keep about this chat: analyses, feedback, donated recordings and settings? This cannot be undone.',
  forgetYes: '🗑 Delete everything',
  forgetNo: 'Cancel',
  forgetCancelled: 'Nothing was deleted.',
  forgetExpired: 'This question has expired, so nothing was deleted. Send /forget again if you still want to.',
  forgetting: '🗑 Deleting…',
  forgotten: '✅ Done. I deleted {analyses}, {feedback}, {donations}, the settings of this chat and the records of how its recordings were processed. I keep nothing about it now.',
  forgottenInFlight: '⏹ Stopped as well: {stopped} still being analysed or waiting for your feedback. Nothing about them is kept.',
  counted: {
    analyses: { one: '{n} analysis', other: '{n} analyses' },
    feedback: { one: '{n} feedback answer', other: '{n} feedback answers' },
    donations: { one: '{n} donated recording', other: '{n} donated recordings' },
    stopped: { one: '{n} recording', other: '{n} recordings' },
  } as Record<'analyses' | 'feedback' | 'donations' | 'stopped', Plural>,
};

export type Messages = typeof en;
