using System.Text.Json;
using PhiSharp.Generation;

namespace PhiSharp.Server;

/// <summary>The fields /v1/chat/completions and /v1/completions share, read and checked, and the prompt's tokens.</summary>
sealed record CompletionRequest(int[] Prompt, GenerationOptions Options, bool Stream, bool IncludeUsage)
{
    /// <summary>
    /// Reads the shared fields. Checks run in the order a client can fix them: field types and ranges (400),
    /// then the model name (404), then whether the prompt fits the context (413). The prompt is made last, given
    /// the max_tokens asked for (or null), so a grounded prompt can leave that much room.
    /// </summary>
    public static CompletionRequest Read(RequestReader r, ServedModel served, string promptParam, Func<long?, int[]> tokenizePrompt, int? defaultMaxTokens)
    {
        long? maxTokens = r.Integer("max_completion_tokens", 1, int.MaxValue) ?? r.Integer("max_tokens", 1, int.MaxValue);
        double temperature = r.Number("temperature", 0, 2) ?? 1;
        double topP = r.Number("top_p", 0, 1) ?? 1;
        long topK = r.Integer("top_k", 0, int.MaxValue) ?? 0;
        long? seed = r.Integer("seed", long.MinValue, long.MaxValue);
        var stops = r.StopStrings();
        bool stream = r.Bool("stream") ?? false;
        if (r.Integer("n", 1, 128) is > 1) throw ApiException.BadRequest("Only n = 1 is supported.", "n", "invalid_value");
        bool includeUsage = false;
        if (r.Field("stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object) throw RequestReader.WrongType("stream_options", "an object");
            if (so.TryGetProperty("include_usage", out var iu) && iu.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                throw RequestReader.WrongType("stream_options.include_usage", "a boolean");
            includeUsage = so.TryGetProperty("include_usage", out iu) && iu.ValueKind == JsonValueKind.True;
        }

        string? model = r.String("model");
        if (model is not null && model != served.Id)
            throw new ApiException(404, $"The model '{model}' does not exist; this server serves '{served.Id}'.", "model", "model_not_found");

        int[] prompt = tokenizePrompt(maxTokens);
        if (prompt.Length == 0) throw ApiException.BadRequest("The prompt is empty.", promptParam, "empty_prompt");
        int context = served.Slots.ContextLength;
        if (prompt.Length >= context)
            throw new ApiException(413, $"The prompt has {prompt.Length} tokens; the context holds {context} (start the server with a larger --ctx).",
                promptParam, "context_length_exceeded");

        int room = context - prompt.Length;
        var options = new GenerationOptions
        {
            MaxTokens = (int)Math.Min(maxTokens ?? defaultMaxTokens ?? room, room),
            StopStrings = stops,
            Sampling = new SamplingOptions
            {
                Temperature = (float)temperature,
                // top_p = 0 means "only the most likely token", which top-k 1 says exactly; top_k 0 keeps every token.
                TopP = topP > 0 ? (float)topP : 1f,
                TopK = topP > 0 ? (int)topK : 1,
                Seed = seed is { } s ? unchecked((ulong)s) : null,
            },
        };
        return new CompletionRequest(prompt, options, stream, includeUsage);
    }
}
