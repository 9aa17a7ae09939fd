// Figures shown for an answer and a conversation, from the stream's usage chunk and the page's own clock.

/**
 * The stats stored with an answer. tokens/s is the completion tokens after the first divided by the time from the
 * first streamed token to the last (prompt processing, which precedes the first token, is not generation speed).
 * finish: the server's finish_reason, or "stopped" (by the user), "error", or "context" when the cut came from the
 * context being full rather than max_tokens.
 */
export function answerStats({ usage, pieces, finish, firstAt, lastAt, context }) {
  // A stopped or broken stream has no usage chunk; the server streams one chunk per token, so the pieces count them.
  const tokens = usage?.completion_tokens ?? pieces;
  const stats = { finish, completion_tokens: tokens };
  if (tokens > 1 && lastAt > firstAt) stats.tokens_per_second = (tokens - 1) / ((lastAt - firstAt) / 1000);
  if (usage) {
    stats.prompt_tokens = usage.prompt_tokens;
    if (finish === "length" && context && usage.prompt_tokens + usage.completion_tokens >= context) stats.finish = "context";
  }
  return stats;
}

/** Tokens of the context the conversation fills: the last answer's prompt and completion (what the next turn resends). */
export function contextUsed(conversation) {
  const last = conversation.messages.findLast(m => m.role === "assistant" && m.stats?.prompt_tokens !== undefined);
  return last ? last.stats.prompt_tokens + last.stats.completion_tokens : 0;
}
