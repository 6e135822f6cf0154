import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Typed search attributes on every recording, so operators can filter runs in
// the Web UI and with `temporal workflow list --query "WhycryVerdict = 'silent'"`.
export const VERDICT = defineSearchAttributeKey('WhycryVerdict', SearchAttributeType.KEYWORD);
export const TOP_REASON = defineSearchAttributeKey('WhycryTopReason', SearchAttributeType.KEYWORD);
export const CONFIDENCE = defineSearchAttributeKey('WhycryConfidence', SearchAttributeType.DOUBLE);
export const MODEL_VERSION = defineSearchAttributeKey('WhycryModelVersion', SearchAttributeType.KEYWORD);
/** The cry gate's version the recording was heard by (runs since the model registry). */
export const GATE_VERSION = defineSearchAttributeKey('WhycryGateVersion', SearchAttributeType.KEYWORD);
/** answered (reasons given), advised (a verdict on the recording given), failed, undelivered (the reply could not be sent). */
export const OUTCOME = defineSearchAttributeKey('WhycryOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [VERDICT, TOP_REASON, CONFIDENCE, MODEL_VERSION, GATE_VERSION, OUTCOME];
