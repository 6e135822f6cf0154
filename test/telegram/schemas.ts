/**
 * zod schemas for inbound Bot API parameters. Parameters may arrive as JSON values or as strings
 * (query string / x-www-form-urlencoded, where objects are JSON-serialized), so every schema first
 * coerces strings. Issue messages are Telegram's descriptions without the "Bad Request: " prefix.
 */
import type { InlineKeyboardMarkup, MessageEntity } from 'grammy/types';
import { z } from 'zod';

import { ApiError, badRequest, type Params } from './protocol.js';

const INVALID_JSON = Symbol('invalid JSON');

/** '' and null mean "not passed" (the real server cannot tell them apart either). */
export const absent = (v: unknown): unknown => (v === '' || v === null ? undefined : v);
export const toInt = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : absent(v);
/** Like the server's to_bool(): "true"/"1" are true, anything else is false. */
export const toBool = (v: unknown): boolean =>
  v === true || v === 1 || (typeof v === 'string' && ['true', '1'].includes(v.trim().toLowerCase()));
export const toJson = (v: unknown): unknown => {
  if (typeof v !== 'string') return absent(v);
  if (v.trim() === '') return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return INVALID_JSON;
  }
};

/** Integer args the server clamps instead of rejecting (get_integer_arg). */
export function clampedInt(v: unknown, def: number, min: number, max: number): number {
  const n = toInt(v);
  const value = typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : v === undefined ? def : 0;
  return Math.min(max, Math.max(min, value));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new ApiError(400, `Bad Request: ${issue?.message ?? 'invalid parameters'}`);
}

const str = (error: string) => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error }));

export const chatIdSchema = z.preprocess(toInt, z.union([z.number().int(), z.string()], { error: 'chat_id is empty' }));
export const optionalMessageId = z.preprocess(toInt, z.number({ error: 'message identifier is not specified' }).int().optional());
export const textSchema = str('message text is empty');
export const optionalString = z.preprocess((v) => absent(typeof v === 'number' ? String(v) : v), z.string().optional());

const entitySchema = z.object({ type: z.string(), offset: z.number().int().min(0), length: z.number().int().min(1) }).loose();
export const entitiesSchema = z.preprocess(
  toJson,
  z.array(entitySchema, { error: "can't parse entities JSON object" }).optional(),
) as z.ZodType<MessageEntity[] | undefined>;

// ------------------------------------------------------------------ keyboards

const BUTTON_ACTIONS = [
  'url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay',
] as const;

const inlineButtonSchema = z
  .object({
    text: z.string({ error: `can't parse inline keyboard button: Field "text" must be of type String` }),
    callback_data: z.string({ error: 'BUTTON_DATA_INVALID' }).optional(),
    url: z.string().optional(),
  })
  .loose()
  .superRefine((button, ctx) => {
    if (!BUTTON_ACTIONS.some((k) => k in button)) {
      ctx.addIssue({ code: 'custom', message: "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard" });
      return;
    }
    if (button.callback_data !== undefined) {
      const bytes = Buffer.byteLength(button.callback_data, 'utf8');
      if (bytes < 1 || bytes > 64) ctx.addIssue({ code: 'custom', message: 'BUTTON_DATA_INVALID' });
    }
    if (button.url !== undefined && !URL.canParse(button.url)) {
      ctx.addIssue({ code: 'custom', message: `inline keyboard button URL '${button.url}' is invalid: Wrong URL` });
    }
  });

const ARRAY_OF_ARRAYS = 'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays';
export const inlineKeyboardSchema = z.object({
  inline_keyboard: z.array(z.array(inlineButtonSchema, { error: ARRAY_OF_ARRAYS }), { error: ARRAY_OF_ARRAYS }),
}) as unknown as z.ZodType<InlineKeyboardMarkup>;

export type ParsedMarkup =
  | { kind: 'none' }
  | { kind: 'inline'; markup: InlineKeyboardMarkup }
  | { kind: 'reply-keyboard'; markup: Record<string, unknown> };

export function parseReplyMarkup(raw: unknown): ParsedMarkup {
  const value = toJson(raw);
  if (value === undefined) return { kind: 'none' };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  const obj = value as Record<string, unknown>;
  if ('inline_keyboard' in obj) {
    const markup = parseWith(inlineKeyboardSchema, obj);
    return markup.inline_keyboard.length === 0 ? { kind: 'none' } : { kind: 'inline', markup };
  }
  if ('keyboard' in obj || 'remove_keyboard' in obj || 'force_reply' in obj) return { kind: 'reply-keyboard', markup: obj };
  return { kind: 'none' };
}

// ------------------------------------------------------------------ replies, commands

export const replyParametersSchema = z.preprocess(
  toJson,
  z
    .object(
      {
        message_id: z.preprocess(toInt, z.number().int()),
        chat_id: z.preprocess(toInt, z.union([z.number().int(), z.string()]).optional()),
        allow_sending_without_reply: z.preprocess((v) => (v === undefined ? undefined : toBool(v)), z.boolean().optional()),
      },
      { error: "can't parse reply parameters JSON object" },
    )
    .loose()
    .optional(),
);

export const commandsSchema = z.preprocess(
  toJson,
  z.array(
    z.object({ command: z.string(), description: z.string() }, { error: "can't parse BotCommand JSON object" }),
    { error: "can't parse commands JSON object" },
  ),
);

export const scopeSchema = z.preprocess(
  toJson,
  z
    .discriminatedUnion(
      'type',
      [
        z.object({ type: z.enum(['default', 'all_private_chats', 'all_group_chats', 'all_chat_administrators']) }),
        z.object({ type: z.enum(['chat', 'chat_administrators']), chat_id: z.preprocess(toInt, z.union([z.number().int(), z.string()])) }),
        z.object({
          type: z.literal('chat_member'),
          chat_id: z.preprocess(toInt, z.union([z.number().int(), z.string()])),
          user_id: z.preprocess(toInt, z.number().int()),
        }),
      ],
      { error: "can't parse BotCommandScope JSON object" },
    )
    .optional(),
);

export const languageCodeSchema = z.preprocess(
  absent,
  z.string().regex(/^[a-z]{2}$/, { error: 'invalid language code specified' }).optional(),
);

export const CHAT_ACTIONS = [
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'record_audio',
  'upload_audio', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
] as const;

export const allowedUpdatesSchema = z.preprocess(toJson, z.array(z.string()).optional());

/** The value of a parameter that must be a string id (numbers are accepted and stringified). */
export const idString = (v: unknown): string | undefined =>
  typeof v === 'string' ? (v === '' ? undefined : v) : typeof v === 'number' ? String(v) : undefined;

export const pick = (params: Params, ...keys: string[]): Params =>
  Object.fromEntries(keys.filter((k) => params[k] !== undefined).map((k) => [k, params[k]]));
