/**
 * Telegram's text formatting, as the Bot API server applies it to outgoing text:
 * HTML parse_mode (a port of TDLib's parse_html rules and error messages), automatic
 * entity detection (commands, mentions, hashtags, URLs), trimming and length limits.
 *
 * Offsets in error messages are UTF-8 byte offsets; entity offsets/lengths are UTF-16 code units.
 */
import type { MessageEntity } from 'grammy/types';

import { badRequest } from './protocol.js';

export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

const SUPPORTED_TAGS = new Set([
  'a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins',
  'tg-spoiler', 'tg-emoji', 'span', 'pre', 'code', 'blockquote',
]);

const SIMPLE_TAG_TYPES: Record<string, MessageEntity['type']> = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough',
  'tg-spoiler': 'spoiler', span: 'spoiler', code: 'code',
};

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

class HtmlError extends Error {}

/** Decodes `&lt;` `&gt;` `&amp;` `&quot;` `&#NN;` `&#xHH;` at `i`; anything else stays a literal '&'. */
function decodeEntity(s: string, i: number): { char: string; next: number } | undefined {
  const m = /^&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));?/.exec(s.slice(i, i + 16));
  if (!m) return undefined;
  let code: number | undefined;
  if (m[1] !== undefined) code = Number(m[1]);
  else if (m[2] !== undefined) code = parseInt(m[2], 16);
  else {
    const named = NAMED_ENTITIES[m[3]!];
    if (named === undefined) return undefined;
    return { char: named, next: i + m[0].length };
  }
  if (code === 0 || code > 0x10ffff) return undefined;
  return { char: String.fromCodePoint(code), next: i + m[0].length };
}

interface OpenTag { name: string; argument: string; offset: number }

function normalizeLinkUrl(raw: string): string | undefined {
  const candidate = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(raw) ? raw : `http://${raw}`;
  try {
    const url = new URL(candidate);
    if (['http:', 'https:'].includes(url.protocol) && url.hostname.includes('.')) return candidate;
    if (['tg:', 'ton:'].includes(url.protocol)) return candidate;
  } catch {
    /* invalid URL: TDLib silently drops the entity */
  }
  return undefined;
}

/** Parses Bot API HTML. Throws ApiError 400 "can't parse entities: …" exactly where TDLib would. */
export function parseHtml(input: string): FormattedText {
  try {
    return parseHtmlUnsafe(input);
  } catch (e) {
    if (e instanceof HtmlError) throw badRequest(`can't parse entities: ${e.message}`);
    throw e;
  }
}

function parseHtmlUnsafe(s: string): FormattedText {
  const byteOffset = (i: number): number => Buffer.byteLength(s.slice(0, i), 'utf8');
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '&') {
      const decoded = decodeEntity(s, i);
      if (decoded) {
        out += decoded.char;
        i = decoded.next;
        continue;
      }
    }
    if (c !== '<') {
      out += c;
      i++;
      continue;
    }
    const begin = i++;
    if (s[i] !== '/') {
      // start tag
      while (i < s.length && !isSpace(s[i]) && s[i] !== '>') i++;
      if (i >= s.length) throw new HtmlError(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
      const name = s.slice(begin + 1, i).toLowerCase();
      if (!SUPPORTED_TAGS.has(name)) {
        throw new HtmlError(`Unsupported start tag "${name}" at byte offset ${byteOffset(begin)}`);
      }
      let argument = '';
      while (s[i] !== '>') {
        while (i < s.length && isSpace(s[i])) i++;
        if (s[i] === '>') break;
        const attrBegin = i;
        while (i < s.length && !isSpace(s[i]) && s[i] !== '=' && s[i] !== '>') i++;
        const attr = s.slice(attrBegin, i);
        if (attr === '') {
          throw new HtmlError(`Empty attribute name in the tag "${name}" at byte offset ${byteOffset(begin)}`);
        }
        while (i < s.length && isSpace(s[i])) i++;
        if (s[i] !== '=') {
          if (name === 'blockquote' && attr.toLowerCase() === 'expandable') {
            argument = '1';
            continue;
          }
          throw new HtmlError(
            `Expected equal sign in declaration of an attribute of the tag "${name}" at byte offset ${byteOffset(begin)}`,
          );
        }
        i++;
        while (i < s.length && isSpace(s[i])) i++;
        if (i >= s.length) throw new HtmlError(`Unclosed start tag "${name}" at byte offset ${byteOffset(begin)}`);
        let value = '';
        const quote = s[i];
        if (quote !== '"' && quote !== "'") {
          const tokenBegin = i;
          while (i < s.length && /[A-Za-z0-9.-]/.test(s[i]!)) i++;
          value = s.slice(tokenBegin, i).toLowerCase();
          if (!isSpace(s[i]) && s[i] !== '>') {
            throw new HtmlError(`Unexpected end of name token at byte offset ${byteOffset(tokenBegin)}`);
          }
        } else {
          i++;
          while (i < s.length && s[i] !== quote) {
            const decoded = s[i] === '&' ? decodeEntity(s, i) : undefined;
            if (decoded) {
              value += decoded.char;
              i = decoded.next;
            } else {
              value += s[i++];
            }
          }
          if (s[i] === quote) i++;
        }
        if (i >= s.length) throw new HtmlError(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
        const attrName = attr.toLowerCase();
        if (name === 'a' && attrName === 'href') argument = value;
        else if (name === 'code' && attrName === 'class' && value.startsWith('language-')) argument = value.slice(9);
        else if (name === 'span' && attrName === 'class' && value.startsWith('tg-')) argument = value.slice(3);
        else if (name === 'tg-emoji' && attrName === 'emoji-id') argument = value;
        else if (name === 'blockquote' && attrName === 'expandable') argument = '1';
      }
      if (name === 'span' && argument !== 'spoiler') {
        throw new HtmlError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(begin)}`);
      }
      i++; // '>'
      stack.push({ name, argument, offset: out.length });
      continue;
    }
    // end tag
    if (stack.length === 0) throw new HtmlError(`Unexpected end tag at byte offset ${byteOffset(begin)}`);
    i++;
    const nameBegin = i;
    while (i < s.length && !isSpace(s[i]) && s[i] !== '>') i++;
    const endName = s.slice(nameBegin, i).toLowerCase();
    while (i < s.length && isSpace(s[i])) i++;
    if (s[i] !== '>') throw new HtmlError(`Unclosed end tag at byte offset ${byteOffset(begin)}`);
    i++;
    const open = stack.pop()!;
    if (endName !== '' && endName !== open.name) {
      throw new HtmlError(
        `Unmatched end tag at byte offset ${byteOffset(begin)}, expected "</${open.name}>", found "</${endName}>"`,
      );
    }
    const length = out.length - open.offset;
    if (length === 0) continue;
    const entity = makeEntity(open, length, out);
    if (!entity) continue;
    if (open.name === 'pre') {
      // <pre><code class="language-x">…</code></pre> becomes one pre entity with a language
      const last = entities[entities.length - 1];
      if (last && last.type === 'code' && last.offset === open.offset && last.length === length) {
        entities.pop();
        const lang = codeLanguages.get(last);
        if (lang) (entity as MessageEntity.PreMessageEntity).language = lang;
      }
    }
    entities.push(entity);
  }
  if (stack.length > 0) {
    throw new HtmlError(`Can't find end tag corresponding to start tag "${stack[stack.length - 1]!.name}"`);
  }
  return { text: out, entities };
}

const codeLanguages = new WeakMap<MessageEntity, string>();

function makeEntity(open: OpenTag, length: number, out: string): MessageEntity | undefined {
  const { offset } = open;
  const simple = SIMPLE_TAG_TYPES[open.name];
  if (simple) {
    const entity = { type: simple, offset, length } as MessageEntity;
    if (open.name === 'code' && open.argument) codeLanguages.set(entity, open.argument);
    return entity;
  }
  switch (open.name) {
    case 'pre':
      return { type: 'pre', offset, length };
    case 'blockquote':
      return { type: open.argument ? 'expandable_blockquote' : 'blockquote', offset, length };
    case 'tg-emoji':
      return /^\d+$/.test(open.argument)
        ? { type: 'custom_emoji', offset, length, custom_emoji_id: open.argument }
        : undefined;
    case 'a': {
      const url = normalizeLinkUrl(open.argument || out.slice(offset, offset + length));
      return url === undefined ? undefined : { type: 'text_link', offset, length, url };
    }
    default:
      return undefined;
  }
}

const AUTO_PATTERNS: Array<{ type: 'bot_command' | 'mention' | 'hashtag' | 'url'; re: RegExp }> = [
  { type: 'bot_command', re: /(?<![\p{L}\p{N}_/@])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\p{L}\p{N}_/])/gu },
  { type: 'mention', re: /(?<![\p{L}\p{N}_@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\p{L}\p{N}_])/gu },
  { type: 'hashtag', re: /(?<![\p{L}\p{N}_#])#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*/gu },
  { type: 'url', re: /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'»]/giu },
];

/** Entities Telegram detects by itself in any message text (simplified patterns). */
export function detectEntities(text: string): MessageEntity[] {
  const found: MessageEntity[] = [];
  for (const { type, re } of AUTO_PATTERNS) {
    for (const m of text.matchAll(re)) {
      found.push({ type, offset: m.index ?? 0, length: m[0].length });
    }
  }
  return found;
}

const overlaps = (a: MessageEntity, b: MessageEntity): boolean =>
  a.offset < b.offset + b.length && b.offset < a.offset + a.length;

/** Adds auto-detected entities that do not clash with explicit ones, sorted like TDLib does. */
export function withDetectedEntities(ft: FormattedText): FormattedText {
  const blocking = ft.entities.filter((e) => ['code', 'pre', 'text_link', 'url', 'text_mention'].includes(e.type));
  const auto = detectEntities(ft.text).filter(
    (a) => !blocking.some((b) => overlaps(a, b)),
  );
  return { text: ft.text, entities: sortEntities([...ft.entities, ...auto]) };
}

export function sortEntities(entities: MessageEntity[]): MessageEntity[] {
  return [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
}

/** Telegram strips leading/trailing whitespace from message text; entities are shifted and clipped. */
export function trimFormatted(ft: FormattedText): FormattedText {
  const start = ft.text.length - ft.text.trimStart().length;
  const text = ft.text.trim();
  const end = start + text.length;
  const entities: MessageEntity[] = [];
  for (const e of ft.entities) {
    const from = Math.max(e.offset, start);
    const to = Math.min(e.offset + e.length, end);
    if (to > from) entities.push({ ...e, offset: from - start, length: to - from });
  }
  return { text, entities };
}

export const MAX_MESSAGE_LENGTH = 4096;

/** Full pipeline for a text param: parse_mode, trim, emptiness/length checks, auto entities. */
export function formatOutgoingText(
  raw: string,
  parseMode: string | undefined,
  explicitEntities: MessageEntity[] | undefined,
): FormattedText {
  let ft: FormattedText;
  if (explicitEntities && explicitEntities.length > 0) {
    ft = { text: raw, entities: explicitEntities };
  } else if (parseMode === undefined || parseMode === '') {
    ft = { text: raw, entities: [] };
  } else if (parseMode.toLowerCase() === 'html') {
    ft = parseHtml(raw);
  } else if (['markdown', 'markdownv2'].includes(parseMode.toLowerCase())) {
    // Real Telegram supports these; this double deliberately does not (we only use HTML).
    throw badRequest(`parse_mode ${parseMode} is not supported by this double (use HTML)`);
  } else {
    throw badRequest('unsupported parse_mode');
  }
  ft = trimFormatted(ft);
  if (ft.text.length === 0) throw badRequest('message text is empty');
  // TDLib counts Unicode code points, not UTF-16 units
  if ([...ft.text].length > MAX_MESSAGE_LENGTH) throw badRequest('message is too long');
  return withDetectedEntities(ft);
}
