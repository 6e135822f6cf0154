/**
 * The bot token is in every Bot API URL (`…/bot<id>:<secret>/<method>`, and
 * `…/file/bot<id>:<secret>/<path>` for downloads), and a network error quotes
 * its URL: node-fetch's, inside grammY's HttpError, reads "request to
 * https://api.telegram.org/bot<token>/getMe failed". Anything that may hold
 * one goes through here before it is logged or put into a workflow history.
 */
const IN_URL = /bot\d+(?::|%3A)[\w-]+/gi;
/** A token on its own, as @BotFather makes them: the bot's ID, a colon, 35 characters. */
const ON_ITS_OWN = /\b\d+:[\w-]{30,}/g;

export function scrub(text: string): string {
  return text.replace(IN_URL, 'bot<redacted>').replace(ON_ITS_OWN, '<redacted>');
}
