/**
 * The chat's offset from UTC, from the hour the parent says it is for them now. Telegram tells a bot
 * no time zone; quiet hours only need the local hour, so whole hours are enough (a zone at half past
 * is off by half an hour) and an offset a day apart is the same one. Kept within −12…+11 h.
 */
export function utcOffsetMinutes(localHour: number, now: Date): number {
  const hours = (((localHour - now.getUTCHours()) % 24) + 24 + 12) % 24 - 12;
  return hours * 60;
}
