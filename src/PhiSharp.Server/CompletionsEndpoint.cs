using System.Text.Json;
using PhiSharp.Generation;

namespace PhiSharp.Server;

/// <summary>POST /v1/completions: the legacy text completion object ("text_completion"), whole or streamed.</summary>
static class CompletionsEndpoint
{
    /// <summary>OpenAI's default max_tokens for this endpoint.</summary>
    const int DefaultMaxTokens = 16;

    public static async Task HandleAsync(HttpContext http, ServedModel served)
    {
        var ct = http.RequestAborted;
        var reader = await RequestReader.ReadAsync(http.Request, served.Options.MaxRequestBytes, ct);
        string prompt = ReadPrompt(reader);
        var request = CompletionRequest.Read(reader, served, "prompt",
            _ => served.Model.Tokenizer.Encode(prompt, addSpecialTokens: true, parseSpecial: true), DefaultMaxTokens);

        using var lease = await served.Slots.AcquireAsync(request.Prompt, ct);
        string id = "cmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tokens = served.Model.Generator.GenerateAsync(lease.Session, request.Prompt, request.Options, ct);
        object Completion(string text, string? finishReason, object? usage) => new
        {
            id,
            @object = "text_completion",
            created,
            model = served.Id,
            system_fingerprint = ServedModel.Fingerprint,
            choices = new[] { new { text, index = 0, logprobs = (object?)null, finish_reason = finishReason } },
            usage,
        };

        if (!request.Stream)
        {
            var (text, count, finish) = await ChatCompletionsEndpoint.CollectAsync(tokens);
            await http.Response.WriteAsJsonAsync(Completion(text, ChatCompletionsEndpoint.FinishText(finish),
                ChatCompletionsEndpoint.Usage(request.Prompt.Length, count)), JsonOptions.Wire, ct);
            return;
        }

        var sse = new ServerSentEvents(http.Response);
        sse.Start();
        int generated = 0;
        await foreach (var token in tokens)
        {
            generated++;
            // The finish reason rides on the last token's chunk, as OpenAI's stream does.
            if (token.Text.Length > 0 || token.Finish is not null)
                await sse.WriteAsync(Completion(token.Text, token.Finish is { } f ? ChatCompletionsEndpoint.FinishText(f) : null, null), ct);
        }
        if (request.IncludeUsage)
            await sse.WriteAsync(new
            {
                id,
                @object = "text_completion",
                created,
                model = served.Id,
                system_fingerprint = ServedModel.Fingerprint,
                choices = Array.Empty<object>(),
                usage = ChatCompletionsEndpoint.Usage(request.Prompt.Length, generated),
            }, ct);
        await sse.DoneAsync(ct);
    }

    /// <summary>"prompt": a string, or an array holding exactly one string (batches of prompts are not supported).</summary>
    static string ReadPrompt(RequestReader r)
    {
        switch (r.Field("prompt"))
        {
            case null: throw ApiException.BadRequest("'prompt' is required.", "prompt", "missing_required_parameter");
            case { ValueKind: JsonValueKind.String } p: return p.GetString()!;
            case { ValueKind: JsonValueKind.Array } p when p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String: return p[0].GetString()!;
            case { ValueKind: JsonValueKind.Array }: throw ApiException.BadRequest("'prompt' as an array must hold exactly one string.", "prompt", "invalid_value");
            default: throw RequestReader.WrongType("prompt", "a string");
        }
    }
}
